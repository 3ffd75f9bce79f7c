// The IR's data structures. A Module holds the state declarations of a model
// (parameters, running statistics, optimiser moments, counters) and its functions
// (entry points such as train_step and eval). A Function is a list of nodes in
// topological order over SSA values: each value is defined once, by one result of
// one node, and has a static type. Functions read inputs and state through source
// nodes (input, load_state), and write results and new state through sink nodes
// (output, store_state); every load sees the state as it was on entry and every
// store takes effect when the function returns.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "ir/attrs.h"
#include "ir/op.h"
#include "ir/types.h"

namespace minigrad::ir {

using ValueId = int32_t;
class Function;

// The DSL line that created a node; fused nodes keep the lines of all their parts.
struct SourceLoc {
  std::string file;
  int line = 0;
  int col = 0;
  bool operator==(const SourceLoc&) const = default;
};
using Locs = std::vector<SourceLoc>;
std::string to_string(const SourceLoc& loc);  // "file:line:col"
std::string to_string(const Locs& locs);      // "file:line:col, file:line:col" or "<unknown>"

struct Node {
  Op op;
  std::vector<ValueId> operands;
  std::vector<ValueId> results;
  Attrs attrs;
  Locs locs;
  std::shared_ptr<const Function> body;  // the fused op's body, else null

  const OpInfo& info() const { return op_info(op); }
  ValueId result(size_t i = 0) const { return results.at(i); }
};

struct ValueInfo {
  Type type;
  Node* def = nullptr;  // the defining node
  int index = 0;        // which of its results
};

class Function {
 public:
  explicit Function(std::string name) : name_(std::move(name)) {}
  Function(const Function& other);
  Function& operator=(const Function& other);
  Function(Function&&) = default;
  Function& operator=(Function&&) = default;

  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }

  size_t size() const { return nodes_.size(); }
  Node& node(size_t i) { return *nodes_[i]; }
  const Node& node(size_t i) const { return *nodes_[i]; }
  size_t index_of(const Node* n) const;  // position in topological order

  int num_values() const { return static_cast<int>(values_.size()); }
  // By value: adding nodes may move the value table, so a reference would not last.
  Type type(ValueId v) const { return values_.at(static_cast<size_t>(v)).type; }
  // A reference that lasts only until the next node is added.
  const ValueInfo& value(ValueId v) const { return values_.at(static_cast<size_t>(v)); }

  // Creates a node at position `pos` (size() appends). Result types come from the
  // op's type rule, or from `declared` for source ops; a rule's refusal is an Error
  // naming the op and `locs`.
  // A fused node takes its result types from `body`.
  Node& insert(size_t pos, Op op, std::vector<ValueId> operands, Attrs attrs, Locs locs,
               std::vector<Type> declared = {}, std::shared_ptr<const Function> body = nullptr);
  Node& append(Op op, std::vector<ValueId> operands, Attrs attrs = {}, Locs locs = {},
               std::vector<Type> declared = {}, std::shared_ptr<const Function> body = nullptr) {
    return insert(size(), op, std::move(operands), std::move(attrs), std::move(locs), std::move(declared),
                  std::move(body));
  }

  // Every use of `from` in nodes at positions >= `first` now uses `to`.
  void replace_all_uses(ValueId from, ValueId to, size_t first = 0);
  // Removes the nodes for which keep[i] is false; their values become unused.
  void remove_nodes(const std::vector<bool>& keep);
  // Number of operand uses of each value.
  std::vector<int> use_counts() const;

  // Renumbers values in order of definition (the numbering the printer shows) and
  // drops values no node defines.
  void renumber();

  // Convenience queries over source and sink nodes.
  std::vector<const Node*> nodes_of(Op op) const;
  const Node* find_output(const std::string& name) const;

 private:
  std::string name_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<ValueInfo> values_;
};

// The result types of a fused node with this body and these operand types: the
// types of the body's outputs. Error if the operands do not match its inputs.
std::vector<Type> fused_result_types(const Function& body, const std::vector<Type>& operands);

enum class StateRole { Param, Buffer, Optim };
std::string_view role_name(StateRole r);

// How the runtime fills a state buffer before training starts.
struct Init {
  enum class Kind { Zeros, Ones, Fill, Uniform, Normal, Seed } kind = Kind::Zeros;
  double a = 0, b = 0;  // fill: a; uniform: [a, b); normal: mean a, std b
  bool operator==(const Init&) const = default;
};
std::string to_string(const Init& init);  // "zeros", "uniform(-0.1,0.1)", ...

struct StateDecl {
  std::string name;  // PyTorch's state_dict name: "0.weight", "1.running_mean"
  Type type;
  StateRole role = StateRole::Param;
  Init init;
  bool torch_transposed = false;  // stored [in, out]; PyTorch stores [out, in]
};

class Module {
 public:
  std::string name;
  std::vector<StateDecl> states;
  std::deque<Function> funcs;  // a deque: references stay valid as functions are added

  const StateDecl* find_state(const std::string& n) const;
  StateDecl& add_state(StateDecl d);  // Error if the name exists with another type
  Function* find_func(const std::string& n);
  const Function* find_func(const std::string& n) const;
  Function& add_func(const std::string& n);
};

}  // namespace minigrad::ir
