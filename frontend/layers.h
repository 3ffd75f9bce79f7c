// The built-in layers, with PyTorch's semantics and state names (DESIGN.md):
// Linear, BatchNorm1d, ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Dropout. Each
// records the line where it was constructed; the nodes its forward() makes carry it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "frontend/init.h"
#include "frontend/module.h"

namespace minigrad {
struct Sharding;  // frontend/trace.h
}

namespace minigrad::nn {

// y = x W + b, W stored [in, out] (PyTorch stores [out, in]; checkpoints transpose).
class Linear : public Module {
 public:
  Linear(int64_t in, int64_t out, bool bias = true, Initializer init = init::kaiming_uniform(), Here here = {});
  Linear(int64_t in, int64_t out, Here here) : Linear(in, out, true, init::kaiming_uniform(), here) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  int64_t in_, out_;
  bool bias_;
  Initializer init_;
};

// Batch normalisation over the batch axis of [N, F]. Training uses the batch mean
// and biased variance and updates running_mean and running_var (unbiased) with
// momentum m: r = (1 - m) r + m batch_stat; momentum nullopt is PyTorch's
// momentum=None, the cumulative average (m = 1 / num_batches_tracked).
//
// In a data-parallel step (trace.h's Sharding) with sync_batchnorm, the
// statistics are those of the global batch, as one process computes them: the
// layer is traced as arithmetic with the sums all-reduced,
//   mean = all_reduce(sum_rows x) / B,  var = all_reduce(sum_rows (x - mean)^2) / B,
//   y = (x - mean) rsqrt(var + eps) gamma + beta,
// and autodiff's backward all-reduces the sums of the gradient in turn (the VJP of
// all_reduce). The centred second sum costs a second all_reduce but is the
// one-process formula, where sum x^2 / B - mean^2 would lose digits to cancellation.
// Without sync_batchnorm each rank normalises over its own rows (batch_norm_train,
// as PyTorch DDP does by default) and the running statistics take the mean over the
// ranks of the ranks' statistics, so that every rank keeps the same state.
//
// BatchNorm2d (image_layers.h) is this layer on [N, C, H, W]: each statistic is
// over the N H W positions of a channel (the positions per row S = H W stand in
// for one row each above: the batch is N S positions, n_rows S when masked).
class BatchNorm1d : public Module {
 public:
  BatchNorm1d(int64_t features, double eps = 1e-5, std::optional<double> momentum = 0.1, Here here = {});
  BatchNorm1d(int64_t features, Here here) : BatchNorm1d(features, 1e-5, 0.1, here) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 protected:
  int rank_ = 2;  // of the input: 2, or 4 for BatchNorm2d

 private:
  void update_running_stats(const Tensor& mean, const Tensor& var, int64_t batch, int64_t spatial,
                            const Tensor& n_rows = Tensor());
  Tensor sync_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Sharding& sh);
  int64_t features_;
  double eps_;
  std::optional<double> momentum_;
};

class ReLU : public Module {
 public:
  explicit ReLU(Here here = {}) : Module(here) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override { return "ReLU()"; }
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double slope = 0.01, Here here = {}) : Module(here), slope_(slope) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  double slope_;
};

class Sigmoid : public Module {
 public:
  explicit Sigmoid(Here here = {}) : Module(here) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override { return "Sigmoid()"; }
};

class Tanh : public Module {
 public:
  explicit Tanh(Here here = {}) : Module(here) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override { return "Tanh()"; }
};

class Identity : public Module {
 public:
  explicit Identity(Here here = {}) : Module(here) {}
  Tensor forward(const Tensor& x) override { return x; }
  std::string describe() const override { return "Identity()"; }
};

// Inverted dropout: zero with probability p and scale by 1 / (1 - p) in training.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, Here here = {});
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  double p_;
};

// An activation by name: "none" (identity), "relu", "leaky_relu", "sigmoid", "tanh".
AnyModule activation(const std::string& name, Here here = {});

}  // namespace minigrad::nn
