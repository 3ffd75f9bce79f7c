// all_reduce(x){ranks}: a call into the host (mg_all_reduce, run_context.h), which
// sums x over the ranks through the installed collectives (backend/collectives.h)
// into the result. Communication is not code the JIT generates: the kernel is the
// call. It is never split over threads (work_cycles is 0 for it), and the entry
// calls it in node order like every kernel, so every rank runs its all_reduces in
// the same order; under --profile its call site's time is the communication time.
#include "backend/collectives.h"
#include "backend/llvm/kernel.h"
#include "backend/llvm/run_context.h"

namespace minigrad::jit {

extern "C" void mg_all_reduce(int32_t dtype, const void* in, void* out, int64_t n) {
  run_all_reduce(static_cast<ir::DType>(dtype), in, out, n);
}

void emit_all_reduce(Kernel& k) {
  auto& b = k.e.b();
  llvm::FunctionCallee f = k.e.module().getOrInsertFunction(
      kAllReduceSymbol, llvm::FunctionType::get(b.getVoidTy(), {k.e.i32(), k.e.ptr(), k.e.ptr(), k.e.i64()}, false));
  b.CreateCall(f, {b.getInt32(static_cast<uint32_t>(k.dtype(0))), k.in[0].ptr, k.out[0].ptr,
                   b.getInt64(static_cast<uint64_t>(k.in[0].type.numel()))});
}

}  // namespace minigrad::jit
