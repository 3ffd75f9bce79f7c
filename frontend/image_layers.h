// Layers and functions for images in NCHW layout, with PyTorch's semantics and
// state_dict names: Conv2d (weight [out, in/groups, kh, kw], bias [out]),
// MaxPool2d, AvgPool2d (count_include_pad), Flatten, BatchNorm2d (statistics per
// channel over N, H and W; BatchNorm1d's options and running statistics). Sizes
// are checked where the layer is constructed; shapes where it is called (the type
// rules of ir/type_rules_image.cpp, with the model line).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "frontend/init.h"
#include "frontend/layers.h"
#include "frontend/module.h"

namespace minigrad {

// [height, width]; one number means both.
struct Size2 {
  int64_t h, w;
  Size2(int64_t both) : h(both), w(both) {}
  Size2(int64_t height, int64_t width) : h(height), w(width) {}
};

namespace F {
// conv2d(x[N,C,H,W], w[F,C/groups,KH,KW]) (ir/ops.def states the sum).
Tensor conv2d(const Tensor& x, const Tensor& w, Size2 stride = 1, Size2 padding = 0, Size2 dilation = 1,
              int64_t groups = 1, Here here = {});
Tensor max_pool2d(const Tensor& x, Size2 kernel, std::optional<Size2> stride = std::nullopt, Size2 padding = 0,
                  Here here = {});
Tensor avg_pool2d(const Tensor& x, Size2 kernel, std::optional<Size2> stride = std::nullopt, Size2 padding = 0,
                  Here here = {});
}  // namespace F

namespace nn {

struct Conv2dOptions {
  Size2 stride = 1, padding = 0, dilation = 1;
  int64_t groups = 1;
  bool bias = true;
  Initializer init = init::kaiming_uniform();  // fan_in = in/groups kh kw
};

class Conv2d : public Module {
 public:
  Conv2d(int64_t in, int64_t out, Size2 kernel, Size2 stride = 1, Size2 padding = 0, Here here = {});
  Conv2d(int64_t in, int64_t out, Size2 kernel, Conv2dOptions options, Here here = {});
  Conv2d(int64_t in, int64_t out, Size2 kernel, Here here) : Conv2d(in, out, kernel, 1, 0, here) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  int64_t in_, out_;
  Size2 kernel_;
  Conv2dOptions o_;
};

// Pooling windows; the stride defaults to the kernel, as in PyTorch. Pool2d holds
// what the two share; MaxPool2d and AvgPool2d only name the kind.
class Pool2d : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 protected:
  enum class Kind { Max, Avg };
  Pool2d(Kind kind, Size2 kernel, std::optional<Size2> stride, Size2 padding, Here here);

 private:
  Kind kind_;
  Size2 kernel_, stride_, padding_;
};

class MaxPool2d : public Pool2d {
 public:
  explicit MaxPool2d(Size2 kernel, std::optional<Size2> stride = std::nullopt, Size2 padding = 0, Here here = {})
      : Pool2d(Kind::Max, kernel, stride, padding, here) {}
  MaxPool2d(Size2 kernel, Here here) : MaxPool2d(kernel, std::nullopt, 0, here) {}
};

class AvgPool2d : public Pool2d {
 public:
  explicit AvgPool2d(Size2 kernel, std::optional<Size2> stride = std::nullopt, Size2 padding = 0, Here here = {})
      : Pool2d(Kind::Avg, kernel, stride, padding, here) {}
  AvgPool2d(Size2 kernel, Here here) : AvgPool2d(kernel, std::nullopt, 0, here) {}
};

// [N, d1, d2, ...] -> [N, d1 d2 ...], as torch.nn.Flatten() (start_dim 1).
class Flatten : public Module {
 public:
  explicit Flatten(Here here = {}) : Module(here) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override { return "Flatten()"; }
};

// [N, F] -> [N, d1, d2, ...] with d1 d2 ... = F, as torch.nn.Unflatten(1, dims): rows
// of pixels as images, e.g. Unflatten({1, 28, 28}) for the bundled digits.
class Unflatten : public Module {
 public:
  explicit Unflatten(std::vector<int64_t> dims, Here here = {});
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  std::vector<int64_t> dims_;
};

// Batch normalisation of [N, C, H, W] per channel (BatchNorm1d's layer on images).
class BatchNorm2d : public BatchNorm1d {
 public:
  BatchNorm2d(int64_t channels, double eps = 1e-5, std::optional<double> momentum = 0.1, Here here = {})
      : BatchNorm1d(channels, eps, momentum, here), channels_(channels) {
    rank_ = 4;
  }
  BatchNorm2d(int64_t channels, Here here) : BatchNorm2d(channels, 1e-5, 0.1, here) {}
  std::string describe() const override;

 private:
  int64_t channels_;
};

}  // namespace nn
}  // namespace minigrad
