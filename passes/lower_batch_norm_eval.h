// lower-batch-norm-eval: batch normalisation in evaluation mode becomes
// elementwise arithmetic, so that the matmul producing its input takes it (and the
// activation after it) as its epilogue:
//
//   batch_norm_eval(x, gamma, beta, mean, var) = (x - mean) * scale + beta,
//   scale = gamma * rsqrt(var + eps)                          (per feature, [F])
//
// the same algebra as the batch_norm_eval kernels (and PyTorch's CPU kernel, which
// also folds gamma into the inverse deviation). The [F] chain is a small loop of
// its own; the [B, F] part broadcasts mean, scale and beta along the rows.
// It applies to every batch_norm_eval node (the eval function; a train step that
// keeps a layer in evaluation mode too), after autodiff, so the backward still sees
// one node with one VJP rule, and before the fusions. It leaves batch_norm_train
// alone: fuse-bn-leaky-relu makes it one row-statistics kernel.
#pragma once

#include "passes/pass.h"

namespace minigrad::passes {

class LowerBatchNormEval : public Pass {
 public:
  std::string_view name() const override { return "lower-batch-norm-eval"; }
  bool run(ir::Module& m) override;
};

}  // namespace minigrad::passes
