// Kernels of the fused kinds, as the passes define them (their
// docs/fusion-kinds.md): `elementwise` (one loop, elementwise.cpp), `matmul`
// (the generated GEMM with the elementwise epilogue evaluated on its accumulator
// tiles before they are stored), `matmul_update` (the same kernel over a weight
// gradient, whose epilogue is the parameter's optimiser update: it reads the
// parameter and its moments at each point and writes their new values there, in
// place), `bn_act` (batch norm's passes with the activation applied as y is
// stored), `bn_act_grad` (batch norm's backward with dy recomputed from the
// activation's backward at every point, never stored) and `loss_grad` (per row:
// max, sum of exponentials, and from them the loss term and the argmax hit when
// the body has softmax_xent and correct; then one pass writing softmax - target,
// scaled). A body that does not have its kind's form is lowered node after node,
// each node a kernel of its own (codegen.cpp): slower, and the same result.
//
// Everything the code generator knows of a kind is one FusedKernel entry
// (fused_kernel(), a switch over ir::FusedKind without default).
#pragma once

#include <cstdint>
#include <optional>

#include "backend/llvm/kernel.h"
#include "ir/fused_kind.h"

namespace minigrad::jit {

struct FusedKernel {
  // Whether a body has the form this kind's kernel needs.
  bool (*form)(const ir::Function& body);
  // Scratch bytes of the kernel (per thread) on target t, unaligned.
  int64_t (*scratch_bytes)(const ir::Node& n, const TargetInfo& t);
  // Cycles the kernel is expected to take (node_kernels.h: whether splitting pays).
  int64_t (*cycles)(const ir::Function& f, const ir::Node& n, unsigned lanes);
  // Whether the kernel reads element i of operand `operand` (of the results'
  // shape) only, and before it writes element i of its results: it may then run
  // in place over that operand.
  bool (*in_place)(const ir::Node& n, size_t operand);
  void (*emit)(Kernel& k);
};

const FusedKernel& fused_kernel(ir::FusedKind kind);
// The cycles of batch norm's kernels (batch_norm.h) over x = operand 0 of n (the
// ops and the fused kinds bn_act and bn_act_grad).
int64_t bn_cycles(const ir::Function& f, const ir::Node& n, unsigned lanes);

// The kind of a fused node whose body has that kind's form (one kernel), or
// nothing: the body is lowered node by node (a body outside its kind's form, or
// hand-written IR with a kind no backend knows).
std::optional<ir::FusedKind> plan_fused(const ir::Node& node);

}  // namespace minigrad::jit
