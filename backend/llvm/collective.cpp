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

extern "C" void mg_all_reduce_start(int64_t bucket, int32_t dtype, int64_t k, const void* const* in, void* const* out,
                                    const int64_t* counts) {
  run_all_reduce_start(bucket, static_cast<ir::DType>(dtype), k, in, out, counts);
}

extern "C" void mg_all_reduce_wait(int64_t bucket, int32_t dtype, int64_t k, const void* const* in, void* const* out,
                                   const int64_t* counts) {
  run_all_reduce_wait(bucket, static_cast<ir::DType>(dtype), k, in, out, counts);
}

extern "C" void mg_collective_progress() { run_collective_progress(); }

void emit_all_reduce_half(Kernel& k, const char* symbol) {
  auto& b = k.e.b();
  uint64_t parts = k.in.size();
  auto* ptrs_type = llvm::ArrayType::get(k.e.ptr(), parts);
  auto* counts_type = llvm::ArrayType::get(k.e.i64(), parts);
  llvm::Value* ins = b.CreateAlloca(ptrs_type, nullptr, "ins");
  llvm::Value* outs = b.CreateAlloca(ptrs_type, nullptr, "outs");
  llvm::Value* counts = b.CreateAlloca(counts_type, nullptr, "counts");
  for (uint64_t i = 0; i < parts; ++i) {
    b.CreateStore(k.in[i].ptr, b.CreateConstInBoundsGEP2_64(ptrs_type, ins, 0, i));
    b.CreateStore(k.out[i].ptr, b.CreateConstInBoundsGEP2_64(ptrs_type, outs, 0, i));
    b.CreateStore(b.getInt64(static_cast<uint64_t>(k.in[i].type.numel())),
                  b.CreateConstInBoundsGEP2_64(counts_type, counts, 0, i));
  }
  llvm::FunctionCallee f = k.e.module().getOrInsertFunction(
      symbol, llvm::FunctionType::get(b.getVoidTy(), {k.e.i64(), k.e.i32(), k.e.i64(), k.e.ptr(), k.e.ptr(), k.e.ptr()},
                                      false));
  b.CreateCall(f, {b.getInt64(static_cast<uint64_t>(k.node.attrs.i("bucket"))), b.getInt32(static_cast<uint32_t>(k.dtype(0))),
                   b.getInt64(parts), ins, outs, counts});
}

}  // namespace minigrad::jit
