// The tracer: runs a network, a loss and an optimiser symbolically for one batch
// size and returns the IR module of the whole model:
//
//   @train_step(x: f32[B,F], labels: i32[B][, n_rows: i32[]]) -> loss, correct
//       step += 1; forward in training mode (batch statistics, dropout); loss;
//       grad(loss, every parameter); the optimiser's update; running statistics.
//   @eval(x: f32[B,F], labels: i32[B][, n_rows: i32[]]) -> loss, correct, logits
//       forward in evaluation mode (running statistics, no dropout).
//
// The gradients are a `grad` node at this stage; the autodiff pass expands it.
#pragma once

#include <cstdint>
#include <string>

#include "frontend/here.h"
#include "frontend/loss.h"
#include "frontend/module.h"
#include "frontend/optim.h"
#include "frontend/trace.h"
#include "ir/graph.h"

namespace minigrad {

struct TraceSpec {
  std::string name = "model";
  int64_t batch = 64;
  int64_t in_features = 0;
  int64_t num_classes = 0;
  bool output_grads = false;  // train_step also outputs "grad.<param>" for each parameter
  // A data-parallel train_step (trace.h): `batch` is this rank's rows of the
  // global batch. Its loss is this rank's share of the global batch's mean, its
  // gradients are summed over the ranks (grad {ranks}), and the loss and correct
  // outputs are the whole batch's (all_reduce). @eval is traced as always.
  Sharding sharding{};
  // Both functions take a third input n_rows: i32[] in [1, batch], the rows of the
  // batch that count (docs/ir.md, "Partial batches"): x and labels are masked with
  // mask_rows, and the losses, correct and batch norm take n_rows, so one trace
  // serves every batch of up to `batch` rows. Not with a data-parallel sharding.
  bool masked_rows = false;
};

// The nodes the tracer adds itself (inputs, outputs, the step count, the grad
// node, the count of correct rows) are located at "<trace>".
ir::Module trace(nn::Module& net, nn::Loss& loss, optim::Optimizer& opt, const TraceSpec& spec,
                 Here here = Here::setting("<trace>"));

}  // namespace minigrad
