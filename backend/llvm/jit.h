// The JIT session: one LLVM ORC LLJIT for the host CPU, shared by the executables
// of one backend. Its target is target.h's host instance (getHostCPUName and its
// features, through JITTargetMachineBuilder::detectHost; the width of its vector
// registers as the target reports them); the JIT never runs code for another target; it runs the O3 pipeline for that CPU on each module
// (an IRTransformLayer, as LLVM's OrcV2Examples/LLJITWithOptimizingIRTransform
// does), compiles it, and loads it into a JITDylib of its own, which is removed
// when the executable goes. Compiled objects are cached on disk (object_cache.h)
// under a key that hashes the IR function, the CPU, its features and the code
// generator's version, so a second run skips optimisation and compilation.
//
// LLVM's errors (llvm::Error, llvm::Expected) stay inside backend/llvm; this
// interface throws minigrad::Error.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/Target/TargetMachine.h>

#include "backend/llvm/emitter.h"
#include "backend/llvm/target.h"

namespace minigrad::jit {

class DiskObjectCache;

struct JitOptions {
  std::string cache_dir;  // "" = the default (see object_cache.h); "off" disables the cache
};

class JitSession {
 public:
  explicit JitSession(const JitOptions& options);
  ~JitSession();

  const TargetInfo& target() const { return target_; }

  struct Loaded {
    llvm::orc::JITDylib* dylib = nullptr;
    void* entry = nullptr;
    bool from_cache = false;
  };
  // Optimises (unless the cache has it), compiles and loads `module`, whose
  // identifier is its cache key, into a new JITDylib; returns `symbol`'s address.
  Loaded load(std::unique_ptr<llvm::Module> module, std::unique_ptr<llvm::LLVMContext> ctx, const std::string& symbol);
  void unload(llvm::orc::JITDylib* dylib);

  // Runs the O3 pipeline for the host CPU over m (target.h's run_pipeline).
  void optimize(llvm::Module& m);
  llvm::Error run_pipeline(llvm::Module& m);
  // m as host assembly.
  std::string assembly(llvm::Module& m);

 private:
  llvm::orc::SymbolMap host_symbols();

  Target host_;  // the host instance of target.h: its machine runs the pipeline and prints assembly
  TargetInfo target_;
  std::unique_ptr<DiskObjectCache> cache_;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  std::mutex mutex_;
  int64_t dylibs_ = 0;
};

// The LLVM pass pipeline that $MINIGRAD_JIT_PIPELINE names, "" when unset (the
// default O3 pipeline): run_pipeline uses it and object keys include it.
std::string custom_pipeline();

// A hex digest of `text`, for cache keys.
std::string digest(const std::string& text);

}  // namespace minigrad::jit
