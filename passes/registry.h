// Every pass by its CLI name: the one place that knows them all. The pipeline
// (pipeline.cpp) and minigrad-opt create passes from here.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "passes/pass.h"

namespace minigrad::passes {

struct PassInfo {
  std::string_view name;     // CLI name, matching the file passes/<name with _>.cpp
  std::string_view summary;  // one line, for --help and errors
  bool required;             // the pipeline cannot run without it (autodiff)
  std::unique_ptr<Pass> (*make)();
};

const std::vector<PassInfo>& all_passes();
const PassInfo* find_pass(std::string_view name);

// The pass named `name`; Error listing the known names otherwise.
std::unique_ptr<Pass> make_pass(std::string_view name);

// "a, b, c": the known names, for messages.
std::string pass_names();

}  // namespace minigrad::passes
