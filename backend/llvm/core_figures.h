// The figures of a target's cores that the GEMM's cost model uses (gemm/plan.cpp):
// vector FMAs issued per cycle, an FMA's latency, vector loads per cycle. LLVM
// reports a target's registers (their width and number: jit.cpp's host_target) but
// not these in a form a code generator can read, so they are a table here, keyed by
// the target's architecture and CPU name as LLVM names them. Where the CPU is not in
// the table, its architecture's typical core stands for it.
#pragma once

#include "backend/llvm/emitter.h"

namespace minigrad::jit {

// Sets t's fma_per_cycle, fma_latency and loads_per_cycle from t.triple and t.cpu.
// An architecture with no figures here is an error naming it (the cost model would
// otherwise plan for a core it knows nothing about).
void set_core_figures(TargetInfo& t);

}  // namespace minigrad::jit
