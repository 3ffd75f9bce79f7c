// In-place rewrites; see rewriter.h.
#include "passes/rewriter.h"

#include "ir/error.h"
#include "ir/work.h"
#include "passes/fusion.h"

namespace minigrad::passes {

void Rewriter::check_types(const ir::Node& n, const std::vector<ir::ValueId>& with) const {
  if (with.size() != n.results.size()) fail("rewriter: {} results replaced by {} values", n.results.size(), with.size());
  for (size_t r = 0; r < with.size(); ++r)
    if (f_.type(with[r]) != f_.type(n.results[r]))
      fail("rewriter: {} would change type from {} to {}", describe(f_, n), ir::to_string(f_.type(n.results[r])),
           ir::to_string(f_.type(with[r])));
}

void Rewriter::replace(const ir::Node& n, const std::vector<ir::ValueId>& with) {
  check_types(n, with);
  for (size_t r = 0; r < with.size(); ++r) f_.replace_all_uses(n.results[r], with[r]);
  erased_.insert(&n);
  changed_ = true;
}

void Rewriter::replace_deferred(const ir::Node& n, const std::vector<ir::ValueId>& with) {
  check_types(n, with);
  for (size_t r = 0; r < with.size(); ++r) deferred_[n.results[r]] = with[r];
  erased_.insert(&n);
  changed_ = true;
}

void Rewriter::resolve(ir::Node& n) const {
  if (deferred_.empty()) return;
  for (ir::ValueId& v : n.operands)
    for (auto it = deferred_.find(v); it != deferred_.end(); it = deferred_.find(v)) v = it->second;
}

bool Rewriter::finish() {
  ir::count_visits(f_.size());
  for (size_t i = 0; i < f_.size() && !deferred_.empty(); ++i) resolve(f_.node(i));
  deferred_.clear();
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
