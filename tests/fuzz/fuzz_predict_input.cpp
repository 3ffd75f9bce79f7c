// libFuzzer target: the input of `minigradc predict` (tools/cmd_predict.cpp): a
// .npy file of rows read as f32 [N, F] and prepared as the model's checkpoint says
// (runtime/inference.h: every value finite, F the fitted features, then the fitted
// preprocessing), here a standard scaler and a PCA to 2 of 3 features.
#include "ir/error.h"
#include "runtime/inference.h"
#include "runtime/npy.h"
#include "tests/fuzz/fuzz_file.h"

namespace {
minigrad::runtime::CheckpointInfo fitted() {
  using namespace minigrad::runtime;
  FittedPreprocessing p;
  p.config.scale = Scale::Standard;
  p.config.pca = 2;
  p.in_features = 3;
  p.pca = PcaParams{{0.5, -1, 2}, {1, 0, 0, 1, 0.5, 0.5}, {2, 1}, 3, 2};
  p.scale = ScaleParams{Scale::Standard, {0.1, 0.2}, {1.5, 0.5}};
  CheckpointInfo info;
  info.preprocessing = p;
  info.in_features = 2;
  info.num_classes = 10;
  return info;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace minigrad;
  static const runtime::CheckpointInfo info = fitted();
  std::filesystem::path p = fuzz::input_file(data, size, "rows.npy");
  try {
    Buffer raw = runtime::to_buffer(runtime::read_npy(p, {2}), ir::DType::F32, "rows.npy");
    runtime::prepare_rows(raw, info, "rows.npy");
  } catch (const Error&) {
  }
  return 0;
}
