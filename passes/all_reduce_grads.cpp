// The gradient all-reduce of a data-parallel step; see all_reduce_grads.h.
#include "passes/all_reduce_grads.h"

namespace minigrad::passes {

bool all_reduce_grads(ir::Function& f) {
  bool changed = false;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f.node(i).op != ir::Op::Grad) continue;
    int64_t ranks = f.node(i).attrs.i("ranks");
    if (ranks <= 1) continue;
    std::vector<ir::ValueId> grads = f.node(i).results;
    ir::Locs locs = f.node(i).locs;
    std::vector<ir::ValueId> sums;
    for (size_t k = 0; k < grads.size(); ++k)
      sums.push_back(f.insert(i + 1 + k, ir::Op::AllReduce, {grads[k]}, ir::Attrs{{"ranks", ranks}}, locs).result());
    size_t after = i + 1 + grads.size();  // the uses: the update, after the inserted all_reduces
    for (size_t k = 0; k < grads.size(); ++k) f.replace_all_uses(grads[k], sums[k], after);
    // Its results are summed now: ranks = 1 says so, so that a second run of the
    // pass does not sum them again.
    f.node(i).attrs.set("ranks", int64_t{1});
    i = after - 1;
    changed = true;
  }
  if (changed) f.renumber();
  return changed;
}

bool AllReduceGrads::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs) changed = all_reduce_grads(f) || changed;
  return changed;
}

}  // namespace minigrad::passes
