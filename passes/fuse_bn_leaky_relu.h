// fuse-bn-leaky-relu: batch normalisation in training mode and the activation
// after it (leaky_relu, or relu) become one pass over the data each way:
//   forward:  batch_norm_train(x, gamma, beta) then act(y)
//             -> fused {kind="bn_act"} (x, gamma, beta) -> act, mean, var
//   backward: act's VJP (select(y > 0, g, g*slope), or g * [y > 0]) feeding
//             batch_norm_grad(dy, x, gamma, mean, var)
//             -> fused {kind="bn_act_grad"} (g, a, x, gamma, mean, var) -> dx, dgamma, dbeta
// The normalised y is then never stored. The backward's sign test [y > 0] is
// redirected to [act > 0], the same for relu and leaky_relu with slope >= 0, so
// only the activation needs to live until the backward.
// It applies after autodiff (the backward must exist) and before the matmul
// epilogue fusion (which would take the activation's backward). It does not fire
// when y has a use other than the activation and such sign tests, for other
// activations (sigmoid, tanh), for batch_norm_eval, or when the backward's dy has
// another use; it says why under --debug-fusion.
#pragma once

#include "passes/pass.h"

namespace minigrad::passes {

class FuseBnLeakyRelu : public Pass {
 public:
  std::string_view name() const override { return "fuse-bn-leaky-relu"; }
  bool run(ir::Module& m) override;
};

}  // namespace minigrad::passes
