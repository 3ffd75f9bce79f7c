// Memory planning: places every value a function computes in one arena so that
// values whose lifetimes do not overlap share bytes. A value lives from the node
// that defines it to its last use (a sink's position counts as a use); sources
// (inputs, state loads, constants) and fused bodies' internals are not planned:
// backends read inputs and state where they are. Placement is first-fit over a
// free list in definition order, with 64-byte alignment; a request that fits no
// free block extends the free block at the top of the arena if there is one. The
// plan reports its peak against the sum of all planned values, the memory an
// unplanned run would take.
//
// A backend that executes a planned function must write a store_state's value to
// the state buffer no later than that node (the value may be reused after it), and
// keep the IR's rule that every load sees the state as it was on entry: the tracer
// never loads a state after storing it, and the planner checks this.
//
// By default no result shares bytes with an operand of its own node. With
// PlanOptions::in_place, a result of an elementwise loop (a kElementwise op, or a
// fused node of kind "elementwise") may take the buffer of one of the node's
// operands that dies there and has the result's type exactly; MemoryPlan::reuses
// says which. A backend that asks for this must, at every element index, read
// every input of the loop before writing any output (and must not mark the two
// pointers noalias); docs/fusion-kinds.md states it.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/graph.h"

namespace minigrad::passes {

struct PlanOptions {
  bool in_place = false;  // elementwise results may reuse a dying operand's buffer
};

struct MemoryPlan {
  static constexpr int64_t kAlign = 64;
  std::vector<int64_t> offset;   // per ValueId: byte offset in the arena, -1 if not planned
  int64_t arena_bytes = 0;       // the planned peak
  int64_t unplanned_bytes = 0;   // every planned value in a buffer of its own
  std::vector<ir::ValueId> reuses;  // per ValueId: the operand whose buffer it took in place, or -1
};

MemoryPlan plan_memory(const ir::Function& f, const PlanOptions& options = {});

}  // namespace minigrad::passes
