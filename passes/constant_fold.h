// constant-fold: a node whose operands are all constants, and whose result is
// again the same value everywhere, becomes a constant:
//   - elementwise ops (except dropout, whose mask varies by element) on fills: the
//     op applied once, in the result's dtype, exactly as the interpreter computes
//     it (f32 arithmetic for f32, i32 wrapping for i32), so folding never changes a
//     result;
//   - reshape, broadcast_to, transpose, slice and reduce_max of a fill: the same
//     fill in the result's shape.
// It applies to every function, anywhere in the pipeline (after autodiff it folds
// g/N and the optimiser's 1 - beta). It does not fold sums or means (the
// interpreter's sequential sum of n copies is not n*v in floating point), pad, an
// integer division by zero, or a cast to i32 that does not fit (left to fail at run
// time, naming the node).
#pragma once

#include "passes/pass.h"

namespace minigrad::passes {

class ConstantFold : public Pass {
 public:
  std::string_view name() const override { return "constant-fold"; }
  bool run(ir::Module& m) override;
};

}  // namespace minigrad::passes
