// The seed project's best model: Linear(128,192) -> BatchNorm -> LeakyReLU ->
// Linear(192,10), trained with Adam (lr 1e-3, weight decay 1e-3) and cross-entropy
// with label smoothing 0.3 at batch 64 (those are minigradc train's defaults).
// The input and class counts come from the data.
#include "frontend/dsl.h"

using namespace minigrad;

MINIGRAD_MODEL(args) {
  int64_t width = args.get_int("width", 192);
  return nn::Sequential{
      nn::Linear(args.in_features, width),
      nn::BatchNorm1d(width),
      nn::LeakyReLU(0.01),
      nn::Linear(width, args.num_classes),
  };
}
