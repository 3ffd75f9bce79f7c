// In-place rewrites; see rewriter.h.
#include "passes/rewriter.h"

#include "ir/error.h"
#include "passes/fusion.h"

namespace minigrad::passes {

void Rewriter::replace(const ir::Node& n, const std::vector<ir::ValueId>& with) {
  if (with.size() != n.results.size()) fail("rewriter: {} results replaced by {} values", n.results.size(), with.size());
  for (size_t r = 0; r < with.size(); ++r) {
    if (f_.type(with[r]) != f_.type(n.results[r]))
      fail("rewriter: {} would change type from {} to {}", describe(f_, n), ir::to_string(f_.type(n.results[r])),
           ir::to_string(f_.type(with[r])));
    f_.replace_all_uses(n.results[r], with[r]);
  }
  erased_.insert(&n);
  changed_ = true;
}

bool Rewriter::finish() {
  if (!erased_.empty()) {
    std::vector<bool> keep(f_.size(), true);
    for (size_t i = 0; i < f_.size(); ++i) keep[i] = erased_.count(&f_.node(i)) == 0;
    erased_.clear();
    f_.remove_nodes(keep);
    f_.renumber();
  }
  if (changed_) remove_unused_constants(f_);
  return changed_;
}

}  // namespace minigrad::passes
