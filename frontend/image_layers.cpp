// Image layers and functions; see image_layers.h.
#include "frontend/image_layers.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "frontend/functional.h"
#include "frontend/trace.h"
#include "ir/error.h"

namespace minigrad {
namespace {

std::vector<int64_t> pair(Size2 s) { return {s.h, s.w}; }
std::string text(Size2 s) { return s.h == s.w ? fmt::format("{}", s.h) : fmt::format("({}, {})", s.h, s.w); }

ir::Attrs pool_attrs(Size2 kernel, Size2 stride, Size2 padding) {
  return {{"kernel", pair(kernel)}, {"stride", pair(stride)}, {"padding", pair(padding)}};
}

// Sizes of a layer, checked where it is constructed: each at least `least`.
void need(const Here& here, const char* layer, const char* what, Size2 s, int64_t least) {
  if (s.h < least || s.w < least)
    fail("{}: {} {} must be >= {}, got {}", ir::to_string(to_loc(here)), layer, what, least, text(s));
}

}  // namespace

namespace F {

Tensor conv2d(const Tensor& x, const Tensor& w, Size2 stride, Size2 padding, Size2 dilation, int64_t groups,
              Here here) {
  TraceContext& c = TraceContext::current();
  ir::Attrs a{{"stride", pair(stride)}, {"padding", pair(padding)}, {"dilation", pair(dilation)}, {"groups", groups}};
  return c.emit1(ir::Op::Conv2d, {c.id(x), c.id(w)}, std::move(a), here);
}

Tensor max_pool2d(const Tensor& x, Size2 kernel, std::optional<Size2> stride, Size2 padding, Here here) {
  TraceContext& c = TraceContext::current();
  return c.emit1(ir::Op::MaxPool2d, {c.id(x)}, pool_attrs(kernel, stride.value_or(kernel), padding), here);
}

Tensor avg_pool2d(const Tensor& x, Size2 kernel, std::optional<Size2> stride, Size2 padding, Here here) {
  TraceContext& c = TraceContext::current();
  return c.emit1(ir::Op::AvgPool2d, {c.id(x)}, pool_attrs(kernel, stride.value_or(kernel), padding), here);
}

}  // namespace F

namespace nn {

Conv2d::Conv2d(int64_t in, int64_t out, Size2 kernel, Size2 stride, Size2 padding, Here here)
    : Conv2d(in, out, kernel, Conv2dOptions{stride, padding}, here) {}

Conv2d::Conv2d(int64_t in, int64_t out, Size2 kernel, Conv2dOptions options, Here here)
    : Module(here), in_(in), out_(out), kernel_(kernel), o_(options) {
  if (in < 1 || out < 1) fail("{}: Conv2d({}, {}) needs positive channel counts", ir::to_string(to_loc(here)), in, out);
  need(here, "Conv2d", "kernel", kernel, 1);
  need(here, "Conv2d", "stride", o_.stride, 1);
  need(here, "Conv2d", "padding", o_.padding, 0);
  need(here, "Conv2d", "dilation", o_.dilation, 1);
  if (o_.groups < 1 || in % o_.groups != 0 || out % o_.groups != 0)
    fail("{}: Conv2d groups {} must divide the channels in ({}) and out ({})", ir::to_string(to_loc(here)),
         o_.groups, in, out);
}

Tensor Conv2d::forward(const Tensor& x) {
  if (x.rank() != 4 || x.dim(1) != in_)
    fail("{}: {} expects [N, {}, H, W] images, got {}{}", ir::to_string(to_loc(here_)), describe(), in_,
         ir::to_string(x.type()), x.rank() == 2 ? " (reshape rows of pixels first: x.reshape({-1, C, H, W}))" : "");
  Tensor w = param("weight", {out_, in_ / o_.groups, kernel_.h, kernel_.w}, o_.init);
  Tensor y = F::conv2d(x, w, o_.stride, o_.padding, o_.dilation, o_.groups, here_);
  if (o_.bias) y = F::add(y, param("bias", {out_}, init::zeros()).reshape({out_, 1, 1}, here_), here_);
  return y;
}

std::string Conv2d::describe() const {
  std::string s = fmt::format("Conv2d({}, {}, kernel_size={}", in_, out_, text(kernel_));
  if (o_.stride.h != 1 || o_.stride.w != 1) s += ", stride=" + text(o_.stride);
  if (o_.padding.h != 0 || o_.padding.w != 0) s += ", padding=" + text(o_.padding);
  if (o_.dilation.h != 1 || o_.dilation.w != 1) s += ", dilation=" + text(o_.dilation);
  if (o_.groups != 1) s += fmt::format(", groups={}", o_.groups);
  return s + ")";
}

Pool2d::Pool2d(Kind kind, Size2 kernel, std::optional<Size2> stride, Size2 padding, Here here)
    : Module(here), kind_(kind), kernel_(kernel), stride_(stride.value_or(kernel)), padding_(padding) {
  const char* layer = kind == Kind::Max ? "MaxPool2d" : "AvgPool2d";
  need(here, layer, "kernel", kernel_, 1);
  need(here, layer, "stride", stride_, 1);
  need(here, layer, "padding", padding_, 0);
}

Tensor Pool2d::forward(const Tensor& x) {
  return kind_ == Kind::Max ? F::max_pool2d(x, kernel_, stride_, padding_, here_)
                            : F::avg_pool2d(x, kernel_, stride_, padding_, here_);
}

std::string Pool2d::describe() const {
  return fmt::format("{}(kernel_size={}, stride={}, padding={})", kind_ == Kind::Max ? "MaxPool2d" : "AvgPool2d",
                     text(kernel_), text(stride_), text(padding_));
}

Tensor Flatten::forward(const Tensor& x) {
  if (x.rank() < 2) fail("{}: Flatten needs [N, ...], got {}", ir::to_string(to_loc(here_)), ir::to_string(x.type()));
  return x.reshape({x.dim(0), x.type().numel() / x.dim(0)}, here_);
}

Unflatten::Unflatten(std::vector<int64_t> dims, Here here) : Module(here), dims_(std::move(dims)) {
  for (int64_t d : dims_)
    if (d < 1) fail("{}: Unflatten({}) needs positive extents", ir::to_string(to_loc(here)), fmt::join(dims_, ", "));
}

Tensor Unflatten::forward(const Tensor& x) {
  int64_t numel = 1;
  for (int64_t d : dims_) numel *= d;
  if (x.rank() != 2 || x.dim(1) != numel)
    fail("{}: {} expects [N, {}], got {}", ir::to_string(to_loc(here_)), describe(), numel, ir::to_string(x.type()));
  std::vector<int64_t> shape{x.dim(0)};
  shape.insert(shape.end(), dims_.begin(), dims_.end());
  return x.reshape(shape, here_);
}

std::string Unflatten::describe() const { return fmt::format("Unflatten(1, ({}))", fmt::join(dims_, ", ")); }

std::string BatchNorm2d::describe() const { return "BatchNorm2d(" + std::to_string(channels_) + ")"; }

}  // namespace nn
}  // namespace minigrad
