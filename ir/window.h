// The geometry of a convolution or pooling window over NCHW images, read from a
// node's attributes: the one place where its index algebra is written. Along each
// spatial axis (height, width) with input extent I, kernel K, stride s, padding p
// and dilation d:
//   output extent  O = (I + 2 p - d (K - 1) - 1) / s + 1   (floor; O >= 1 required)
//   input position of output o and kernel tap t:  i = o s + t d - p  (outside [0, I): padding)
// The interpreter, the JIT and the type rules all use these functions.
#pragma once

#include <cstdint>
#include <string>

#include "ir/attrs.h"

namespace minigrad::ir {

struct Axis {
  int64_t kernel = 1, stride = 1, pad = 0, dilation = 1;
  // O for input extent `in`; <= 0 when the window does not fit.
  int64_t out(int64_t in) const { return (in + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1; }
  int64_t at(int64_t o, int64_t t) const { return o * stride + t * dilation - pad; }
};

struct Window {
  Axis h, w;
  int64_t groups = 1;
};

// The window of a conv2d-family or pool2d-family node's attributes. Convolutions
// take the kernel extents from the weight ([F, C/g, KH, KW]); `kernel` (pools,
// conv2d_weight_grad) from the attribute. Throws Error when an attribute is not a
// pair of positive (padding: non-negative) integers.
Window window_of(const Attrs& attrs, int64_t kh, int64_t kw);
Window window_of(const Attrs& attrs);  // with kernel = attrs["kernel"]
// "kernel 5x5 stride 1x1 padding 2x2" (dilation and groups when not 1), for messages.
std::string describe(const Window& w);

}  // namespace minigrad::ir
