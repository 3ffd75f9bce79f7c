// The JIT as a backend of the runtime: registers "jit" (backend/llvm) with
// make_backend (runtime/program.h). This file is in minigrad_runtime_jit, which
// minigrad_runtime links whole (its registrar is referenced by nothing), so that
// linking minigrad_runtime chooses the JIT and linking minigrad_runtime_core alone
// leaves LLVM out.
#include "backend/llvm/jit_backend.h"
#include "runtime/program.h"

namespace minigrad::runtime {
namespace {

std::unique_ptr<Backend> make_jit(const ProgramOptions& o) {
  JitBackendOptions j;
  j.threads = o.threads;
  j.cache_dir = o.jit_cache;
  j.gemm = o.gemm;
  j.denormals_as_zero = o.flush_denormals;
  j.profile = o.profile;
  return make_jit_backend(j);
}

const BackendRegistrar jit_registrar{"jit", &make_jit};

}  // namespace
}  // namespace minigrad::runtime
