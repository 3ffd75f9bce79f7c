// The flags of the pass pipeline (disabling passes, printing the IR after passes,
// timing, statistics, a dump directory, fusion debugging), shared by minigradc
// train, minigradc dump-ir and minigrad-opt. They fill passes::PipelineOptions.
#pragma once

#include <CLI/CLI.hpp>

#include "passes/pipeline.h"

namespace minigrad::tools {

void add_pipeline_flags(CLI::App* cmd, passes::PipelineOptions& options);

// A repeatable option into a vector: one value per occurrence (--set a=1 --set b=2).
// CLI11 2.1 gives a vector option allow_extra_args, which expected(1) leaves on, so
// that "--disable-pass=cse seed_mlp" would take the positional model as a second
// value; this turns that off.
inline CLI::Option* repeatable(CLI::Option* o) {
  return o->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

}  // namespace minigrad::tools
