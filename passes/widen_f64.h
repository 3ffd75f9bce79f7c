// widen_to_f64: a copy of a module with every f32 value, state and attribute
// (cast and one_hot dtypes) made f64. The gradient checks run the widened module
// through the interpreter so that central differences are accurate; nothing else
// changes, so the widened module computes the same function in double precision.
#pragma once

#include "ir/graph.h"

namespace minigrad::passes {

ir::Module widen_to_f64(const ir::Module& m);
ir::Function widen_to_f64(const ir::Function& f);

}  // namespace minigrad::passes
