// fuse-loss-grad: the VJP of softmax cross-entropy, (softmax(x) - t) * g/N with
// t = (1 - ls) one_hot(labels) + ls/C, becomes one `fused {kind="loss_grad"}` node:
// a row-wise kernel that takes the logits and the labels and writes the gradient
// of the logits, with neither the softmax nor the target ever stored.
// The pattern: softmax(x) used once, by sub(softmax(x), t); t made from one
// one_hot(labels) by elementwise nodes with constants (the smoothing), each used
// once; then, if the difference is used once by a multiplication with a scalar,
// that multiplication too. The softmax_xent and correct nodes of the same logits
// and labels (the step's loss and count of correct rows), if any, join the node as
// its second and third results, so the rows' maxima and sums of exponentials are
// computed once for all three. A masked gradient (docs/ir.md, "Partial batches"),
// mask_rows(that product, n), joins too, and then so do the masked heads
// softmax_xent(x, labels, n) and correct(x, labels, n): the kernel computes rows
// r < n and writes zeros below.
// It applies after autodiff and the simplifications (which fold g/N into one
// constant), before elementwise fusion would split the pattern. It does not fire
// on a softmax used elsewhere, a target with other uses, or the backward of
// log_softmax + nll left unfused (run fuse-softmax-xent first); it says why under
// --debug-fusion.
#pragma once

#include "passes/pass.h"

namespace minigrad::passes {

class FuseLossGrad : public Pass {
 public:
  std::string_view name() const override { return "fuse-loss-grad"; }
  bool run(ir::Module& m) override;
};

}  // namespace minigrad::passes
