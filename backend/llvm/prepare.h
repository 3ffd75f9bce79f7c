// What generate() (codegen.h) checks and rewrites in a function before lowering
// it; none of it needs LLVM.
//   check_constants: every i32 constant, in fused bodies too, fits in i32 (an
//     error naming the node otherwise).
//   loads_after_store / hoist_loads: a function that loads a state after storing
//     it (legal: every load sees the state as it was on entry) is lowered with its
//     load_state nodes moved to the front, which changes nothing and lets memory
//     planning place the stores.
#pragma once

#include "ir/graph.h"

namespace minigrad::jit {

void check_constants(const ir::Function& f);
bool loads_after_store(const ir::Function& f);
ir::Function hoist_loads(const ir::Function& f);

}  // namespace minigrad::jit
