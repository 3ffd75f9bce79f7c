// Code generation of one IR function into an LLVM module. The module defines one
// entry point,
//   i32 mg_entry(ptr inputs, ptr outputs, ptr state, ptr arena, ptr err)
// where inputs, outputs and state are tables of buffer addresses (in the order of
// the function's input and output nodes, and of `state_names`), and arena is
// `arena_bytes` of 64-byte-aligned memory that holds every planned intermediate
// value and the kernels' scratch. The entry calls one generated kernel per compute
// node, in order, over those addresses: no allocation, no dispatch. It returns 0,
// or 1 after a kernel filled the error record err[0..2] (see kernel.h).
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
#include "ir/graph.h"

namespace minigrad::jit {

inline constexpr const char* kEntryName = "mg_entry";

struct Generated {
  std::unique_ptr<llvm::Module> module;
  std::vector<std::string> state_names;  // the state table's order
  int64_t arena_bytes = 0;
  ErrorSites sites;
  int64_t kernels = 0;
};

Generated generate(const ir::Module& m, const ir::Function& f, const TargetInfo& target, llvm::LLVMContext& ctx);

}  // namespace minigrad::jit
