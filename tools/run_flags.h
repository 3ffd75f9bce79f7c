// The flags that describe a run (model, data, preprocessing, optimiser, loss,
// epochs, ...), shared by the subcommands that train, evaluate or dump a model.
#pragma once

#include <CLI/CLI.hpp>

#include "runtime/experiment.h"
#include "tools/pipeline_flags.h"

namespace minigrad::tools {

extern const CLI::Validator kPositive, kNonNegative;
// The text of an integer that fits int (kInt) or int64_t (kInt64), checked before
// CLI11 converts it (which would saturate an out-of-range value silently).
extern const CLI::Validator kInt, kInt64;

struct RunFlags {
  runtime::RunConfig config;
  std::vector<std::string> set;  // name=value
  std::string scale = "standard";
  bool no_shuffle = false;
  int64_t seed = 0;  // config.seed, read signed so that a negative seed is refused, not wrapped

  // Completes `config` from the parsed flags; Error on a malformed --set.
  runtime::RunConfig finish() const;
};

// MODEL positional plus every run flag; `data_required` makes --data mandatory.
void add_run_flags(CLI::App* cmd, RunFlags& flags, bool data_required);

// --mask-rows / --no-mask-rows, for the subcommands that run epochs (train, bench):
// how a partial last batch runs (runtime/experiment.h RunConfig::mask_rows).
void add_mask_rows_flag(CLI::App* cmd, bool& mask_rows);

}  // namespace minigrad::tools
