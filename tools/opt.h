// minigrad-opt (also `minigradc opt`): runs a list of passes over an IR text file
// and prints the result, for pass tests and for looking at one pass at a time:
//
//   minigrad-opt FILE -p cse -p dce            # these passes, in this order
//   minigrad-opt FILE --pipeline optimized     # the default pipeline up to a stage
//   minigrad-opt FILE --split-input-file ...   # each "// -----" section on its own
//
// FILE "-" reads standard input. The pipeline flags (--print-after-all,
// --debug-fusion, ...) work as in minigradc train. With --split-input-file, a
// section that fails prints its error to stderr and the others still run; the
// exit status is then 1.
#pragma once

#include <CLI/CLI.hpp>

#include "passes/pipeline.h"

namespace minigrad::tools {

struct OptFlags {
  std::string input = "-";
  std::vector<std::string> passes;  // -p NAME (repeatable) or -p a,b,c
  std::string stage;                // --pipeline STAGE: the default pipeline up to STAGE
  bool split = false;
  bool no_locs = false;
  std::string output;
  passes::PipelineOptions pipeline;
};

// Adds the options of minigrad-opt to `cmd`.
void add_opt_flags(CLI::App* cmd, OptFlags& flags);
// Runs them; returns the exit status (1 if some section failed).
int run_opt(const OptFlags& flags);

// `minigradc opt`.
void add_opt_command(CLI::App& app);

}  // namespace minigrad::tools
