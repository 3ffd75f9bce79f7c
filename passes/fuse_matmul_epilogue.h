// fuse-matmul-epilogue: the elementwise work on a matmul's result (a bias add, an
// activation, an activation's backward) joins the matmul as one
// `fused {kind="matmul"}` node, so the product is finished while it is still in
// registers: y = act(x W + b) is one kernel. Following the matmul in order, every
// elementwise node (or broadcast_to read) of the product's shape that uses a value
// of the group joins it, and so do elementwise nodes of that shape used only by
// the group (the sign test of an activation's backward); the group's outputs are
// its values used outside (the product itself too, if something else needs it).
// It applies after autodiff and after the batch-norm and optimiser fusions (which
// take the nodes they want first), to forward and backward matmuls alike. It does
// not take nodes of another shape, reductions, fused nodes, a node that also
// reads one of the matmul's own operands (the kernel reads those only in its
// product loop), or a node that leads to a store_state through elementwise nodes
// (a state update: an optimiser step over a weight gradient is a loop of its own,
// for fuse-optimizer or fuse-elementwise); it declines a matmul of a value with
// itself and any node whose joining would make the fused node depend on itself,
// saying so under --debug-fusion.
#pragma once

#include "passes/pass.h"

namespace minigrad::passes {

class FuseMatmulEpilogue : public Pass {
 public:
  std::string_view name() const override { return "fuse-matmul-epilogue"; }
  bool run(ir::Module& m) override;
};

}  // namespace minigrad::passes
