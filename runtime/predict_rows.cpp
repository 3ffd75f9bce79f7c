// The rows given to `predict`, prepared as the checkpoint's data were; see
// inference.h. On its own, apart from the programs of inference.cpp, so that the
// fuzz target of predict's input (tests/fuzz) links without the backends.
#include <cmath>

#include "ir/error.h"
#include "runtime/inference.h"

namespace minigrad::runtime {

Buffer prepare_rows(const Buffer& raw, const CheckpointInfo& info, const std::string& what) {
  int64_t features = raw.type().shape[1];
  for (int64_t i = 0; i < raw.numel(); ++i)
    if (!std::isfinite(raw.as<float>()[i]))
      fail("{}: row {} holds {}: every feature must be a finite number", what, i / features, raw.as<float>()[i]);
  if (!info.preprocessing) return raw;
  if (features != info.preprocessing->in_features)
    fail("{}: {} features per row, but the model was trained on {}", what, features, info.preprocessing->in_features);
  return apply_preprocessing(*info.preprocessing, raw);
}

}  // namespace minigrad::runtime
