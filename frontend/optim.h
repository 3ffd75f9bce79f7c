// Optimisers. Each writes the update of every parameter as IR, after the
// gradients, so that one function is the whole training step. Semantics follow
// torch.optim (PyTorch 1.13): weight decay is added to the gradient (L2), except in
// AdamW where it is decoupled; Adam's bias correction uses the step count t.
//   SGD:   d = g + wd p;  b = mu b + d (if mu > 0, else b = d);  p -= lr b
//   Adam:  d = g + wd p;  m = b1 m + (1 - b1) d;  v = b2 v + (1 - b2) d^2;
//          p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
//   AdamW: p *= 1 - lr wd; then Adam with wd = 0.
// Optimiser state is named "optim.<param>.exp_avg", ".exp_avg_sq",
// ".momentum_buffer"; the step counter is the state "step".
#pragma once

#include <string>
#include <vector>

#include "frontend/here.h"
#include "frontend/tensor.h"

namespace minigrad::optim {

class Optimizer {
 public:
  explicit Optimizer(double lr, double weight_decay, Here here);
  virtual ~Optimizer() = default;
  virtual std::string describe() const = 0;
  // Appends the update of each parameter (its state name and current gradient) to
  // the current trace; `step` is the i32 step count of this update (1 on the first).
  virtual void update(const std::vector<std::string>& params, const std::vector<Tensor>& grads,
                      const Tensor& step) = 0;
  double lr() const { return lr_; }
  double weight_decay() const { return weight_decay_; }

 protected:
  double lr_, weight_decay_;
  Here here_;
};

class SGD : public Optimizer {
 public:
  explicit SGD(double lr, double weight_decay = 0, double momentum = 0, Here here = {});
  void update(const std::vector<std::string>& params, const std::vector<Tensor>& grads, const Tensor& step) override;
  std::string describe() const override;

 private:
  double momentum_;
};

class Adam : public Optimizer {
 public:
  explicit Adam(double lr = 1e-3, double weight_decay = 0, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8, Here here = {});
  void update(const std::vector<std::string>& params, const std::vector<Tensor>& grads, const Tensor& step) override;
  std::string describe() const override;

 protected:
  // The Adam step for one parameter, with decay `wd` added to its gradient.
  void adam_step(const std::string& name, const Tensor& p, const Tensor& g, double wd, const Tensor& step_size,
                 const Tensor& bc2_sqrt);
  double beta1_, beta2_, eps_;
  bool decoupled_ = false;
};

class AdamW : public Adam {
 public:
  explicit AdamW(double lr = 1e-3, double weight_decay = 1e-2, double beta1 = 0.9, double beta2 = 0.999,
                 double eps = 1e-8, Here here = {});
  std::string describe() const override;
};

}  // namespace minigrad::optim
