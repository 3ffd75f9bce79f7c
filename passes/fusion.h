// What every fusion pass shares: use-def queries over a function, the legality
// test of a group of nodes (convexity), and the rewrite that replaces groups of
// nodes by `fused` nodes whose bodies hold them (docs/fusion-kinds.md states the
// bodies each kind may have). Not a pass itself.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/fused_kind.h"
#include "ir/graph.h"

namespace minigrad::passes {

// Index of the node that defines each value, or -1.
std::vector<int> def_index(const ir::Function& f);
// Indices of the nodes that use each value (once per use), in order.
std::vector<std::vector<size_t>> users(const ir::Function& f);

// "`%8: f32[4,192] = add(%6, %7)` at file:line:col", for notes and errors.
std::string describe(const ir::Function& f, const ir::Node& n);

// A group of nodes of one function that becomes one fused node.
struct FusionGroup {
  std::vector<size_t> members;        // node indices, in the order the body lists them (topological)
  ir::FusedKind kind;                 // the kernel template (docs/fusion-kinds.md)
  std::vector<ir::ValueId> inputs;    // external values that come first, in this order (may be empty)
  std::vector<ir::ValueId> outputs;   // if not empty: exactly the results, in this order
};

// A group is legal only if it is convex: no path leaves it and comes back through
// a node outside it (the fused node would then depend on its own result). Returns
// the first outside node on such a path, or nothing if the group is convex.
std::optional<size_t> breaks_convexity(const ir::Function& f, const std::vector<int>& defs,
                                       const std::vector<bool>& in_group);

// A partition of a function's nodes into items (a node alone, or a group that will
// become one fused node), kept legal as groups grow: merging two items is refused
// when the graph of items would get a cycle (a path from one to the other through
// a third item), which is also what makes every group convex.
class Partition {
 public:
  explicit Partition(const ir::Function& f);

  int item(size_t node) const { return item_[node]; }
  bool together(size_t a, size_t b) const { return item_[a] == item_[b]; }
  // Merges the items of nodes a and b; false (and no change) if that makes a cycle.
  bool merge(size_t a, size_t b);
  // Merges the items of all `nodes` at once; false (and no change) if that makes a
  // cycle. One search instead of one per node: for nodes that are singletons in
  // topological order, the same answer as merging them one by one (a cycle found
  // at step i runs through an item outside the final set, as node edges only go
  // forward), so a caller may name the culprit by retrying one by one.
  bool merge_all(const std::vector<size_t>& nodes);
  // A trial without a copy: merges after begin_trial() are undone by rollback()
  // (kept by commit()), at the cost of the items they touched, not of the function.
  void begin_trial() { journal_.clear(), journaling_ = true; }
  void commit() { journal_.clear(), journaling_ = false; }
  void rollback();
  // The nodes of node's item, in order.
  std::vector<size_t> members(size_t node) const;
  // The items of at least `min_size` nodes, each as its node indices in order,
  // ordered by their first node.
  std::vector<std::vector<size_t>> groups(size_t min_size) const;

 private:
  // Whether a path leaves the items `m` (sorted) and comes back through another
  // item. Visits only what the items reach, not the whole function.
  bool cycle_if_merged(const std::vector<int>& m) const;
  void relabel(const std::vector<int>& m);  // every item of m becomes item m[0]

  const ir::Function* f_;  // a pointer, so that a partition can be copied to try merges
  // Node-level users, built once and shared by copies (the function does not change
  // while a partition lives).
  std::shared_ptr<const std::vector<std::vector<size_t>>> users_;
  std::vector<int> item_;                  // per node; an item's label is its first node
  std::vector<std::vector<size_t>> nodes_;  // per label, in order; empty when merged away
  // Items of several nodes as intervals [first, last] of positions, in two Fenwick
  // trees (their firsts, their lasts), so that a search can ask in O(log n) whether
  // any item spans a position. See cycle_if_merged for why that lets it stop early.
  std::vector<int> firsts_, lasts_;
  void track(const std::vector<size_t>& nodes, int sign);
  static void add(std::vector<int>& fen, size_t pos, int d);
  static int below(const std::vector<int>& fen, size_t end);  // the sum over positions < end
  int spanning(size_t p) const;                               // items with first < p < last
  struct Undo {
    int keep, drop;
    std::vector<size_t> keep_nodes, drop_nodes;  // before the merge
  };
  std::vector<Undo> journal_;
  bool journaling_ = false;
};

// Replaces each group by one fused node. The body takes the values the members use
// from outside as inputs (group.inputs first, then in order of first use), copies
// the constants they use, and outputs the members' values that something outside
// uses (or exactly group.outputs). The fused node's locations are the union of its
// parts' locations. The function is then put back in a topological order close to
// the old one (inputs, outputs and each state's load-before-store keep their
// order), and constants left without a use are dropped. Error if a group is not
// convex or its outputs miss a value used outside.
void fuse_groups(ir::Function& f, const std::vector<FusionGroup>& groups);

// Drops constants that nothing uses (a fused body holds its own copies).
void remove_unused_constants(ir::Function& f);

// Removes nodes whose results nobody uses (not sinks, not inputs: they are the
// function's signature), repeatedly. Returns how many were removed.
size_t remove_dead_nodes(ir::Function& f);

// Whether a store writes parameter `p` or one of its optimiser slots ("optim.p.*").
bool stores_for(const ir::Node& n, const std::string& p);
// The stores of f by the parameter they write ("p" for "p" and "optim.p.slot"), each
// list in node order: built once per pass, so that no parameter rescans f. A slot
// name is filed under each of its dotted prefixes, as a parameter name may hold dots.
std::map<std::string, std::vector<size_t>> stores_by_param(const ir::Function& f);
// The parameters of m whose update f stores (the optimiser fusions' candidates), in m's order.
std::vector<const ir::StateDecl*> updated_params(const ir::Module& m, const ir::Function& f);
// The update of parameter `p` in f: the loop nodes of the parameter's shape, not
// `claimed`, from which the stores of p and of its slots are reached through such
// nodes alone (weight decay, the moments, the step), as node indices in order.
std::vector<size_t> update_cone(const ir::Function& f, const std::vector<int>& defs, const std::vector<size_t>& stores,
                                const ir::Shape& shape, const std::vector<bool>& claimed);

// Whether `n` is a kElementwise op.
bool is_elementwise(const ir::Node& n);
// Whether `n` may be a compute node of an elementwise loop over its own result's
// shape (docs/fusion-kinds.md): a kElementwise op, or a broadcast_to from another
// shape (a broadcast read).
bool is_loop_node(const ir::Function& f, const ir::Node& n);
// Whether the node is a constant (a fill).
inline bool is_constant(const ir::Node& n) { return n.op == ir::Op::Constant; }

}  // namespace minigrad::passes
