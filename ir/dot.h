// Graphviz DOT export of a module: one cluster per function, a box per node
// (op, result types, DSL line), an arrow per use. `dot -Tsvg` draws it.
#pragma once

#include <string>

#include "ir/graph.h"

namespace minigrad::ir {

std::string to_dot(const Module& m);

}  // namespace minigrad::ir
