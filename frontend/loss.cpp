// Losses; see loss.h.
#include "frontend/loss.h"

#include <fmt/format.h>

#include "frontend/functional.h"
#include "frontend/trace.h"
#include "ir/error.h"

namespace minigrad::nn {

CrossEntropyLoss::CrossEntropyLoss(double label_smoothing, bool fused, Here here)
    : Loss(here), label_smoothing_(label_smoothing), fused_(fused) {
  if (label_smoothing < 0 || label_smoothing > 1)
    fail("{}: label smoothing must be in [0, 1], got {}", ir::to_string(to_loc(here)), label_smoothing);
}

Tensor CrossEntropyLoss::forward(const Tensor& scores, const Tensor& labels) {
  if (fused_) return F::cross_entropy(scores, labels, label_smoothing_, here_);
  return F::nll(F::log_softmax(scores, here_), labels, label_smoothing_, here_);
}

std::string CrossEntropyLoss::describe() const {
  return fmt::format("CrossEntropyLoss(label_smoothing={}{})", label_smoothing_, fused_ ? "" : ", unfused");
}

Tensor MSELoss::forward(const Tensor& scores, const Tensor& labels) {
  if (scores.rank() != 2) fail("{}: MSELoss needs scores [N, C], got {}", ir::to_string(to_loc(here_)), ir::to_string(scores.type()));
  return F::mse(scores, F::one_hot(labels, scores.dim(1), here_), here_);
}

}  // namespace minigrad::nn
