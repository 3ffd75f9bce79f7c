// Code generation of one IR function into an LLVM module. The module defines one
// entry point,
//   i32 mg_entry(ptr inputs, ptr outputs, ptr state, ptr arena, ptr context)
// where inputs, outputs and state are tables of buffer addresses (in the order of
// the function's input and output nodes, and of `state_names`), arena is
// `arena_bytes` of 64-byte-aligned memory that holds every planned intermediate
// value and the kernels' scratch, and context a RunContext (run_context.h). The
// entry calls one generated kernel per compute node, in order, over those
// addresses: no allocation, no dispatch. It returns 0, or 1 after a kernel filled
// the error record (see kernel.h).
//
// No address is baked into the code, so the object can be cached and reused by
// another process. Anything that cannot be compiled is an Error naming the node.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include "backend/llvm/emitter.h"
#include "backend/llvm/kernel.h"
#include "ir/gemm_dims.h"
#include "ir/graph.h"

namespace minigrad::jit {

inline constexpr const char* kEntryName = "mg_entry";

struct CodegenOptions {
  bool profile = false;  // count the nanoseconds of each call site (RunContext::profile)
  int threads = 1;       // split large kernels across this many threads
};

// What one profile counter measures: a call site of the entry, and the GEMM its
// node computes, if any.
struct CallSite {
  std::string what;  // "matmul @ seed_mlp.cpp:12:5"
  std::optional<ir::GemmDims> gemm;
};

struct Generated {
  std::unique_ptr<llvm::Module> module;
  std::vector<std::string> state_names;  // the state table's order
  int64_t arena_bytes = 0;
  ErrorSites sites;
  int64_t kernels = 0;
  std::vector<CallSite> call_sites;  // with profile: what each counter measures
  std::vector<std::string> notes;    // "<kernel>: <how it was lowered>" (GEMM plans), for dumps
};

Generated generate(const ir::Module& m, const ir::Function& f, const TargetInfo& target, llvm::LLVMContext& ctx,
                   const CodegenOptions& options = {});

}  // namespace minigrad::jit
