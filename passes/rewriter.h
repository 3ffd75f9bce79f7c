// Rewriter: the in-place edits the simplification passes make while they walk a
// function: insert nodes before a node, replace a node's results by other values
// (the node is erased when the walk finishes), then drop the erased nodes and the
// constants left without a use. Not a pass itself.
#pragma once

#include <set>
#include <unordered_map>
#include <vector>

#include "ir/builder.h"

namespace minigrad::passes {

class Rewriter {
 public:
  explicit Rewriter(ir::Function& f) : f_(f) {}

  ir::Function& function() { return f_; }
  // A builder that inserts before node `pos`, at the locations of that node.
  ir::Builder before(size_t pos) {
    ir::Builder b(f_, pos);
    b.set_locs(f_.node(pos).locs);
    return b;
  }
  // Every use of n's results now uses `with` (one value per result); n is erased
  // by finish().
  void replace(const ir::Node& n, const std::vector<ir::ValueId>& with);
  void replace(const ir::Node& n, ir::ValueId with) { replace(n, std::vector<ir::ValueId>{with}); }
  // The same, deferred: the uses are rewritten as resolve() reaches each node, or by
  // finish(), not by a scan of the whole function now (linear for a walk in order).
  void replace_deferred(const ir::Node& n, const std::vector<ir::ValueId>& with);
  // Rewrites n's operands that a deferred replacement names.
  void resolve(ir::Node& n) const;
  bool erased(const ir::Node& n) const { return erased_.count(&n) != 0; }
  bool changed() const { return changed_; }
  void mark_changed() { changed_ = true; }

  // Removes the erased nodes and unused constants, renumbers; returns changed().
  bool finish();

 private:
  ir::Function& f_;
  void check_types(const ir::Node& n, const std::vector<ir::ValueId>& with) const;

  std::set<const ir::Node*> erased_;
  std::unordered_map<ir::ValueId, ir::ValueId> deferred_;  // from -> to
  bool changed_ = false;
};

}  // namespace minigrad::passes
