// The settings of a command that starts from a checkpoint: which run settings the
// command line gave, and the run's settings merged from the checkpoint's saved ones
// (runtime/run_config_json.h, merge_saved) for each way of using a checkpoint.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "runtime/checkpoint.h"
#include "runtime/experiment.h"

namespace minigrad::tools {

// The run settings given on `cmd`'s command line, as run_config_json keys.
std::vector<std::string> given_settings(const CLI::App* cmd);

// --resume: every setting is the checkpoint's; only epochs, evaluation, backend and
// data may be given, and any other given setting must equal the saved one.
runtime::RunConfig config_to_resume(const runtime::CheckpointInfo& info, const runtime::RunConfig& flags,
                                    const std::vector<std::string>& given, const std::string& ckpt);
// --init: the model and its preprocessing are the checkpoint's (unless given), the
// training settings the command line's.
runtime::RunConfig config_to_init(const runtime::CheckpointInfo& info, const runtime::RunConfig& flags,
                                  const std::vector<std::string>& given, const std::string& ckpt);
// eval and predict: the model and run settings from the checkpoint unless given (the
// backend, evaluation batch and data are the command's own); the preprocessing
// cannot change.
runtime::RunConfig config_to_use(const runtime::CheckpointInfo& info, const runtime::RunConfig& flags,
                                 const std::vector<std::string>& given, const std::string& ckpt);

}  // namespace minigrad::tools
