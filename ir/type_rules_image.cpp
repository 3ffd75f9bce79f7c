// The type rules of the image ops (convolution and pooling over NCHW, ir/ops.def):
// ranks, channel counts and groups, and output extents from ir/window.h, each
// rejected with the reason ("the kernel 5x5 is larger than the padded image 3x3").
#include <fmt/format.h>

#include "ir/error.h"
#include "ir/type_rules.h"
#include "ir/window.h"

namespace minigrad::ir {
namespace {

const Type& operand(const TypeRuleArgs& a, size_t i) { return a.operands[i]; }

// x must be a float [N, C, H, W] image batch.
void need_images(const Type& t, const char* what) {
  if (t.shape.rank() != 4 || !is_float(t.dtype))
    fail("{} must be an f32 or f64 [N, C, H, W] image batch, got {}", what, to_string(t));
}

// The output extents of window w over an H x W image, each >= 1.
std::pair<int64_t, int64_t> out_extents(const Window& w, int64_t h, int64_t v) {
  int64_t oh = w.h.out(h), ow = w.w.out(v);
  if (oh < 1 || ow < 1)
    fail("the window ({}) does not fit the image {}x{} with its padding", describe(w), h, v);
  return {oh, ow};
}

// The weight [F, C/g, KH, KW] against C input channels and g groups.
void need_weight(const Type& w, DType dt, int64_t channels, int64_t groups) {
  if (w.shape.rank() != 4 || w.dtype != dt)
    fail("the weight must be {}[F, C/groups, KH, KW], got {}", dtype_name(dt), to_string(w));
  if (channels % groups != 0 || w.shape[0] % groups != 0)
    fail("groups {} must divide the input channels {} and the filters {}", groups, channels, w.shape[0]);
  if (w.shape[1] * groups != channels)
    fail("the weight {} takes {} input channels per group, but the input has {} channels in {} group(s)",
         to_string(w), w.shape[1], channels, groups);
}

}  // namespace

std::vector<Type> type_conv2d(const TypeRuleArgs& a) {
  const Type &x = operand(a, 0), &w = operand(a, 1);
  need_images(x, "conv2d's input");
  need_weight(w, x.dtype, x.shape[1], a.attrs.i("groups"));
  Window win = window_of(a.attrs, w.shape[2], w.shape[3]);
  auto [oh, ow] = out_extents(win, x.shape[2], x.shape[3]);
  return {Type{x.dtype, Shape{x.shape[0], w.shape[0], oh, ow}}};
}

std::vector<Type> type_conv2d_input_grad(const TypeRuleArgs& a) {
  const Type &dy = operand(a, 0), &w = operand(a, 1);
  need_images(dy, "conv2d_input_grad's dy");
  const std::vector<int64_t>& in = a.attrs.ints("input");
  if (in.size() != 2 || in[0] < 1 || in[1] < 1) fail("attribute 'input' must be [height, width] of the input");
  int64_t groups = a.attrs.i("groups");
  if (w.shape.rank() != 4 || w.dtype != dy.dtype || w.shape[0] != dy.shape[1])
    fail("the weight must be {}[{}, C/groups, KH, KW], got {}", dtype_name(dy.dtype), dy.shape[1], to_string(w));
  need_weight(w, dy.dtype, w.shape[1] * groups, groups);
  Window win = window_of(a.attrs, w.shape[2], w.shape[3]);
  if (out_extents(win, in[0], in[1]) != std::pair{dy.shape[2], dy.shape[3]})
    fail("dy {} is not conv2d's output shape for an input of {}x{} ({})", to_string(dy), in[0], in[1], describe(win));
  return {Type{dy.dtype, Shape{dy.shape[0], w.shape[1] * groups, in[0], in[1]}}};
}

std::vector<Type> type_conv2d_weight_grad(const TypeRuleArgs& a) {
  const Type &dy = operand(a, 0), &x = operand(a, 1);
  need_images(dy, "conv2d_weight_grad's dy");
  need_images(x, "conv2d_weight_grad's input");
  if (dy.dtype != x.dtype || dy.shape[0] != x.shape[0])
    fail("dy {} and the input {} must have the same dtype and batch", to_string(dy), to_string(x));
  Window win = window_of(a.attrs);
  int64_t groups = win.groups, filters = dy.shape[1], channels = x.shape[1];
  if (channels % groups != 0 || filters % groups != 0)
    fail("groups {} must divide the input channels {} and the filters {}", groups, channels, filters);
  if (out_extents(win, x.shape[2], x.shape[3]) != std::pair{dy.shape[2], dy.shape[3]})
    fail("dy {} is not conv2d's output shape for the input {} ({})", to_string(dy), to_string(x), describe(win));
  return {Type{x.dtype, Shape{filters, channels / groups, win.h.kernel, win.w.kernel}}};
}

std::vector<Type> type_pool2d(const TypeRuleArgs& a) {
  const Type& x = operand(a, 0);
  need_images(x, fmt::format("{}'s input", a.info.name).c_str());
  Window win = window_of(a.attrs);
  if (win.h.pad * 2 > win.h.kernel || win.w.pad * 2 > win.w.kernel)
    fail("padding must be at most half the kernel ({})", describe(win));
  auto [oh, ow] = out_extents(win, x.shape[2], x.shape[3]);
  return {Type{x.dtype, Shape{x.shape[0], x.shape[1], oh, ow}}};
}

std::vector<Type> type_max_pool2d_grad(const TypeRuleArgs& a) {
  const Type &dy = operand(a, 0), &x = operand(a, 1);
  need_images(x, "max_pool2d_grad's input");
  Window win = window_of(a.attrs);
  auto [oh, ow] = out_extents(win, x.shape[2], x.shape[3]);
  if (dy != Type{x.dtype, Shape{x.shape[0], x.shape[1], oh, ow}})
    fail("dy {} is not max_pool2d's output type for the input {}", to_string(dy), to_string(x));
  return {x};
}

std::vector<Type> type_avg_pool2d_grad(const TypeRuleArgs& a) {
  const Type& dy = operand(a, 0);
  need_images(dy, "avg_pool2d_grad's dy");
  const std::vector<int64_t>& in = a.attrs.ints("input");
  if (in.size() != 2 || in[0] < 1 || in[1] < 1) fail("attribute 'input' must be [height, width] of the input");
  Window win = window_of(a.attrs);
  if (out_extents(win, in[0], in[1]) != std::pair{dy.shape[2], dy.shape[3]})
    fail("dy {} is not avg_pool2d's output shape for an input of {}x{}", to_string(dy), in[0], in[1]);
  return {Type{dy.dtype, Shape{dy.shape[0], dy.shape[1], in[0], in[1]}}};
}

}  // namespace minigrad::ir
