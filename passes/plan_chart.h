// A picture of the memory plan (memory_plan.h), as a hand-written SVG: one panel
// per function, every planned buffer a bar that spans the nodes it is live over
// (x: the step's node order, from the node that defines it through its last use)
// at its place in the arena (y: byte offset .. offset + its bytes), coloured by the
// class of the node that computes it (as the DOT graph colours it). A dashed line
// marks the planned peak; the title gives it against the unplanned sum, as
// describe_plan does. Bars that share a height band at different times are reuse.
// Hovering a bar shows its value, type, bytes, live range and DSL line. Each panel
// and bar carries data-* attributes (function, peak, unplanned sum, buffer count;
// value, offset, bytes, live range) so tests can check the picture against the plan.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "passes/memory_plan.h"

namespace minigrad::passes {

struct PlannedFunction {
  const ir::Function* function;
  MemoryPlan plan;
};

std::string plan_chart_svg(const std::string& title, const std::vector<PlannedFunction>& functions);

}  // namespace minigrad::passes
