// DOT export; see dot.h.
#include "ir/dot.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/printer.h"

namespace minigrad::ir {
namespace {

// Text inside an HTML-like label: graphviz reads & < > " as markup.
std::string html(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

// A DOT string: backslashes and quotes escaped.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A fused kind's words after its name in the node's header.
std::string_view kind_words(const std::string& kind) {
  if (kind == "matmul") return "GEMM + epilogue";
  if (kind == "bn_act") return "batch norm + activation";
  if (kind == "bn_act_grad") return "backward of bn_act";
  if (kind == "loss_grad") return "loss and its gradient";
  return "one loop";
}

std::string small(const std::string& text) {
  return fmt::format("<font point-size=\"8\" color=\"#444444\">{}</font>", html(text));
}

// The op, then what tells this node apart (a source's or sink's name, a constant's
// value), in bold as one text run: a second run would be placed by graphviz's font
// metrics, which an SVG viewer's font may not share.
std::string title(const Node& n) {
  std::string s(n.info().name);
  if (const AttrValue* name = n.attrs.find("name")) s += fmt::format(" {}", std::get<std::string>(*name));
  if (n.op == Op::Constant) s += fmt::format(" {}", format_attr(*n.attrs.find("value")));
  return fmt::format("<b>{}</b>", html(s));
}

// The body's compute ops in order, a few to a line.
std::string body_ops(const Function& body) {
  std::string s, line;
  for (size_t i = 0; i < body.size(); ++i) {
    const Node& b = body.node(i);
    if (b.info().has(kSource) || b.info().has(kSink)) continue;
    if (!line.empty() && line.size() + b.info().name.size() > 40) s += html(line) + ",<br/>", line.clear();
    line += (line.empty() ? "" : ", ") + std::string(b.info().name);
  }
  return s + html(line);
}

size_t body_op_count(const Function& body) {
  size_t count = 0;
  for (size_t i = 0; i < body.size(); ++i)
    count += !body.node(i).info().has(kSource) && !body.node(i).info().has(kSink);
  return count;
}

std::string label(const Function& f, const Node& n, const DotOptions& o) {
  std::string s;
  if (n.op == Op::Fused) {
    const std::string& kind = n.attrs.s("kind");
    s = fmt::format("<b>fused {}</b><br/><i>{}</i>", html(kind), html(kind_words(kind)));
    s += o.collapse_fused || !n.body ? fmt::format("<br/>{} ops", n.body ? body_op_count(*n.body) : 0)
                                     : "<br/>" + body_ops(*n.body);
  } else {
    s = title(n);
  }
  for (ValueId r : n.results) s += "<br/>" + html(to_string(f.type(r)));
  std::string where = describe_locs(n.locs);
  if (!where.empty()) s += "<br/>" + small(where);
  return s;
}

const char* shape_of(const Node& n) {
  if (n.info().has(kSource)) return "ellipse";
  if (n.info().has(kSink)) return "octagon";
  return "box";
}

// One cluster per function: its nodes, then an arrow per use.
std::string function_dot(const Function& f, size_t fi, const DotOptions& o, std::vector<bool>& seen) {
  std::string s = fmt::format("  subgraph cluster_{} {{\n    label=<<b>@{}</b>>; style=rounded; color=\"#888888\";\n",
                              fi, html(f.name()));
  std::vector<std::pair<size_t, int>> def(static_cast<size_t>(f.num_values()));  // node, result index
  for (size_t i = 0; i < f.size(); ++i) {
    const Node& n = f.node(i);
    NodeClass c = node_class(n);
    seen[static_cast<size_t>(c)] = true;
    s += fmt::format("    f{}n{} [shape={}, fillcolor=\"{}\", label=<{}>];\n", fi, i, shape_of(n), class_colour(c),
                     label(f, n, o));
    for (ValueId v : n.operands) {
      auto [from, index] = def[static_cast<size_t>(v)];
      // Several results leave one box: the arrow says which one it carries.
      std::string edge_label = f.node(from).results.size() > 1
                                   ? fmt::format(" [label=\"#{} {}\"]", index, to_string(f.type(v)))
                                   : "";
      s += fmt::format("    f{}n{} -> f{}n{}{};\n", fi, from, fi, i, edge_label);
    }
    for (size_t r = 0; r < n.results.size(); ++r) def[static_cast<size_t>(n.results[r])] = {i, static_cast<int>(r)};
  }
  return s + "  }\n";
}

// The classes drawn, one coloured row each, in one table.
std::string legend_dot(const std::vector<bool>& seen) {
  std::string rows;
  for (int c = 0; c < kNumNodeClasses; ++c) {
    if (!seen[static_cast<size_t>(c)]) continue;
    auto nc = static_cast<NodeClass>(c);
    rows += fmt::format("<tr><td bgcolor=\"{}\" align=\"left\">{}</td></tr>", class_colour(nc), html(class_label(nc)));
  }
  return "  legend [shape=plaintext, style=\"\", label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"2\" "
         "cellpadding=\"4\"><tr><td border=\"0\"><b>legend</b></td></tr>" + rows + "</table>>];\n";
}

}  // namespace

NodeClass node_class(const Node& n) {
  const OpInfo& info = n.info();
  if (n.op == Op::Fused) {
    const std::string& kind = n.attrs.s("kind");
    if (kind == "matmul") return NodeClass::FusedMatmul;
    if (kind == "bn_act") return NodeClass::FusedBnAct;
    if (kind == "bn_act_grad") return NodeClass::FusedBnActGrad;
    if (kind == "loss_grad") return NodeClass::FusedLossGrad;
    return NodeClass::FusedElementwise;
  }
  if (n.op == Op::Output) return NodeClass::Output;
  if (n.op == Op::StoreState) return NodeClass::StateWrite;
  if (info.has(kSource)) return NodeClass::Source;
  if (info.has(kMatmul)) return NodeClass::Gemm;
  if (info.has(kElementwise)) return NodeClass::Elementwise;
  if (info.has(kReduce)) return NodeClass::Reduction;
  if (info.has(kLayout)) return NodeClass::Layout;
  return NodeClass::Other;
}

std::string_view class_label(NodeClass c) {
  switch (c) {
    case NodeClass::Source: return "source: input, state, constant";
    case NodeClass::Gemm: return "GEMM (matmul)";
    case NodeClass::Elementwise: return "elementwise";
    case NodeClass::Reduction: return "reduction";
    case NodeClass::Layout: return "layout: reshape, transpose, broadcast";
    case NodeClass::Other: return "batch norm, softmax, loss, metric";
    case NodeClass::FusedElementwise: return "fused elementwise: one loop";
    case NodeClass::FusedMatmul: return "fused matmul: GEMM + epilogue";
    case NodeClass::FusedBnAct: return "fused bn_act: batch norm + activation";
    case NodeClass::FusedBnActGrad: return "fused bn_act_grad: its backward";
    case NodeClass::FusedLossGrad: return "fused loss_grad: loss and gradient";
    case NodeClass::Output: return "output";
    case NodeClass::StateWrite: return "state write (store_state)";
  }
  return "";
}

std::string_view class_colour(NodeClass c) {
  switch (c) {
    case NodeClass::Source: return "#e6e6e6";
    case NodeClass::Gemm: return "#9ecae1";
    case NodeClass::Elementwise: return "#fff3b0";
    case NodeClass::Reduction: return "#fdd0a2";
    case NodeClass::Layout: return "#e5f5e0";
    case NodeClass::Other: return "#dadaeb";
    case NodeClass::FusedElementwise: return "#ffd92f";
    case NodeClass::FusedMatmul: return "#6baed6";
    case NodeClass::FusedBnAct: return "#a1d99b";
    case NodeClass::FusedBnActGrad: return "#74c476";
    case NodeClass::FusedLossGrad: return "#fc9272";
    case NodeClass::Output: return "#ffffff";
    case NodeClass::StateWrite: return "#f1b6da";
  }
  return "#ffffff";
}

std::string describe_locs(const Locs& locs) {
  std::vector<std::pair<std::string, std::vector<int>>> files;  // in order of first appearance
  std::string words;
  for (const SourceLoc& l : locs) {
    if (l.file.starts_with("<")) {
      // A setting, not a file: "<flag --loss mse>" was made by that flag; "<trace>" by the tracer.
      if (l.file.starts_with("<flag ") && words.empty()) words = "from " + l.file.substr(6, l.file.size() - 7);
      continue;
    }
    std::string file = l.file.substr(l.file.rfind('/') + 1);
    auto it = std::find_if(files.begin(), files.end(), [&](const auto& e) { return e.first == file; });
    if (it == files.end()) it = files.insert(files.end(), {file, {}});
    if (std::find(it->second.begin(), it->second.end(), l.line) == it->second.end()) it->second.push_back(l.line);
  }
  std::vector<std::string> parts;
  for (const auto& [file, lines] : files) parts.push_back(fmt::format("{}:{}", file, fmt::join(lines, ", ")));
  if (!words.empty()) parts.push_back(words);
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string to_dot(const Module& m, const DotOptions& options) {
  std::string s = fmt::format(
      "digraph {} {{\n"
      "  graph [fontname=\"Helvetica\", fontsize=12, nodesep=0.25, ranksep=0.3];\n"
      "  node [fontname=\"Helvetica\", fontsize=10, style=filled, penwidth=0.8, margin=\"0.08,0.03\"];\n"
      "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\", arrowsize=0.6];\n",
      quoted(m.name));
  std::vector<bool> seen(kNumNodeClasses, false);
  for (size_t fi = 0; fi < m.funcs.size(); ++fi) s += function_dot(m.funcs[fi], fi, options, seen);
  if (options.legend) s += legend_dot(seen);
  return s + "}\n";
}

}  // namespace minigrad::ir
