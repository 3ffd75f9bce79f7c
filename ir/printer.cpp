// The IR printer; see printer.h for the format.
#include "ir/printer.h"

#include <fmt/format.h>

namespace minigrad::ir {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string print_attrs(const Node& n) {
  std::string s;
  const OpInfo& info = n.info();
  for (const auto& [name, value] : n.attrs.items()) {
    const AttrSpec* spec = info.attr(name);
    if (spec != nullptr && !spec->required && value == spec->default_value()) continue;
    s += fmt::format("{}{}={}", s.empty() ? "" : ", ", name,
                     kind_of(value) == AttrKind::Str ? quoted(std::get<std::string>(value)) : format_attr(value));
  }
  return s.empty() ? s : " {" + s + "}";
}

std::string print_locs(const Locs& locs) {
  std::string s;
  for (const SourceLoc& l : locs)
    s += fmt::format("{}{}:{}:{}", s.empty() ? "" : ", ", quoted(l.file), l.line, l.col);
  return "  loc(" + s + ")";
}

}  // namespace

std::vector<int> number_values(const Function& f) {
  std::vector<int> numbers(static_cast<size_t>(f.num_values()), -1);
  int next = 0;
  for (size_t i = 0; i < f.size(); ++i)
    for (ValueId r : f.node(i).results) numbers[static_cast<size_t>(r)] = next++;
  return numbers;
}

std::string print_node(const Function& f, const Node& n, const std::vector<int>& numbers,
                       const PrintOptions& opts) {
  std::string s;
  for (size_t r = 0; r < n.results.size(); ++r)
    s += fmt::format("{}%{}: {}", r ? ", " : "", numbers[static_cast<size_t>(n.results[r])],
                     to_string(f.type(n.results[r])));
  if (!n.results.empty()) s += " = ";
  s += n.info().name;
  if (!n.operands.empty()) {
    s += "(";
    for (size_t i = 0; i < n.operands.size(); ++i) {
      int num = numbers[static_cast<size_t>(n.operands[i])];
      s += fmt::format("{}%{}", i ? ", " : "", num >= 0 ? std::to_string(num) : "?");
    }
    s += ")";
  }
  s += print_attrs(n);
  if (opts.locs && !n.locs.empty()) s += print_locs(n.locs);
  return s;
}

std::string print_state(const StateDecl& s) {
  return fmt::format("state {}: {} {} {}{}", quoted(s.name), to_string(s.type), role_name(s.role),
                     to_string(s.init), s.torch_transposed ? " torch_transposed" : "");
}

namespace {
// The nodes of `f`, one a line at `indent`; a fused node's body follows it, nested.
std::string print_nodes(const Function& f, const PrintOptions& opts, const std::string& indent) {
  std::vector<int> numbers = number_values(f);
  std::string s;
  for (size_t i = 0; i < f.size(); ++i) {
    const Node& n = f.node(i);
    s += indent + print_node(f, n, numbers, opts);
    if (n.body) s += " body {\n" + print_nodes(*n.body, opts, indent + "  ") + indent + "}";
    s += "\n";
  }
  return s;
}
}  // namespace

std::string print(const Function& f, const PrintOptions& opts) {
  return fmt::format("func @{} {{\n", f.name()) + print_nodes(f, opts, "  ") + "}\n";
}

std::string print(const Module& m, const PrintOptions& opts) {
  std::string s = fmt::format("module @{} {{\n", m.name);
  for (const StateDecl& st : m.states) s += "  " + print_state(st) + "\n";
  for (const Function& f : m.funcs) {
    s += "\n";
    std::string body = print(f, opts);
    size_t start = 0;
    while (start < body.size()) {  // indent the function by two spaces
      size_t end = body.find('\n', start);
      s += "  " + body.substr(start, end - start + 1);
      start = end + 1;
    }
  }
  return s + "}\n";
}

}  // namespace minigrad::ir
