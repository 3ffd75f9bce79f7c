// Functions and modules: node storage, value bookkeeping and simple edits.
#include "ir/graph.h"

#include "ir/work.h"

#include <algorithm>

#include <fmt/format.h>

#include "ir/error.h"
#include "ir/type_rules.h"

namespace minigrad::ir {

std::string to_string(const SourceLoc& loc) {
  if (loc.line == 0) return loc.file;  // a setting, not a line of code (frontend/here.h)
  return fmt::format("{}:{}:{}", loc.file, loc.line, loc.col);
}

std::string to_string(const Locs& locs) {
  if (locs.empty()) return "<unknown>";
  std::string s;
  for (const SourceLoc& l : locs) s += (s.empty() ? "" : ", ") + to_string(l);
  return s;
}

Function::Function(const Function& other) { *this = other; }

Function& Function::operator=(const Function& other) {
  if (this == &other) return *this;
  name_ = other.name_;
  values_ = other.values_;
  nodes_.clear();
  for (const auto& n : other.nodes_) {
    nodes_.push_back(std::make_unique<Node>(*n));
    for (size_t r = 0; r < n->results.size(); ++r)
      values_[static_cast<size_t>(n->results[r])].def = nodes_.back().get();
  }
  return *this;
}

size_t Function::index_of(const Node* n) const {
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].get() == n) return i;
  fail("node is not in function {}", name_);
}

std::vector<Type> fused_result_types(const Function& body, const std::vector<Type>& operands) {
  std::vector<const Node*> in = body.nodes_of(Op::Input), out = body.nodes_of(Op::Output);
  if (in.size() != operands.size())
    fail("fused body takes {} input(s), the node gives {}", in.size(), operands.size());
  for (size_t i = 0; i < in.size(); ++i)
    if (body.type(in[i]->result()) != operands[i])
      fail("fused body input {} is {}, the operand is {}", i, to_string(body.type(in[i]->result())),
           to_string(operands[i]));
  std::vector<Type> types;
  for (const Node* o : out) types.push_back(body.type(o->operands[0]));
  return types;
}

Node& Function::insert(size_t pos, Op op, std::vector<ValueId> operands, Attrs attrs, Locs locs,
                       std::vector<Type> declared, std::shared_ptr<const Function> body) {
  if (pos < nodes_.size()) count_visits(nodes_.size() - pos);  // the nodes moved up
  const OpInfo& info = op_info(op);
  attrs = with_defaults(info, std::move(attrs));
  std::vector<Type> in;
  for (ValueId v : operands) {
    if (v < 0 || v >= num_values()) fail("{}: operand %{} does not exist", info.name, v);
    in.push_back(type(v));
  }
  std::vector<Type> out;
  try {
    if (info.type_rule == nullptr) {
      check_attrs(info, attrs);
      if (declared.size() != 1) fail("{} needs its result type declared", info.name);
      out = std::move(declared);
    } else if (op == Op::Fused) {
      check_attrs(info, attrs);
      if (!body) fail("fused needs a body");
      out = fused_result_types(*body, in);
    } else {
      out = infer_types(op, in, attrs);
    }
  } catch (const Error& e) {
    fail("{}: {}", to_string(locs), e.what());
  }
  if (body && op != Op::Fused) fail("{}: only a fused node has a body", to_string(locs));
  auto node = std::make_unique<Node>(Node{op, std::move(operands), {}, std::move(attrs), std::move(locs), std::move(body)});
  for (size_t r = 0; r < out.size(); ++r) {
    node->results.push_back(num_values());
    values_.push_back(ValueInfo{out[r], node.get(), static_cast<int>(r)});
  }
  pos = std::min(pos, nodes_.size());
  nodes_.insert(nodes_.begin() + static_cast<ptrdiff_t>(pos), std::move(node));
  return *nodes_[pos];
}

void Function::replace_all_uses(ValueId from, ValueId to, size_t first) {
  if (first < nodes_.size()) count_visits(nodes_.size() - first);
  for (size_t i = first; i < nodes_.size(); ++i)
    for (ValueId& v : nodes_[i]->operands)
      if (v == from) v = to;
}

void Function::remove_nodes(const std::vector<bool>& keep) {
  std::vector<std::unique_ptr<Node>> kept;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (keep[i]) {
      kept.push_back(std::move(nodes_[i]));
    } else {
      for (ValueId r : nodes_[i]->results) values_[static_cast<size_t>(r)].def = nullptr;
    }
  }
  nodes_ = std::move(kept);
}

std::vector<int> Function::use_counts() const {
  std::vector<int> uses(values_.size(), 0);
  for (const auto& n : nodes_)
    for (ValueId v : n->operands) ++uses[static_cast<size_t>(v)];
  return uses;
}

std::vector<const Node*> Function::nodes_of(Op op) const {
  std::vector<const Node*> out;
  for (const auto& n : nodes_)
    if (n->op == op) out.push_back(n.get());
  return out;
}

const Node* Function::find_output(const std::string& name) const {
  for (const auto& n : nodes_)
    if (n->op == Op::Output && n->attrs.s("name") == name) return n.get();
  return nullptr;
}

std::string_view role_name(StateRole r) {
  switch (r) {
    case StateRole::Param: return "param";
    case StateRole::Buffer: return "buffer";
    case StateRole::Optim: return "optim";
  }
  return "?";
}

std::string to_string(const Init& init) {
  switch (init.kind) {
    case Init::Kind::Zeros: return "zeros";
    case Init::Kind::Ones: return "ones";
    case Init::Kind::Fill: return fmt::format("fill({})", init.a);
    case Init::Kind::Uniform: return fmt::format("uniform({},{})", init.a, init.b);
    case Init::Kind::Normal: return fmt::format("normal({},{})", init.a, init.b);
    case Init::Kind::Seed: return "seed";
  }
  return "?";
}

const StateDecl* Module::find_state(const std::string& n) const {
  for (const StateDecl& s : states)
    if (s.name == n) return &s;
  return nullptr;
}

StateDecl& Module::add_state(StateDecl d) {
  for (StateDecl& s : states) {
    if (s.name != d.name) continue;
    if (s.type != d.type)
      fail("state '{}' is declared twice, as {} and as {}", d.name, to_string(s.type), to_string(d.type));
    return s;
  }
  states.push_back(std::move(d));
  return states.back();
}

Function* Module::find_func(const std::string& n) {
  for (Function& f : funcs)
    if (f.name() == n) return &f;
  return nullptr;
}

const Function* Module::find_func(const std::string& n) const {
  for (const Function& f : funcs)
    if (f.name() == n) return &f;
  return nullptr;
}

Function& Module::add_func(const std::string& n) {
  if (find_func(n) != nullptr) fail("module {} already has a function @{}", name, n);
  funcs.emplace_back(n);
  return funcs.back();
}

}  // namespace minigrad::ir

namespace minigrad::ir {

void Function::renumber() {
  std::vector<ValueId> map(values_.size(), -1);
  std::vector<ValueInfo> fresh;
  for (auto& n : nodes_) {
    for (ValueId& v : n->operands) v = map.at(static_cast<size_t>(v));
    for (ValueId& r : n->results) {
      ValueId id = static_cast<ValueId>(fresh.size());
      fresh.push_back(values_[static_cast<size_t>(r)]);
      map[static_cast<size_t>(r)] = id;
      r = id;
    }
  }
  values_ = std::move(fresh);
}

}  // namespace minigrad::ir
