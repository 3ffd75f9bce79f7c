// DOT export; see dot.h.
#include "ir/dot.h"

#include <fmt/format.h>

#include "ir/printer.h"

namespace minigrad::ir {
namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string label(const Function& f, const Node& n) {
  std::string s = std::string(n.info().name);
  if (const AttrValue* name = n.attrs.find("name")) s += " " + std::get<std::string>(*name);
  for (ValueId r : n.results) s += "\\n" + to_string(f.type(r));
  if (!n.locs.empty()) s += fmt::format("\\n{}:{}", n.locs[0].file.substr(n.locs[0].file.rfind('/') + 1), n.locs[0].line);
  return s;
}

const char* shape_of(const Node& n) {
  if (n.info().has(kSource)) return "ellipse";
  if (n.info().has(kSink)) return "octagon";
  return "box";
}

}  // namespace

std::string to_dot(const Module& m) {
  std::string s = fmt::format("digraph \"{}\" {{\n  node [fontname=\"monospace\", fontsize=10];\n", escape(m.name));
  for (size_t fi = 0; fi < m.funcs.size(); ++fi) {
    const Function& f = m.funcs[fi];
    s += fmt::format("  subgraph cluster_{} {{\n    label=\"@{}\";\n", fi, escape(f.name()));
    std::vector<std::string> def(static_cast<size_t>(f.num_values()));
    for (size_t i = 0; i < f.size(); ++i) {
      const Node& n = f.node(i);
      std::string id = fmt::format("f{}n{}", fi, i);
      s += fmt::format("    {} [shape={}, label=\"{}\"];\n", id, shape_of(n), escape(label(f, n)));
      for (ValueId v : n.operands) s += fmt::format("    {} -> {};\n", def[static_cast<size_t>(v)], id);
      for (ValueId r : n.results) def[static_cast<size_t>(r)] = id;
    }
    s += "  }\n";
  }
  return s + "}\n";
}

}  // namespace minigrad::ir
