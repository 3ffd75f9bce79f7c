// The flags of the pass pipeline (disabling passes, printing the IR after passes,
// timing, statistics, a dump directory, fusion debugging), shared by minigradc
// train, minigradc dump-ir and minigrad-opt. They fill passes::PipelineOptions.
#pragma once

#include <CLI/CLI.hpp>

#include "passes/pipeline.h"

namespace minigrad::tools {

void add_pipeline_flags(CLI::App* cmd, passes::PipelineOptions& options);

}  // namespace minigrad::tools
