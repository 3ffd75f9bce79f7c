// The GEMM's entry points; see gemm.h. emit_matmul is the `matmul` op's kernel
// (kernel.h): its plan is made for the threads the kernel is split over, and its
// units are the plan's.
#include "backend/llvm/gemm/gemm.h"

#include "backend/llvm/kernel.h"

namespace minigrad::jit {

using llvm::Value;

void emit_gemm(Emitter& e, const GemmPlan& plan, Value* c, Value* a, Value* b, Value* scratch,
               const GemmEpilogue& epilogue, Value* begin, Value* end) {
  Value* u0 = begin ? begin : e.idx(0);
  Value* u1 = end ? end : e.idx(plan.units);
  switch (plan.lowering) {
    case GemmLowering::Tiled: return emit_tiled_gemm(e, plan, c, a, b, scratch, epilogue, u0, u1);
    case GemmLowering::Blocked: return emit_blocked_gemm(e, plan, c, a, b, scratch, epilogue, u0, u1);
  }
}

GemmShape matmul_shape(const ir::Type& a, const ir::Type& b, bool ta, bool tb) {
  GemmShape s;
  s.ta = ta, s.tb = tb, s.dtype = a.dtype;
  s.m = ta ? a.shape[1] : a.shape[0];
  s.k = ta ? a.shape[0] : a.shape[1];
  s.n = tb ? b.shape[0] : b.shape[1];
  return s;
}

GemmShape matmul_shape(const ir::Function& f, const ir::Node& mm) {
  return matmul_shape(f.type(mm.operands[0]), f.type(mm.operands[1]), mm.attrs.b("transpose_a"),
                      mm.attrs.b("transpose_b"));
}

void emit_matmul(Kernel& k) {
  GemmShape s = matmul_shape(k.in[0].type, k.in[1].type, k.node.attrs.b("transpose_a"), k.node.attrs.b("transpose_b"));
  GemmPlan plan = plan_gemm(s, k.e.target(), false, k.threads);
  k.units = plan.units;
  k.note = plan.describe();
  emit_gemm(k.e, plan, k.out[0].ptr, k.in[0].ptr, k.in[1].ptr, k.scratch, {}, k.begin, k.end);
}

// The scratch does not depend on the threads: units share the blocks' sizes.
int64_t matmul_scratch_bytes(const ir::Type& a, const ir::Type& b, bool ta, bool tb, const TargetInfo& t) {
  return plan_gemm(matmul_shape(a, b, ta, tb), t, false, 1).scratch_bytes;
}

}  // namespace minigrad::jit
