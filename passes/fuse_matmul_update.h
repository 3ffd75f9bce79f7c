// fuse-matmul-update: a parameter whose gradient is one matmul (dW = X^T dY)
// feeding its optimiser update through elementwise nodes alone gets that update
// in the matmul's epilogue: one `fused {kind="matmul_update"}` node computes the
// product and, at each (row, col) of it, the new parameter and moments from the
// old ones (read there, written there: the backend runs it in place over the
// state buffers), so the gradient is never stored. The group is the matmul and
// the parameter's update cone (update_cone in fusion.h: the loop nodes of the
// parameter's shape from which the stores of the parameter and of its slots
// "optim.P.*" are reached), the same nodes fuse-optimizer would make a loop of.
//
// Why a group of its own, taken before fuse-optimizer, and not an extension of
// the epilogue fusion: the group is defined by the parameter's stores (backwards,
// the whole update or nothing), not by the matmul's consumers (forwards, any
// elementwise node that reads the product), and it must decline when anything
// else reads the gradient, where the epilogue fusion would output the product;
// its kernel differs from `matmul` only in running in place over the states.
//
// It is valid only when nothing sits between the gradient's matmul and the
// update. A pass that inserts a node there (a gradient all_reduce for
// distributed training, a gradient clip reading the global norm) makes the
// update's operand something other than the matmul, or gives the gradient a use
// outside the update: either way this pass declines (tests/passes/
// fuse_matmul_update.mgir has both). It also declines a gradient made of several
// matmuls (a weight used twice: their sum), a matmul whose operand the update
// also reads or computes, and an update value something other than a
// store_state reads; it says why under --debug-fusion.
#pragma once

#include "passes/pass.h"

namespace minigrad::passes {

class FuseMatmulUpdate : public Pass {
 public:
  std::string_view name() const override { return "fuse-matmul-update"; }
  bool run(ir::Module& m) override;
};

}  // namespace minigrad::passes
