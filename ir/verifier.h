// The verifier: checks that a module is well formed. Every operand is defined
// earlier in its function (SSA dominance); every node has its op's arity, legal
// attributes and the result types its type rule gives; loads and stores name
// declared state of the same type; a state is stored at most once per function;
// input and output names are unique. Problems are reported together, each naming
// the function, the node as printed and its source location.
#pragma once

#include "ir/graph.h"

namespace minigrad::ir {

// Throws Error listing every problem found; returns normally if there is none.
void verify(const Module& m);
void verify(const Function& f, const Module* m = nullptr);

}  // namespace minigrad::ir
