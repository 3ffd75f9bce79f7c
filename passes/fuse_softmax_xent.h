// fuse-softmax-xent: a cross-entropy traced as separate ops becomes the one
// softmax_xent op, with or without label smoothing:
//   nll(log_softmax(x), labels) {ls}   -> softmax_xent(x, labels) {ls}
//   nll(log(softmax(x)), labels) {ls}  -> softmax_xent(x, labels) {ls}
// softmax_xent's forward is a stable log-sum-exp and its VJP is (softmax(x) - t) g/N
// with t = (1 - ls) one_hot + ls/C, where the separate ops' VJPs would compose
// g - e^y sum(g) through log_softmax (or 1/softmax through log, which overflows).
// It belongs before autodiff, so that the backward is written from the fused op.
// It does not fire when the nll's scores come from anything else (log of a
// sigmoid, a log_softmax reshaped between), and it keeps a log_softmax or softmax
// that other nodes still use.
#pragma once

#include "passes/pass.h"

namespace minigrad::passes {

class FuseSoftmaxXent : public Pass {
 public:
  std::string_view name() const override { return "fuse-softmax-xent"; }
  bool run(ir::Module& m) override;
};

}  // namespace minigrad::passes
