// Finding a model: MODEL is the name of an example compiled into the program
// ("seed_mlp"), or a path to a model file written with the DSL. A model file is
// compiled with the host C++ compiler into a shared object, cached under the cache
// directory by a hash of its text, the DSL headers and the compile command, and
// loaded with dlopen; a second run with the same file does not recompile. Compile
// errors are shown as the compiler reports them, with the file and line.
#pragma once

#include <string>

#include "frontend/model.h"

namespace minigrad::runtime {

struct ModelSource {
  std::string name;  // "seed_mlp"
  std::string file;  // the model file, for messages
  ModelFn build;
  bool compiled_now = false;  // false: built in, or found in the cache
};

ModelSource load_model(const std::string& spec);

// $MINIGRAD_CACHE_DIR, else $XDG_CACHE_HOME/minigrad, else ~/.cache/minigrad.
std::string cache_dir();

}  // namespace minigrad::runtime
