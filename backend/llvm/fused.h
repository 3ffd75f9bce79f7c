// Kernels of the fused kinds, as the passes define them (their
// docs/fusion-kinds.md): `elementwise` (one loop, elementwise.cpp), `matmul`
// (the generated GEMM with the elementwise epilogue evaluated on its accumulator
// tiles before they are stored), `bn_act` (batch norm's passes with the
// activation applied as y is stored), `bn_act_grad` (batch norm's backward with
// dy recomputed from the activation's backward at every point, never stored) and
// `loss_grad` (per row: max, sum of exponentials, and from them the loss term
// and the argmax hit when the body has softmax_xent and correct; then one pass
// writing softmax - target, scaled). A body that does not have its kind's form is
// lowered node after node, each node a kernel of its own (codegen.cpp): slower,
// and the same result.
#pragma once

#include "backend/llvm/kernel.h"

namespace minigrad::jit {

enum class FusedPlan { Loop, Matmul, BnAct, BnActGrad, LossGrad, NodeByNode };

// How a fused node will be compiled: its kind's kernel if its body has the kind's form.
FusedPlan plan_fused(const ir::Node& node);
// Scratch bytes of a fused node's kernel under a plan other than NodeByNode.
int64_t fused_scratch_bytes(const ir::Node& node, FusedPlan plan, const TargetInfo& target);
// Emits the kernel of a fused node under a plan other than NodeByNode.
void emit_fused(Kernel& k, FusedPlan plan);

}  // namespace minigrad::jit
