// Tensor operations: each appends one node (or a few) to the current trace.
#include "frontend/tensor.h"

#include <fmt/ranges.h>

#include "frontend/trace.h"
#include "ir/error.h"

namespace minigrad {
namespace {

using ir::Op;

TraceContext& ctx_of(const Tensor& t) {
  if (!t.defined()) fail("an undefined tensor was used");
  return *t.context();
}

Tensor unary(const Tensor& x, Op op, const Here& here, ir::Attrs attrs = {}) {
  TraceContext& c = ctx_of(x);
  return c.emit1(op, {c.id(x)}, std::move(attrs), here);
}

Tensor reduce(const Tensor& x, Op op, std::vector<int64_t> axes, bool keepdims, const Here& here) {
  return unary(x, op, here, {{"axes", std::move(axes)}, {"keepdims", keepdims}});
}

std::vector<int64_t> all_axes(const Tensor& x) {
  std::vector<int64_t> axes;
  for (int i = 0; i < x.rank(); ++i) axes.push_back(i);
  return axes;
}

// A normalised axis: negative counts from the end, as in numpy.
int64_t axis_of(const Tensor& x, int axis, const Here& here) {
  int a = axis < 0 ? axis + x.rank() : axis;
  if (a < 0 || a >= x.rank())
    fail("{}: axis {} is out of range for {}", ir::to_string(to_loc(here)), axis, ir::to_string(x.type()));
  return a;
}

Tensor reduce_all(const Tensor& x, Op op, const Here& here) {
  if (x.rank() == 0) return x;
  return reduce(x, op, all_axes(x), false, here);
}

// The tensor for an operand; a number becomes a scalar constant of `like`'s dtype.
ir::ValueId value_of(TraceContext& c, const Operand& o, const Tensor& like) {
  if (!o.is_scalar) return c.id(o.tensor);
  return c.id(c.constant(o.scalar, ir::Type{like.type().dtype, ir::Shape{}}, Here(o.loc)));
}

Tensor binary(Op op, const Operand& a, const Operand& b) {
  const Tensor& t = a.is_scalar ? b.tensor : a.tensor;
  TraceContext& c = ctx_of(t);
  Here here(a.loc);
  return c.emit1(op, {value_of(c, a, t), value_of(c, b, t)}, {}, here);
}

}  // namespace

ir::Type Tensor::type() const { return ctx_of(*this).type(*this); }

int64_t Tensor::dim(int axis) const { return shape().at(static_cast<size_t>(axis_of(*this, axis, Here()))); }

Tensor Tensor::matmul(const Tensor& other, Here here) const {
  TraceContext& c = ctx_of(*this);
  return c.emit1(Op::Matmul, {c.id(*this), c.id(other)}, {}, here);
}

Tensor Tensor::abs(Here here) const { return unary(*this, Op::Abs, here); }
Tensor Tensor::exp(Here here) const { return unary(*this, Op::Exp, here); }
Tensor Tensor::log(Here here) const { return unary(*this, Op::Log, here); }
Tensor Tensor::sqrt(Here here) const { return unary(*this, Op::Sqrt, here); }
Tensor Tensor::pow(double exponent, Here here) const { return unary(*this, Op::Pow, here, {{"exponent", exponent}}); }
Tensor Tensor::sum(Here here) const { return reduce_all(*this, Op::ReduceSum, here); }
Tensor Tensor::mean(Here here) const { return reduce_all(*this, Op::ReduceMean, here); }
Tensor Tensor::max(Here here) const { return reduce_all(*this, Op::ReduceMax, here); }

Tensor Tensor::sum(int axis, bool keepdims, Here here) const {
  return reduce(*this, Op::ReduceSum, {axis_of(*this, axis, here)}, keepdims, here);
}
Tensor Tensor::mean(int axis, bool keepdims, Here here) const {
  return reduce(*this, Op::ReduceMean, {axis_of(*this, axis, here)}, keepdims, here);
}
Tensor Tensor::max(int axis, bool keepdims, Here here) const {
  return reduce(*this, Op::ReduceMax, {axis_of(*this, axis, here)}, keepdims, here);
}

Tensor Tensor::t(Here here) const { return unary(*this, Op::Transpose, here); }

Tensor Tensor::rows(int64_t start, int64_t end, Here here) const {
  return unary(*this, Op::Slice, here, {{"axis", int64_t{0}}, {"start", start}, {"end", end}});
}

// One extent may be -1: the one that makes the element count match (numpy's and
// PyTorch's rule), resolved here so that the IR's shape is explicit.
Tensor Tensor::reshape(std::vector<int64_t> shape, Here here) const {
  int64_t known = 1, inferred = -1, numel = type().numel();
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] != -1) { known *= shape[i]; continue; }
    if (inferred >= 0) fail("{}: reshape takes at most one -1, got [{}]", ir::to_string(to_loc(here)), fmt::join(shape, ", "));
    inferred = int64_t(i);
  }
  if (inferred >= 0) {
    if (known <= 0 || numel % known != 0)
      fail("{}: cannot reshape {} to [{}]", ir::to_string(to_loc(here)), ir::to_string(type()), fmt::join(shape, ", "));
    shape[size_t(inferred)] = numel / known;
  }
  return unary(*this, Op::Reshape, here, {{"shape", std::move(shape)}});
}

Tensor operator+(const Operand& a, const Operand& b) { return binary(Op::Add, a, b); }
Tensor operator-(const Operand& a, const Operand& b) { return binary(Op::Sub, a, b); }
Tensor operator*(const Operand& a, const Operand& b) { return binary(Op::Mul, a, b); }
Tensor operator/(const Operand& a, const Operand& b) { return binary(Op::Div, a, b); }

Tensor operator-(const Operand& a) {
  if (a.is_scalar) fail("unary minus needs a tensor");
  return unary(a.tensor, Op::Neg, Here(a.loc));
}

}  // namespace minigrad
