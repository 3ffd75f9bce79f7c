// Where each value of a function lives while its generated code runs (its
// "home"): the caller's input or output buffer, a state buffer, a constant, or a
// byte offset in the arena that memory planning (passes/memory_plan.h) laid out.
//
// Two rewrites save copies at the sinks. A value that a compute node produces and
// an output node returns is written straight into the caller's output buffer. A
// value stored to state S is written straight into S's buffer by the node that
// computes it, when that is safe: no use of a load of S comes after that node,
// except by the node itself reading element i to write element i (an elementwise
// kernel of the same shape: in place). Every other store copies at its node, and a
// load of S that is used after S's store is first copied aside (a snapshot), so
// every load still sees the state as it was on entry.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "passes/memory_plan.h"

namespace minigrad::jit {

struct Home {
  enum class Kind { None, Input, Output, State, Constant, Arena } kind = Kind::None;
  size_t index = 0;    // Input, Output: position; State: index in the state table
  int64_t offset = 0;  // Arena: byte offset
};

struct Homes {
  std::vector<Home> of;                 // per ValueId
  std::vector<std::string> states;      // the state table: names in order of first use
  std::vector<bool> sink_done;          // per node: a sink whose value is already in place
  std::vector<std::pair<size_t, int64_t>> snapshots;  // (state index, arena offset) copied on entry
  int64_t values_bytes = 0;             // planned values and snapshots: the scratch starts here
};

// Whether node n of f writes element i of its results from element i of operand j
// only, after reading it (so it may run in place over that operand).
using InPlaceTest = bool (*)(const ir::Function& f, const ir::Node& n, size_t operand);

// Homes of f's values. `top_level`: sinks are the function's outputs and states
// (else: the outputs of a fused body, written to the fused node's results).
Homes assign_homes(const ir::Function& f, bool top_level, InPlaceTest in_place);

}  // namespace minigrad::jit
