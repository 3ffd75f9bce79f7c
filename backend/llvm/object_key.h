// The key of a cached object (object_cache.h), apart from LLVM's headers so that
// tests can compute keys: a digest of the module's LLVM IR and of every other
// input of code generation.
#pragma once

#include <string>

namespace minigrad::jit {

// Every input of code generation besides the LLVM IR itself: each is part of an
// object's key, so changing any of them (a custom pass pipeline through
// MINIGRAD_JIT_PIPELINE, the target, the code generator's options, LLVM or
// minigrad's code generator) misses the cache rather than loading a stale object.
struct ObjectKeyInputs {
  std::string codegen_version;  // minigrad's code generator and pass pipeline, bumped on change
  std::string pipeline;         // MINIGRAD_JIT_PIPELINE's text; "" for the default O3 pipeline
  std::string llvm_version;
  std::string triple, cpu, features;
  unsigned vector_bits = 0;
  int threads = 1;
  bool profile = false;
};

// The key of an object: a digest of `inputs` and of the module's LLVM IR text.
std::string object_key(const ObjectKeyInputs& inputs, const std::string& llvm_ir);

}  // namespace minigrad::jit
