// Losses: a scalar of the batch from the network's scores [N, C] and the i32
// labels [N].
//   CrossEntropyLoss(ls): mean over rows of -sum_c t_c log_softmax(x)_c with
//     t = (1 - ls) one_hot + ls / C. Traced as one softmax_xent op (its VJP is
//     the stable (softmax - t) / N), or, with fused = false, as log_softmax then
//     nll, which the fuse-softmax-xent pass merges back.
//   MSELoss: mean over all elements of (x - one_hot(labels))^2.
#pragma once

#include <string>

#include "frontend/here.h"
#include "frontend/tensor.h"

namespace minigrad::nn {

class Loss {
 public:
  explicit Loss(Here here = {}) : here_(here) {}
  virtual ~Loss() = default;
  virtual Tensor forward(const Tensor& scores, const Tensor& labels) = 0;
  virtual std::string describe() const = 0;
  Tensor operator()(const Tensor& scores, const Tensor& labels) { return forward(scores, labels); }

 protected:
  Here here_;
};

class CrossEntropyLoss : public Loss {
 public:
  explicit CrossEntropyLoss(double label_smoothing = 0, bool fused = true, Here here = {});
  Tensor forward(const Tensor& scores, const Tensor& labels) override;
  std::string describe() const override;

 private:
  double label_smoothing_;
  bool fused_;
};

class MSELoss : public Loss {
 public:
  explicit MSELoss(Here here = {}) : Loss(here) {}
  Tensor forward(const Tensor& scores, const Tensor& labels) override;
  std::string describe() const override { return "MSELoss()"; }
};

}  // namespace minigrad::nn
