// The pass pipeline that takes a traced module to what a backend executes.
// Currently: autodiff (expands grad nodes). The fusion and planning passes of the
// pass-manager issue extend this list.
#pragma once

#include "ir/graph.h"

namespace minigrad::passes {

struct PipelineOptions {};

// Runs the pipeline over `m` in place and verifies the result.
void run_pipeline(ir::Module& m, const PipelineOptions& options = {});

}  // namespace minigrad::passes
