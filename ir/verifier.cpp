// The verifier; see verifier.h for what it checks.
#include "ir/verifier.h"

#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "ir/error.h"
#include "ir/printer.h"
#include "ir/type_rules.h"

namespace minigrad::ir {
namespace {

class FunctionVerifier {
 public:
  FunctionVerifier(const Function& f, const Module* m) : f_(f), m_(m), numbers_(number_values(f)) {}

  std::vector<std::string> run() {
    for (size_t i = 0; i < f_.size(); ++i) position_[&f_.node(i)] = i;
    for (size_t i = 0; i < f_.size(); ++i) check_node(i, f_.node(i));
    return problems_;
  }

 private:
  void problem(const Node& n, const std::string& what) {
    problems_.push_back(fmt::format("@{}: `{}` at {}: {}", f_.name(), print_node(f_, n, numbers_, {false}),
                                    to_string(n.locs), what));
  }

  void check_node(size_t i, const Node& n) {
    const OpInfo& info = n.info();
    for (ValueId v : n.operands) {
      if (v < 0 || v >= f_.num_values() || f_.value(v).def == nullptr) {
        problem(n, fmt::format("operand %{} is not defined", v));
        return;
      }
      auto it = position_.find(f_.value(v).def);
      if (it == position_.end() || it->second >= i) {
        problem(n, fmt::format("operand %{} is used before it is defined", numbers_[static_cast<size_t>(v)]));
        return;
      }
    }
    if (info.num_results != kVariadic && static_cast<int>(n.results.size()) != info.num_results) {
      problem(n, fmt::format("{} has {} result(s), expected {}", info.name, n.results.size(), info.num_results));
      return;
    }
    check_types(n);
    check_names(n);
  }

  void check_types(const Node& n) {
    const OpInfo& info = n.info();
    try {
      if (info.type_rule == nullptr) {
        check_attrs(info, n.attrs);
        return;
      }
      std::vector<Type> in;
      for (ValueId v : n.operands) in.push_back(f_.type(v));
      std::vector<Type> want = n.op == Op::Fused ? fused_types(n, in) : infer_types(n.op, in, n.attrs);
      if (want.size() != n.results.size()) {
        problem(n, fmt::format("has {} results, its type rule gives {}", n.results.size(), want.size()));
        return;
      }
      for (size_t r = 0; r < want.size(); ++r)
        if (f_.type(n.results[r]) != want[r])
          problem(n, fmt::format("result {} is {}, expected {}", r, to_string(f_.type(n.results[r])),
                                 to_string(want[r])));
    } catch (const Error& e) {
      problem(n, e.what());
    }
  }

  // A fused node's body is a well-formed function of its operands, with no state,
  // grad or nested fusion; its outputs give the node's result types.
  std::vector<Type> fused_types(const Node& n, const std::vector<Type>& in) {
    check_attrs(n.info(), n.attrs);
    if (!n.body) fail("fused node has no body");
    for (size_t i = 0; i < n.body->size(); ++i) {
      Op op = n.body->node(i).op;
      if (op == Op::LoadState || op == Op::StoreState || op == Op::Grad || op == Op::Fused)
        fail("a fused body cannot hold {}", op_name(op));
    }
    for (std::string& p : FunctionVerifier(*n.body, nullptr).run()) problems_.push_back("in body: " + p);
    return fused_result_types(*n.body, in);
  }

  void check_names(const Node& n) {
    if (n.op == Op::Input && !inputs_.insert(n.attrs.s("name")).second) problem(n, "input name is used twice");
    if (n.op == Op::Output && !outputs_.insert(n.attrs.s("name")).second) problem(n, "output name is used twice");
    if (n.op == Op::LoadState) check_state(n, f_.type(n.result()));
    if (n.op == Op::StoreState) {
      check_state(n, f_.type(n.operands[0]));
      if (!stores_.insert(n.attrs.s("name")).second) problem(n, "state is stored twice in one function");
    }
  }

  void check_state(const Node& n, const Type& t) {
    if (m_ == nullptr) return;
    const StateDecl* s = m_->find_state(n.attrs.s("name"));
    if (s == nullptr) problem(n, fmt::format("state \"{}\" is not declared", n.attrs.s("name")));
    else if (s->type != t)
      problem(n, fmt::format("state \"{}\" is declared {}, used as {}", s->name, to_string(s->type), to_string(t)));
  }

  const Function& f_;
  const Module* m_;
  std::vector<int> numbers_;
  std::unordered_map<const Node*, size_t> position_;
  std::set<std::string> inputs_, outputs_, stores_;
  std::vector<std::string> problems_;
};

[[noreturn]] void report(const std::vector<std::string>& problems) {
  std::string msg = "IR verification failed:";
  for (const std::string& p : problems) msg += "\n  " + p;
  throw Error(msg);
}

}  // namespace

void verify(const Function& f, const Module* m) {
  std::vector<std::string> problems = FunctionVerifier(f, m).run();
  if (!problems.empty()) report(problems);
}

void verify(const Module& m) {
  std::vector<std::string> problems;
  std::set<std::string> names;
  for (const StateDecl& s : m.states)
    if (!names.insert(s.name).second) problems.push_back(fmt::format("state \"{}\" is declared twice", s.name));
  for (const Function& f : m.funcs)
    for (std::string& p : FunctionVerifier(f, &m).run()) problems.push_back(std::move(p));
  if (!problems.empty()) report(problems);
}

}  // namespace minigrad::ir
