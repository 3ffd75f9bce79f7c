// The memory a compiled model will take, computed from its IR before anything is
// allocated: every state (parameters, optimiser moments, running statistics) and
// each function's planned arena of intermediate values (passes/memory_plan.h).
// A model too big for the machine (or for --max-memory) is refused with the figure
// and the DSL line of its biggest tensor, rather than ending in std::bad_alloc.
// Sizes use checked arithmetic (ir/checked.h): a shape whose bytes overflow is an
// Error naming the value too.
#pragma once

#include <cstdint>
#include <string>

#include "ir/graph.h"

namespace minigrad::runtime {

struct MemoryNeed {
  int64_t state_bytes = 0;  // parameters and optimiser state
  int64_t arena_bytes = 0;  // the planned intermediates of every function
  int64_t biggest_bytes = 0;
  std::string biggest;      // "state 0.weight f32[99999999999,128]" or "a value f32[64,99999999999]"
  std::string biggest_at;   // the DSL line(s) that made it
  int64_t total() const;
};

MemoryNeed memory_need(const ir::Module& m);

// The machine's physical memory in bytes (sysconf), 0 if unknown.
int64_t machine_memory();

// An Error if `m` needs more than `limit` bytes (0: the machine's memory), naming
// the figures and the biggest tensor's DSL line. `model` names the model.
void check_memory(const ir::Module& m, int64_t limit, const std::string& model);

// An Error if a state or value of the traced `m` has more bytes than a 64-bit size
// holds, naming the model, the tensor and its DSL line. Called before the pass
// pipeline, whose memory planner computes with these sizes (--set width=2^62).
void check_sizes(const ir::Module& m, const std::string& model);

// "1.5 GiB"
std::string format_bytes(int64_t bytes);

}  // namespace minigrad::runtime
