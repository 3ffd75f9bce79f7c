// all-reduce-grads: the gradient sum of a data-parallel step. Each rank of a run
// over N processes (runtime/distributed) computes the gradient of its shard's part
// of the loss (the sum over its rows divided by the global batch); the gradient of
// the whole batch's loss is the sum of those over the ranks:
//   dL/dw = d/dw (1/B sum_{rows of all ranks} l) = sum_r d/dw (1/B sum_{rows of rank r} l).
// For a grad node with ranks = N > 1 this pass puts an all_reduce {ranks = N} after
// each of its results and makes every use of the result (the optimiser's update)
// read the sum instead. It runs just before autodiff, which then writes the
// backward graph in the grad node's place, so the all_reduce reads the gradient
// autodiff computed and the update reads the all_reduce (dump-ir --stage autodiff
// shows them). A grad node with ranks = 1 (one process) is left alone; the pass is
// required, since autodiff would otherwise train each rank on its own shard.
#pragma once

#include "passes/pass.h"

namespace minigrad::passes {

class AllReduceGrads : public Pass {
 public:
  std::string_view name() const override { return "all-reduce-grads"; }
  bool run(ir::Module& m) override;
};

// The pass on one function; whether it inserted anything.
bool all_reduce_grads(ir::Function& f);

}  // namespace minigrad::passes
