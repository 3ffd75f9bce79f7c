// `minigradc compile`: a model, its data shape and its training settings compiled
// ahead of time into a library a C program links (backend/llvm/aot.h) and
// written to a directory:
//   NAME.o, libNAME.a   the code (for the host, or the --target machine)
//   NAME.h              the C ABI: sizes, every state tensor's PyTorch name, dtype,
//                       shape and offset, the entry points, the error codes
//   libNAME.so          with --shared: the same as a shared library (the host only)
//   NAME.prep           with --data: the fitted preprocessing (aot_header.cpp
//                       documents its layout in the header)
// docs/aot.md describes the ABI and what the library can and cannot do.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "backend/llvm/aot.h"
#include "runtime/experiment.h"

namespace minigrad::runtime {

struct AotBundleOptions {
  std::filesystem::path out_dir;  // created if missing
  std::string name;               // the symbol prefix; "" = the model's name made a C identifier
  jit::TargetSpec target;
  bool shared = false;            // also libNAME.so (.dylib on macOS), linked by the system C compiler (host only)
};

struct AotBundle {
  std::string name;
  std::vector<std::filesystem::path> files;  // what was written
  AotLibrary library;
};

// Compiles config's model for data of `features` x `classes` at config.batch rows
// per step; writes the preprocessing file when `prep` is given.
AotBundle write_aot_bundle(const RunConfig& config, int64_t features, int64_t classes,
                           const std::optional<FittedPreprocessing>& prep, const AotBundleOptions& o);

// The C header of a compiled library (aot_header.cpp).
std::string aot_header(const std::string& name, const RunConfig& config, const AotLibrary& lib,
                       const std::optional<FittedPreprocessing>& prep);

// The preprocessing file's bytes (layout: in the header aot_header writes).
std::string aot_preprocessing_file(const FittedPreprocessing& prep);

}  // namespace minigrad::runtime
