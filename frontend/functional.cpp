// Functional DSL operations; see functional.h.
#include "frontend/functional.h"

#include "frontend/trace.h"

namespace minigrad::F {
namespace {

using ir::Op;

Tensor op1(Op op, const Tensor& x, const Here& here, ir::Attrs attrs = {}) {
  TraceContext& c = TraceContext::current();
  return c.emit1(op, {c.id(x)}, std::move(attrs), here);
}

Tensor op2(Op op, const Tensor& a, const Tensor& b, const Here& here, ir::Attrs attrs = {}) {
  TraceContext& c = TraceContext::current();
  return c.emit1(op, {c.id(a), c.id(b)}, std::move(attrs), here);
}

// A loss or metric over the rows of `rows`: with the trace's row count appended
// when it is masked (trace.h), so that only the first n_rows rows count.
Tensor over_rows(Op op, const Tensor& rows, const Tensor& other, const Here& here, ir::Attrs attrs = {}) {
  TraceContext& c = TraceContext::current();
  std::vector<ir::ValueId> operands{c.id(rows), c.id(other)};
  if (Tensor n = c.row_count(rows); n.defined()) operands.push_back(c.id(n));
  return c.emit1(op, std::move(operands), std::move(attrs), here);
}

Tensor cmp(const char* pred, const Tensor& a, const Tensor& b, const Here& here) {
  return op2(Op::Cmp, a, b, here, {{"pred", std::string(pred)}});
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b, Here here) { return op2(Op::Add, a, b, here); }
Tensor sub(const Tensor& a, const Tensor& b, Here here) { return op2(Op::Sub, a, b, here); }
Tensor mul(const Tensor& a, const Tensor& b, Here here) { return op2(Op::Mul, a, b, here); }
Tensor div(const Tensor& a, const Tensor& b, Here here) { return op2(Op::Div, a, b, here); }

Tensor scalar_like(double value, const Tensor& x, Here here) {
  return TraceContext::current().constant(value, ir::Type{x.type().dtype, ir::Shape{}}, here);
}

Tensor cast(const Tensor& x, ir::DType dtype, Here here) {
  if (x.type().dtype == dtype) return x;
  return op1(Op::Cast, x, here, {{"dtype", std::string(ir::dtype_name(dtype))}});
}

Tensor relu(const Tensor& x, Here here) { return op1(Op::Relu, x, here); }
Tensor leaky_relu(const Tensor& x, double slope, Here here) { return op1(Op::LeakyRelu, x, here, {{"slope", slope}}); }
Tensor sigmoid(const Tensor& x, Here here) { return op1(Op::Sigmoid, x, here); }
Tensor tanh(const Tensor& x, Here here) { return op1(Op::Tanh, x, here); }
Tensor softmax(const Tensor& x, Here here) { return op1(Op::Softmax, x, here); }
Tensor log_softmax(const Tensor& x, Here here) { return op1(Op::LogSoftmax, x, here); }
Tensor maximum(const Tensor& a, const Tensor& b, Here here) { return op2(Op::Maximum, a, b, here); }
Tensor minimum(const Tensor& a, const Tensor& b, Here here) { return op2(Op::Minimum, a, b, here); }
Tensor gt(const Tensor& a, const Tensor& b, Here here) { return cmp("gt", a, b, here); }
Tensor lt(const Tensor& a, const Tensor& b, Here here) { return cmp("lt", a, b, here); }
Tensor eq(const Tensor& a, const Tensor& b, Here here) { return cmp("eq", a, b, here); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b, Here here) {
  TraceContext& c = TraceContext::current();
  return c.emit1(Op::Select, {c.id(cond), c.id(a), c.id(b)}, {}, here);
}

Tensor dropout(const Tensor& x, double p, Here here) {
  TraceContext& c = TraceContext::current();
  if (!c.training() || p == 0) return x;
  Tensor seed = c.seed(here), step = c.step(here);
  ir::Attrs attrs{{"p", p}, {"salt", c.next_salt()}};
  // A rank of a data-parallel step holds rows [r0, r0 + b) of the global batch:
  // its element i is element i + r0 * (row length) of the global batch's x, and
  // draws that element's mask. (A tensor whose first axis is not the batch's is
  // the same on every rank and keeps its own indices.)
  const Sharding& sh = c.sharding();
  ir::Type t = x.type();
  if (sh.active() && t.shape.rank() >= 1 && t.shape[0] == sh.rows && t.numel() > 0)
    attrs.set("offset", sh.row_offset * (t.numel() / t.shape[0]));
  return c.emit1(Op::Dropout, {c.id(x), c.id(seed), c.id(step)}, std::move(attrs), here);
}

Tensor all_reduce(const Tensor& x, int ranks, Here here) {
  TraceContext& c = TraceContext::current();
  return c.emit1(Op::AllReduce, {c.id(x)}, {{"ranks", int64_t{ranks}}}, here);
}

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, double label_smoothing, Here here) {
  return over_rows(Op::SoftmaxXent, logits, labels, here, {{"label_smoothing", label_smoothing}});
}

Tensor nll(const Tensor& logp, const Tensor& labels, double label_smoothing, Here here) {
  return over_rows(Op::Nll, logp, labels, here, {{"label_smoothing", label_smoothing}});
}

Tensor mse(const Tensor& a, const Tensor& b, Here here) { return over_rows(Op::Mse, a, b, here); }

Tensor one_hot(const Tensor& labels, int64_t classes, Here here) {
  return op1(Op::OneHot, labels, here, {{"classes", classes}});
}

Tensor argmax(const Tensor& x, Here here) { return op1(Op::Argmax, x, here); }
Tensor correct(const Tensor& logits, const Tensor& labels, Here here) { return over_rows(Op::Correct, logits, labels, here); }

Tensor mask_rows(const Tensor& x, const Tensor& n_rows, Here here) { return op2(Op::MaskRows, x, n_rows, here); }

}  // namespace minigrad::F
