// fuse-optimizer: the optimiser's update of each parameter becomes one
// `fused {kind="elementwise"}` loop over the parameter's shape: weight decay, the
// moments, the bias-corrected step and the new parameter, read once and written
// once (outputs: the new optimiser slots and the new parameter, e.g. exp_avg,
// exp_avg_sq, p for Adam). The group is every elementwise node of the parameter's
// shape from which the stores of the parameter ("P") and of its slots
// ("optim.P.*") are reached through such nodes alone; the gradient and the
// step-dependent scalars (bias corrections, computed once per step) are inputs.
// It applies after autodiff, to every parameter (a state declared `param`) that a
// function stores. It does not take the gradient's computation (a matmul, a
// reduction, batch_norm_grad: not elementwise), nodes of another shape, or a
// group that would depend on itself through a node outside it (it declines and
// says why under --debug-fusion).
#pragma once

#include "passes/pass.h"

namespace minigrad::passes {

class FuseOptimizer : public Pass {
 public:
  std::string_view name() const override { return "fuse-optimizer"; }
  bool run(ir::Module& m) override;
};

}  // namespace minigrad::passes
