// Memory planning: places every value a function computes in one arena so that
// values whose lifetimes do not overlap share bytes. A value lives from the node
// that defines it to its last use (a sink's position counts as a use); sources
// (inputs, state loads, constants) and fused bodies' internals are not planned:
// backends read inputs and state where they are. Placement is first-fit over a
// free list in definition order, with 64-byte alignment. The plan reports its peak
// against the sum of all planned values, the memory an unplanned run would take.
//
// A backend that executes a planned function must write a store_state's value to
// the state buffer no later than that node (the value may be reused after it), and
// keep the IR's rule that every load sees the state as it was on entry: the tracer
// never loads a state after storing it, and the planner checks this.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/graph.h"

namespace minigrad::passes {

struct MemoryPlan {
  static constexpr int64_t kAlign = 64;
  std::vector<int64_t> offset;   // per ValueId: byte offset in the arena, -1 if not planned
  int64_t arena_bytes = 0;       // the planned peak
  int64_t unplanned_bytes = 0;   // every planned value in a buffer of its own
};

MemoryPlan plan_memory(const ir::Function& f);

}  // namespace minigrad::passes
