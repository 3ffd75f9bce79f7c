// One VJP rule per op. Notation: x, a, b are operands, y the result, g the
// cotangent of y, and unb(v, s) sums v over the axes broadcast to reach shape s.
// A masked op (docs/ir.md, "Partial batches") has a last operand n, the i32[] row
// count: its rule divides by n at run time instead of by the constant N and masks
// the rows r >= n of its gradient to 0 (mask_rows), so padding rows get none.
// Each rule states its algebra; the gradient checks in tests/passes compare every
// rule with central finite differences. No call takes two node-making calls as
// arguments: their order of evaluation is the compiler's (GCC and Clang differ),
// and the node order of the backward graph must not depend on it.
#include "passes/vjp_rules.h"

#include <fmt/format.h>

#include "ir/error.h"

namespace minigrad::passes {
namespace {

using ir::Op;
using ir::ValueId;
constexpr ValueId kNone = -1;

struct Rule {
  VjpArgs& a;
  ir::Builder& b;
  const ir::Node& n;

  ValueId x(size_t i = 0) const { return n.operands[i]; }
  ValueId y(size_t i = 0) const { return n.results[i]; }
  ValueId g(size_t i = 0) const { return a.dout[i]; }
  ir::Type type(ValueId v) const { return b.type(v); }
  ir::DType dt() const { return type(y()).dtype; }
  ValueId num(double v) const { return b.scalar(v, dt()); }
  ValueId zeros(ValueId like) const { return b.constant(0, type(like)); }
  ValueId unb(ValueId v, size_t operand) const { return b.unbroadcast(v, type(x(operand)).shape); }
  double attr_f(const char* name) const { return n.attrs.f(name); }
  // sum over the last axis, keeping it: the row sums of a rowwise op.
  ValueId row_sum(ValueId v) const { return b.reduce_sum(v, {type(v).shape.rank() - 1}, true); }
  // The row count n of a masked op (its operand `index`), or kNone.
  ValueId row_count(size_t index) const { return n.operands.size() > index ? x(index) : kNone; }
  // g / rows: times the constant 1 / rows, or divided by n at run time.
  ValueId per_row(ValueId v, ValueId count, double rows) const {
    return count == kNone ? b.mul(v, 1.0 / rows) : b.div(v, b.cast(count, type(v).dtype));
  }
  // v with rows r >= n set to 0 (v itself when the op is not masked).
  ValueId masked(ValueId v, ValueId count) const { return count == kNone ? v : b.emit1(Op::MaskRows, {v, count}); }
  // The smoothed target t = (1 - ls) one_hot(labels) + ls / C of a class loss.
  ValueId target() const;
  std::vector<ValueId> reduce_rule() const;
  std::vector<ValueId> matmul_rule() const;
  std::vector<ValueId> bn_train_rule() const;
  std::vector<ValueId> bn_eval_rule() const;
  std::vector<ValueId> conv2d_rule() const;
  std::vector<ValueId> pool2d_rule() const;
  // Batch norm of x[N, F] or x[N, C, H, W]: the axes its statistics sum over, the
  // positions per row S (1 or H W), and a per-feature [F] value shaped to broadcast
  // against x ([F] or [F, 1, 1]).
  std::vector<int64_t> stat_axes() const { return type(x(0)).shape.rank() == 4 ? std::vector<int64_t>{0, 2, 3} : std::vector<int64_t>{0}; }
  int64_t per_row_positions() const { const ir::Shape& s = type(x(0)).shape; return s.numel() / (s[0] * s[1]); }
  ValueId per_feature(ValueId v) const {
    const ir::Shape& s = type(x(0)).shape;
    return s.rank() == 4 ? b.reshape(v, ir::Shape{s[1], 1, 1}) : v;
  }
  std::vector<ValueId> apply() const;
};

ValueId Rule::target() const {
  int64_t classes = type(x(0)).shape[1];
  double ls = attr_f("label_smoothing");
  ValueId oh = b.emit1(Op::OneHot, {x(1)}, {{"classes", classes}, {"dtype", std::string(ir::dtype_name(dt()))}});
  if (ls == 0) return oh;
  return b.add(b.mul(oh, 1 - ls), ls / static_cast<double>(classes));
}

// y = reduce(x, axes): g is broadcast back over the reduced axes.
//   sum: dx = g;  mean: dx = g / count;  max: dx = g * [x == y] / #[x == y]
std::vector<ValueId> Rule::reduce_rule() const {
  const ir::Type& xt = type(x());
  ir::Shape keep = xt.shape;
  int64_t count = 1;
  for (int64_t ax : n.attrs.ints("axes")) count *= keep.dims[static_cast<size_t>(ax)], keep.dims[static_cast<size_t>(ax)] = 1;
  ValueId gk = b.reshape(g(), keep);
  if (n.op == Op::ReduceSum) return {b.broadcast_to(gk, xt.shape)};
  if (n.op == Op::ReduceMean) return {b.broadcast_to(b.mul(gk, 1.0 / static_cast<double>(count)), xt.shape)};
  ValueId mask = b.cmp("eq", x(), b.reshape(y(), keep));
  ValueId ties = b.reduce_sum(mask, n.attrs.ints("axes"), true);
  return {b.mul(b.div(mask, ties), gk)};
}

// C = op(A) op(B). For C = A B: dA = G B^T, dB = A^T G; the transposed forms
// follow from (A^T)' = (A')^T:
//   C = A^T B:   dA = B G^T,   dB = A G
//   C = A B^T:   dA = G B,     dB = G^T A
//   C = A^T B^T: dA = B^T G^T, dB = G^T A^T
std::vector<ValueId> Rule::matmul_rule() const {
  bool ta = n.attrs.b("transpose_a"), tb = n.attrs.b("transpose_b");
  ValueId A = x(0), B = x(1), G = g();
  ValueId dA = kNone, dB = kNone;
  if (a.need[0]) dA = !ta ? b.matmul(G, B, false, !tb) : b.matmul(B, G, tb, true);
  if (a.need[1]) dB = !tb ? b.matmul(A, G, !ta, false) : b.matmul(G, A, true, ta);
  return {dA, dB};
}

// batch_norm_grad gives the total derivative through y; direct uses of the batch
// mean and variance add dmean / N and dvar * 2 (x - mean) / N. Masked (operand 3
// is n): batch_norm_grad takes n too, N = n, and the added terms are masked.
std::vector<ValueId> Rule::bn_train_rule() const {
  ValueId dy = g(0) != kNone ? g(0) : zeros(y(0));
  ValueId count = row_count(3);
  std::vector<ValueId> ops{dy, x(0), x(1), y(1), y(2)};
  if (count != kNone) ops.push_back(count);
  std::vector<ValueId> d = b.emit(Op::BatchNormGrad, ops, {{"eps", attr_f("eps")}});
  // N here is the positions that count: rows (or n) times S.
  double rows = static_cast<double>(type(x(0)).shape[0]), s = static_cast<double>(per_row_positions());
  const ir::Shape& shape = type(x(0)).shape;
  auto per_position = [&](ValueId v) { return s == 1 ? per_row(v, count, rows) : b.mul(per_row(v, count, rows), 1.0 / s); };
  if (g(1) != kNone)
    d[0] = b.add(d[0], masked(b.broadcast_to(per_feature(per_position(g(1))), shape), count));
  if (g(2) != kNone) {
    ValueId centred = b.sub(x(0), per_feature(y(1)));
    d[0] = b.add(d[0], masked(per_position(b.mul(b.mul(centred, per_feature(g(2))), 2.0)), count));
  }
  d.push_back(kNone);  // the row count
  return d;
}

// y = (x - rm) inv gamma + beta, inv = (rv + eps)^-1/2:
//   dx = g gamma inv;  dgamma = sum_n g (x - rm) inv;  dbeta = sum_n g;
//   drm = -dbeta gamma inv;  drv = -1/2 sum_n g (x - rm) gamma inv^3
std::vector<ValueId> Rule::bn_eval_rule() const {
  ValueId gamma = x(1), rm = x(3), rv = x(4);
  ValueId inv = b.unary(Op::Rsqrt, b.add(rv, attr_f("eps")));
  ValueId xc = b.sub(x(0), per_feature(rm));
  ValueId dbeta = b.reduce_sum(g(), stat_axes());
  ValueId gxc = b.reduce_sum(b.mul(g(), xc), stat_axes());
  ValueId gamma_inv = b.mul(gamma, inv);
  return {b.mul(g(), per_feature(gamma_inv)), b.mul(gxc, inv), dbeta, b.neg(b.mul(dbeta, gamma_inv)),
          b.mul(b.mul(gxc, b.mul(gamma_inv, b.mul(inv, inv))), -0.5)};
}

// y = conv2d(x, w): dx = conv2d_input_grad(g, w) and dw = conv2d_weight_grad(g, x)
// with the same window (ir/ops.def states both sums; each is the adjoint of
// conv2d's map in that operand).
std::vector<ValueId> Rule::conv2d_rule() const {
  const ir::Shape &xs = type(x(0)).shape, &ws = type(x(1)).shape;
  ir::Attrs spatial;
  for (const char* name : {"stride", "padding", "dilation"}) spatial.set(name, n.attrs.ints(name));
  spatial.set("groups", n.attrs.i("groups"));
  ValueId dx = kNone, dw = kNone;
  if (a.need[0]) {
    ir::Attrs at{{"input", std::vector<int64_t>{xs[2], xs[3]}}};
    for (const auto& [k, v] : spatial.items()) at.set(k, v);
    dx = b.emit1(Op::Conv2dInputGrad, {g(), x(1)}, at);
  }
  if (a.need[1]) {
    ir::Attrs at{{"kernel", std::vector<int64_t>{ws[2], ws[3]}}};
    for (const auto& [k, v] : spatial.items()) at.set(k, v);
    dw = b.emit1(Op::Conv2dWeightGrad, {g(), x(0)}, at);
  }
  return {dx, dw};
}

// max_pool2d: g to the element each window chose (max_pool2d_grad recomputes it
// from x); avg_pool2d: g / (KH KW) to every element of the window.
std::vector<ValueId> Rule::pool2d_rule() const {
  if (n.op == Op::MaxPool2d) return {b.emit1(Op::MaxPool2dGrad, {g(), x()}, n.attrs)};
  const ir::Shape& xs = type(x()).shape;
  ir::Attrs at{{"input", std::vector<int64_t>{xs[2], xs[3]}}};
  for (const auto& [k, v] : n.attrs.items()) at.set(k, v);
  return {b.emit1(Op::AvgPool2dGrad, {g()}, at)};
}

std::vector<ValueId> Rule::apply() const {
  switch (n.op) {
    case Op::Input:
    case Op::LoadState:
    case Op::Constant:
    case Op::Cmp:
    case Op::OneHot:
    case Op::Argmax:
    case Op::Correct: return std::vector<ValueId>(n.operands.size(), kNone);  // sources, zero gradients
    case Op::StoreState:
    case Op::Output:
    case Op::Grad:
    case Op::Fused:
    case Op::BatchNormGrad:
    case Op::Conv2dInputGrad:
    case Op::Conv2dWeightGrad:
    case Op::MaxPool2dGrad:
    case Op::AvgPool2dGrad:
    case Op::AllReduceStart:  // written after autodiff (overlap-all-reduce)
    case Op::AllReduceWait:
      fail("{}: autodiff: {} has no VJP rule, but the loss depends on it", ir::to_string(n.locs), n.info().name);
    case Op::Neg: return {b.neg(g())};                                              // dx = -g
    case Op::Abs: {                                                                 // g sign(x)
      ValueId pos = b.cmp("gt", x(), num(0));
      ValueId neg = b.cmp("lt", x(), num(0));
      return {b.mul(g(), b.sub(pos, neg))};
    }
    case Op::Exp: return {b.mul(g(), y())};                                         // g e^x
    case Op::Log: return {b.div(g(), x())};                                         // g / x
    case Op::Sqrt: return {b.div(g(), b.mul(y(), 2.0))};                            // g / (2 sqrt x)
    case Op::Rsqrt: return {b.mul(g(), b.mul(b.unary(Op::Pow, y(), {{"exponent", 3.0}}), -0.5))};  // -g y^3 / 2
    case Op::Relu: return {b.mul(g(), b.cmp("gt", x(), num(0)))};                   // g [x > 0]
    case Op::LeakyRelu:                                                              // g (x > 0 ? 1 : slope)
    {
      ValueId pos = b.cmp("gt", x(), num(0));
      return {b.select(pos, g(), b.mul(g(), attr_f("slope")))};
    }
    case Op::Sigmoid: return {b.mul(g(), b.mul(y(), b.sub(num(1), y())))};         // g y (1 - y)
    case Op::Tanh: return {b.mul(g(), b.sub(num(1), b.mul(y(), y())))};            // g (1 - y^2)
    case Op::Pow: {                                                                 // g e x^(e-1)
      double e = attr_f("exponent");
      return {b.mul(b.mul(g(), b.unary(Op::Pow, x(), {{"exponent", e - 1}})), e)};
    }
    case Op::Cast:                                                                  // float to float: cast back
      return {ir::is_float(type(x()).dtype) ? b.cast(g(), type(x()).dtype) : kNone};
    case Op::Add: return {unb(g(), 0), unb(g(), 1)};                                // g, g
    case Op::Sub: return {unb(g(), 0), unb(b.neg(g()), 1)};                         // g, -g
    case Op::Mul: return {unb(b.mul(g(), x(1)), 0), unb(b.mul(g(), x(0)), 1)};      // g b, g a
    case Op::Div: return {unb(b.div(g(), x(1)), 0), unb(b.neg(b.div(b.mul(g(), y()), x(1))), 1)};  // g/b, -g y/b
    case Op::Maximum:
    case Op::Minimum: {  // the larger (smaller) operand takes g; ties share it equally, as torch does
      const char* wins = n.op == Op::Maximum ? "gt" : "lt";
      ValueId win = b.cmp(wins, x(0), x(1));
      ValueId share = b.add(win, b.mul(b.cmp("eq", x(0), x(1)), 0.5));
      ValueId ga = b.mul(g(), share);
      return {unb(ga, 0), unb(b.sub(g(), ga), 1)};
    }
    case Op::Select: {  // g flows to a where c != 0, to b elsewhere
      ValueId zero = num(0);
      return {kNone, unb(b.select(x(0), g(), zero), 1), unb(b.select(x(0), zero, g()), 2)};
    }
    case Op::ReduceSum:
    case Op::ReduceMean:
    case Op::ReduceMax: return reduce_rule();
    case Op::Reshape: return {b.reshape(g(), type(x()).shape)};
    case Op::BroadcastTo: return {unb(g(), 0)};
    case Op::Transpose: return {b.unary(Op::Transpose, g())};
    case Op::Slice: {  // zeros outside [start, end)
      int64_t axis = n.attrs.i("axis"), start = n.attrs.i("start"), end = n.attrs.i("end");
      int64_t extent = type(x()).shape[static_cast<int>(axis)];
      return {b.emit1(Op::Pad, {g()}, {{"axis", axis}, {"before", start}, {"after", extent - end}})};
    }
    case Op::Pad: {  // the part that came from x
      int64_t axis = n.attrs.i("axis"), before = n.attrs.i("before");
      int64_t extent = type(x()).shape[static_cast<int>(axis)];
      return {b.emit1(Op::Slice, {g()}, {{"axis", axis}, {"start", before}, {"end", before + extent}})};
    }
    case Op::Matmul: return matmul_rule();
    case Op::Conv2d: return conv2d_rule();
    case Op::MaxPool2d:
    case Op::AvgPool2d: return pool2d_rule();
    case Op::Softmax: return {b.mul(y(), b.sub(g(), row_sum(b.mul(g(), y()))))};   // y (g - sum(g y))
    case Op::LogSoftmax: {                                                          // g - e^y sum(g)
      ValueId p = b.unary(Op::Exp, y());
      return {b.sub(g(), b.mul(p, row_sum(g())))};
    }
    case Op::SoftmaxXent: {  // (softmax(x) - t) g / N; masked: mask_rows((softmax(x) - t) (g / n), n)
      // One statement per node-making call: the order of a call's arguments is the
      // compiler's (GCC and Clang differ), and the node order must not be.
      double rows = static_cast<double>(type(x()).shape[0]);
      ValueId scale = per_row(g(), row_count(2), rows);
      ValueId t = target();
      ValueId p = b.unary(Op::Softmax, x());
      ValueId d = b.mul(b.sub(p, t), scale);
      return {masked(d, row_count(2)), kNone, kNone};
    }
    case Op::Nll: {  // -t g / N; masked: mask_rows(t (-g / n), n)
      double rows = static_cast<double>(type(x()).shape[0]);
      if (row_count(2) == kNone) {
        ValueId t = target();
        return {b.mul(t, b.mul(g(), -1.0 / rows)), kNone};
      }
      ValueId scale = per_row(b.neg(g()), row_count(2), rows);
      return {masked(b.mul(target(), scale), row_count(2)), kNone, kNone};
    }
    case Op::Mse: {  // d(mean (a - b)^2) = 2 (a - b) g / numel, and its negation for b
      // masked: numel = n * (row length), and the rows r >= n are masked.
      const ir::Type& t = type(x(0));
      if (row_count(2) == kNone) {
        ValueId diff = b.sub(x(0), x(1));
        ValueId d = b.mul(diff, b.mul(g(), 2.0 / static_cast<double>(t.numel())));
        return {d, b.neg(d)};
      }
      double rows = t.shape.rank() == 0 ? 1.0 : static_cast<double>(t.shape[0]);
      ValueId scale = per_row(b.mul(g(), 2.0 * rows / static_cast<double>(t.numel())), row_count(2), rows);
      ValueId d = masked(b.mul(b.sub(x(0), x(1)), scale), row_count(2));
      return {d, b.neg(d), kNone};
    }
    case Op::MaskRows: return {masked(g(), x(1)), kNone};  // g with the same rows masked
    case Op::BatchNormTrain: return bn_train_rule();
    case Op::BatchNormEval: return bn_eval_rule();
    case Op::Dropout: return {b.emit1(Op::Dropout, {g(), x(1), x(2)}, n.attrs), kNone, kNone};  // the same mask
    // y = sum_r x_r on every rank, and the objective is the sum of every rank's
    // loss L_r, so dL/dx_r = sum_r' dL_r'/dy = all_reduce(g): the same collective.
    case Op::AllReduce: return {b.emit1(Op::AllReduce, {g()}, n.attrs)};
  }
  fail("autodiff: unknown op");
}

}  // namespace

std::vector<ValueId> vjp(VjpArgs& a) {
  std::vector<ValueId> d = Rule{a, a.b, a.node}.apply();
  d.resize(a.node.operands.size(), kNone);  // a rule may name an absent row-count operand (kNone)
  for (size_t i = 0; i < d.size(); ++i) {
    if (d[i] == kNone || !a.need[i]) continue;
    if (a.b.type(d[i]) != a.b.type(a.node.operands[i]))
      fail("{}: autodiff: the VJP of {} gives operand {} type {}, expected {}", ir::to_string(a.node.locs),
           a.node.info().name, i, ir::to_string(a.b.type(d[i])), ir::to_string(a.b.type(a.node.operands[i])));
  }
  return d;
}

}  // namespace minigrad::passes
