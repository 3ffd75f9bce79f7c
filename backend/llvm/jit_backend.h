// The LLVM JIT as a Backend: compile() generates code for one function
// (codegen.h), optimises and compiles it for the host CPU and loads it (jit.h);
// the executable's run() fills the address tables and calls the generated entry,
// which allocates nothing. Errors found by generated checks (labels out of range,
// ...) become minigrad::Error naming the node and its source line.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "backend/backend.h"
#include "backend/llvm/target_spec.h"
#include "ir/gemm_dims.h"

namespace minigrad {

struct JitBackendOptions {
  std::string cache_dir;  // "" = default location, "off" = no object cache
  int threads = 1;        // intra-step threads
  bool profile = false;   // count nanoseconds per call site of each entry (jit_profile)
  bool denormals_as_zero = false;  // runs (and pool workers) flush subnormals to zero (backend/fp_env.h)
  // The GEMM lowering (backend/llvm/gemm/plan.h): "auto" (the cost model),
  // "tiled" or "blocked"; and cache sizes in bytes to block for instead of the
  // host's (0: the host's). Tests and benchmarks use them to compare lowerings
  // and to reach every edge of the blocking at small shapes.
  std::string gemm = "auto";
  int64_t l1d_bytes = 0, l2_bytes = 0, l3_bytes = 0;
  // Vector registers to generate for instead of the host's (0: the host's), e.g.
  // 128 bits and 32 registers, NEON's shape: the code still runs on this CPU, as
  // LLVM legalises narrower vectors, so every CI run exercises it.
  unsigned vector_bits = 0, vector_registers = 0;
};

std::unique_ptr<Backend> make_jit_backend(const JitBackendOptions& options = {});

// What the JIT reports about its last compile() (for tools and benchmarks).
struct JitCompileStats {
  double seconds = 0;       // generate + optimise + compile + load
  bool from_cache = false;  // the object came from the disk cache
  int64_t kernels = 0;
  int64_t arena_bytes = 0;
};
// The stats of `exe` if it is a JIT executable, else nullptr.
const JitCompileStats* jit_stats(const Executable& exe);

// With JitBackendOptions::profile: the nanoseconds spent at each call site of
// the executable's entry (a kernel, or a copy into an output or a state) since it
// was compiled, in the order of the function's nodes, and the GEMM of the site's
// node (a matmul or fused matmul: M, N, K); empty otherwise. runtime/profile.h
// turns two readings into a per-step report.
struct JitProfileEntry {
  std::string site;  // "matmul @ model.cpp:12:5"
  uint64_t ns = 0;
  std::optional<ir::GemmDims> gemm;
};
std::vector<JitProfileEntry> jit_profile(const Executable& exe);

// Function `func` of `m` after code generation and optimisation for `target`
// (backend/llvm/target_spec.h; the default is the host), as LLVM IR (stage "llvm")
// or assembly (stage "asm"), led by a comment naming the target and the figures
// its code was planned with. Any registered target may be dumped; only the host's
// code is ever run. `threads`: as a run with --threads, large kernels split.
std::string jit_dump(const ir::Module& m, const std::string& func, const std::string& stage,
                     const jit::TargetSpec& target = {}, int threads = 1);

}  // namespace minigrad
