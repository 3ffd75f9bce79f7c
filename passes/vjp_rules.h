// The vector-Jacobian product of every op: given the cotangents of a node's
// results, the IR that computes the cotangents of its operands. One rule per op,
// all in vjp_rules.cpp; the autodiff pass (autodiff.h) calls them in reverse
// topological order and sums the contributions.
#pragma once

#include <vector>

#include "ir/builder.h"

namespace minigrad::passes {

struct VjpArgs {
  ir::Builder& b;                 // inserts the backward nodes, located at the forward node's line
  const ir::Node& node;           // the forward node
  std::vector<ir::ValueId> dout;  // cotangent of each result; -1 where it is zero
  std::vector<bool> need;         // which operands need a cotangent
};

// The cotangent of each operand (-1: none, or not needed). Throws Error for an op
// that has no VJP rule (kNoVjp).
std::vector<ir::ValueId> vjp(VjpArgs& a);

}  // namespace minigrad::passes
