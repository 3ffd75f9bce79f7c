// Ahead-of-time compilation: a planned module's train_step and eval, for any
// target target.h can select, as one relocatable object with a C ABI whose
// symbols all start with the library's name, and that object as a static archive.
// The code is what the JIT would run for that target (the same generate() and O3
// pipeline per function, one thread, no profile counters), so on the host it
// computes the same bits; around it the object holds
//   int32_t NAME_init(void* state, uint64_t seed)        every state, as runtime/init_state.cpp
//                                                         fills it (the same generator and formulas)
//   int32_t NAME_train_step(void* state, void* arena, const float* x, const int32_t* labels,
//                           int64_t n_rows, NAME_metrics* out)
//   int32_t NAME_eval(state, arena, x, labels, n_rows, NAME_metrics* out, float* out_logits)
//   int32_t NAME_predict(state, arena, x, n_rows, float* out_logits)
// and nothing it calls outside libc and libm (memcpy, memset, log, cos): no thread
// pool, no clock, no allocation, no global state. The state is one block holding
// every state tensor at its offset (AotLibrary::states), the arena one block of
// arena_bytes; both the caller's, 64-byte aligned. Errors are returned as codes
// (aot_error_codes in aot.cpp; the header lists them), never printed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/llvm/target_spec.h"
#include "ir/graph.h"

namespace minigrad {

struct AotOptions {
  std::string name;         // the symbol prefix: a C identifier
  jit::TargetSpec target;   // the machine (default: the host)
  bool pic = true;          // position-independent code (a static library that may go into a PIE or .so)
};

struct AotState {
  const ir::StateDecl* decl = nullptr;  // in the module compiled
  int64_t offset = 0, bytes = 0;        // within the state block
};

// One check a step makes (a label in range, ...): error code 3 sets
// NAME_metrics.error to {site, a, b}; `text` says what a and b are.
struct AotErrorSite {
  std::string function;  // train_step or eval
  int64_t site = 0;
  std::string text;      // "cross_entropy at seed_mlp.cpp:20: label <b> in row <a> is outside [0, 10)"
};

struct AotLibrary {
  std::string object;   // the object file's bytes
  std::string archive;  // a static archive holding it as NAME.o
  std::string triple, cpu, figures;  // the target (figures: target.h's one line)
  std::vector<AotState> states;
  int64_t state_bytes = 0, arena_bytes = 0;
  int64_t batch = 0, features = 0, classes = 0;
  std::vector<AotErrorSite> errors;
};

// Compiles `m` (train_step and eval, after the pass pipeline; x is f32 [B, F], labels
// i32 [B]) for o.target. Error naming the function or node that cannot be compiled.
AotLibrary aot_compile(const ir::Module& m, const AotOptions& o);

}  // namespace minigrad
