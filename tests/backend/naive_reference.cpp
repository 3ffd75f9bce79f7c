// The naive reference; see naive_reference.h. Every op is computed the slow,
// obvious way: elementwise ops visit each result multi-index and read each operand
// at its broadcast index, reductions gather the elements of each result into a
// group, softmax is exp(x) / sum exp(x) without the max shift. A masked node (a
// row count n as its last operand, docs/ir.md "Partial batches") is its unmasked
// op over the first n rows of its row operands, its row results padded with zeros.
#include "tests/backend/naive_reference.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "ir/dropout.h"
#include "tests/backend/naive_image.h"
#include "ir/error.h"

namespace minigrad::testing {
namespace {

using ir::Dims;
using ir::Op;
using ir::Shape;
using Args = std::vector<double>;

Dims unravel(int64_t flat, const Shape& s) {
  Dims idx(size_t(s.rank()));
  for (int i = s.rank() - 1; i >= 0; --i) {
    idx[size_t(i)] = flat % s[i];
    flat /= s[i];
  }
  return idx;
}

int64_t ravel(const Dims& idx, const Shape& s) {
  int64_t flat = 0;
  for (int i = 0; i < s.rank(); ++i) flat = flat * s[i] + idx[size_t(i)];
  return flat;
}

// t read at index `idx` of the broadcast shape: right-aligned, extent 1 stretches.
double at_broadcast(const Tensor& t, const Dims& idx) {
  size_t lead = idx.size() - size_t(t.shape.rank());
  Dims j(size_t(t.shape.rank()));
  for (size_t i = 0; i < j.size(); ++i) j[i] = t.shape[int(i)] == 1 ? 0 : idx[lead + i];
  return t.v[size_t(ravel(j, t.shape))];
}

Tensor zeros(const Shape& s) { return {s, std::vector<double>(size_t(s.numel()), 0.0)}; }

// y[idx] = f(in_0[idx], in_1[idx], ...) with numpy broadcasting.
Tensor elementwise(const Shape& out, const std::vector<Tensor>& in, const std::function<double(const Args&)>& f) {
  Tensor y = zeros(out);
  for (int64_t k = 0; k < out.numel(); ++k) {
    Dims idx = unravel(k, out);
    Args a;
    for (const Tensor& t : in) a.push_back(at_broadcast(t, idx));
    y.v[size_t(k)] = f(a);
  }
  return y;
}

bool holds(const std::string& pred, double a, double b) {
  if (pred == "gt") return a > b;
  if (pred == "ge") return a >= b;
  if (pred == "lt") return a < b;
  if (pred == "le") return a <= b;
  if (pred == "eq") return a == b;
  return a != b;
}

// The elements of x that reduce into each result element, in order.
std::vector<Args> reduction_groups(const ir::Node& n, const Tensor& x) {
  Shape kept = x.shape;
  for (int64_t ax : n.attrs.ints("axes")) kept.dims[size_t(ax)] = 1;
  std::vector<Args> groups(size_t(kept.numel()));
  for (int64_t k = 0; k < x.shape.numel(); ++k) {
    Dims idx = unravel(k, x.shape);
    for (int64_t ax : n.attrs.ints("axes")) idx[size_t(ax)] = 0;
    groups[size_t(ravel(idx, kept))].push_back(x.v[size_t(k)]);
  }
  return groups;
}

Tensor reduce(const ir::Node& n, const Tensor& x, const Shape& out, const std::function<double(const Args&)>& f) {
  Tensor y = zeros(out);
  std::vector<Args> groups = reduction_groups(n, x);
  for (size_t j = 0; j < groups.size(); ++j) y.v[j] = f(groups[j]);
  return y;
}

double sum(const Args& a) {
  double s = 0;
  for (double x : a) s += x;
  return s;
}

// y[idx] = x[g(idx)] for every index of the result, or 0 where g gives nothing.
Tensor gather(const Tensor& x, const Shape& out, const std::function<bool(Dims&)>& g) {
  Tensor y = zeros(out);
  for (int64_t k = 0; k < out.numel(); ++k) {
    Dims idx = unravel(k, out);
    if (g(idx)) y.v[size_t(k)] = x.v[size_t(ravel(idx, x.shape))];
  }
  return y;
}

Tensor matmul(const ir::Node& n, const Tensor& a, const Tensor& b, const Shape& out) {
  bool ta = n.attrs.b("transpose_a"), tb = n.attrs.b("transpose_b");
  auto A = [&](int64_t i, int64_t k) { return ta ? a.at(k, i) : a.at(i, k); };
  auto B = [&](int64_t k, int64_t j) { return tb ? b.at(j, k) : b.at(k, j); };
  int64_t inner = ta ? a.shape[0] : a.shape[1];
  Tensor c = zeros(out);
  for (int64_t i = 0; i < out[0]; ++i)
    for (int64_t j = 0; j < out[1]; ++j)
      for (int64_t k = 0; k < inner; ++k) c.at(i, j) += A(i, k) * B(k, j);
  return c;
}

// Applies f to each row (the last axis) of x, giving a row of the same length.
Tensor rowwise(const Tensor& x, const std::function<Args(const Args&)>& f) {
  int64_t n = x.shape.rank() == 0 ? 1 : x.shape[x.shape.rank() - 1];
  Tensor y = x;
  for (int64_t r = 0; r < x.shape.numel() / n; ++r) {
    Args row(x.v.begin() + r * n, x.v.begin() + (r + 1) * n);
    std::copy_n(f(row).begin(), n, y.v.begin() + r * n);
  }
  return y;
}

Args softmax(const Args& row) {
  Args e;
  for (double x : row) e.push_back(std::exp(x));
  double s = sum(e);
  for (double& x : e) x /= s;
  return e;
}

Args log_softmax(const Args& row) {
  Args p = softmax(row);
  for (double& x : p) x = std::log(x);
  return p;
}

// mean over rows of -sum_c t_c logp_c, t = (1 - ls) one_hot + ls / C.
Tensor smoothed_nll(const ir::Node& n, const Tensor& logp, const Tensor& labels) {
  double ls = n.attrs.f("label_smoothing"), loss = 0;
  int64_t rows = logp.shape[0], classes = logp.shape[1];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < classes; ++c) {
      double t = (1 - ls) * (labels.at(r) == double(c)) + ls / double(classes);
      loss -= t * logp.at(r, c);
    }
  return {Shape{}, {loss / double(rows)}};
}

Tensor argmax(const Tensor& x) {
  Tensor y = zeros(Shape{x.shape[0]});
  int64_t cols = x.shape[1];
  for (int64_t r = 0; r < x.shape[0]; ++r) {
    auto row = x.v.begin() + r * cols;
    y.at(r) = double(std::max_element(row, row + cols) - row);  // the first max
  }
  return y;
}

Tensor correct(const Tensor& x, const Tensor& labels) {
  Tensor best = argmax(x);
  double n = 0;
  for (size_t r = 0; r < best.v.size(); ++r) n += best.v[r] == labels.v[r];
  return {Shape{}, {n}};
}

std::vector<Tensor> bn_train(const ir::Node& node, const std::vector<Tensor>& in) {
  const Tensor &x = in[0], &gamma = in[1], &beta = in[2];
  int64_t N = x.shape[0], F = x.shape[1];
  Tensor y = zeros(x.shape), mean = zeros(Shape{F}), var = zeros(Shape{F});
  for (int64_t f = 0; f < F; ++f) {
    for (int64_t n = 0; n < N; ++n) mean.at(f) += x.at(n, f) / double(N);
    for (int64_t n = 0; n < N; ++n) var.at(f) += (x.at(n, f) - mean.at(f)) * (x.at(n, f) - mean.at(f)) / double(N);
    double stddev = std::sqrt(var.at(f) + node.attrs.f("eps"));
    for (int64_t n = 0; n < N; ++n) y.at(n, f) = (x.at(n, f) - mean.at(f)) / stddev * gamma.at(f) + beta.at(f);
  }
  return {y, mean, var};
}

std::vector<Tensor> bn_grad(const ir::Node& node, const std::vector<Tensor>& in) {
  const Tensor &dy = in[0], &x = in[1], &gamma = in[2], &mean = in[3], &var = in[4];
  int64_t N = x.shape[0], F = x.shape[1];
  Tensor dx = zeros(x.shape), dgamma = zeros(Shape{F}), dbeta = zeros(Shape{F});
  for (int64_t f = 0; f < F; ++f) {
    double inv = 1 / std::sqrt(var.at(f) + node.attrs.f("eps"));
    Args xhat, dxhat;
    for (int64_t n = 0; n < N; ++n) {
      xhat.push_back((x.at(n, f) - mean.at(f)) * inv);
      dxhat.push_back(dy.at(n, f) * gamma.at(f));
      dgamma.at(f) += dy.at(n, f) * xhat.back();
      dbeta.at(f) += dy.at(n, f);
    }
    double sum_dxhat_xhat = 0;
    for (size_t n = 0; n < xhat.size(); ++n) sum_dxhat_xhat += dxhat[n] * xhat[n];
    for (int64_t n = 0; n < N; ++n)
      dx.at(n, f) = inv / double(N) * (double(N) * dxhat[size_t(n)] - sum(dxhat) - xhat[size_t(n)] * sum_dxhat_xhat);
  }
  return {dx, dgamma, dbeta};
}

Tensor bn_eval(const ir::Node& node, const std::vector<Tensor>& in) {
  // in: x, gamma, beta, running_mean, running_var; the [F] vectors broadcast over rows.
  double eps = node.attrs.f("eps");
  return elementwise(in[0].shape, in,
                     [&](const Args& a) { return (a[0] - a[3]) / std::sqrt(a[4] + eps) * a[1] + a[2]; });
}

// Kept elements (ir/dropout.h defines which) divided by 1 - p, the others 0.
Tensor dropout(const ir::Node& node, const std::vector<Tensor>& in) {
  auto seed = uint32_t(int32_t(in[1].v[0])), step = uint32_t(int32_t(in[2].v[0]));
  uint32_t key = ir::dropout_key(seed, uint32_t(node.attrs.i("salt")), step);
  double p = node.attrs.f("p");
  Tensor y = in[0];
  for (size_t i = 0; i < y.v.size(); ++i) y.v[i] = ir::dropout_keep(key, uint32_t(i) + uint32_t(node.attrs.i("offset")), float(p)) ? y.v[i] / (1 - p) : 0;
  return y;
}

Tensor one_hot(const Tensor& labels, const Shape& out) {
  Tensor y = zeros(out);
  for (int64_t r = 0; r < out[0]; ++r) y.at(r, int64_t(labels.at(r))) = 1;
  return y;
}

std::vector<Tensor> compute(const ir::Node& n, const std::vector<ir::Type>& results, const std::vector<Tensor>& in);

// Batch norm of [N, C, H, W] (BatchNorm2d) is the rank-2 reference over the rows
// [N H W, C]: x (and dy) moved there, the first result moved back.
template <typename F>
std::vector<Tensor> over_rows(const std::vector<Tensor>& in, std::vector<size_t> images, F rank2) {
  size_t x = images.back();
  if (in[x].shape.rank() != 4) return rank2(in);
  std::vector<Tensor> rows = in;
  for (size_t i : images) rows[i] = nchw_to_rows(in[i]);
  std::vector<Tensor> out = rank2(rows);
  out[0] = rows_to_nchw(out[0], in[x].shape);
  return out;
}

// A fused node: the naive reference of each node of its body in turn.
std::vector<Tensor> fused(const ir::Node& n, const std::vector<Tensor>& in) {
  const ir::Function& body = *n.body;
  std::vector<Tensor> values(size_t(body.num_values()));
  std::vector<Tensor> out;
  size_t next_input = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    const ir::Node& b = body.node(i);
    if (b.op == Op::Input) {
      values[size_t(b.result())] = in[next_input++];
      continue;
    }
    if (b.op == Op::Output) {
      out.push_back(values[size_t(b.operands[0])]);
      continue;
    }
    std::vector<Tensor> args;
    std::vector<ir::Type> types;
    for (ir::ValueId v : b.operands) args.push_back(values[size_t(v)]);
    for (ir::ValueId r : b.results) types.push_back(body.type(r));
    std::vector<Tensor> r = compute(b, types, args);
    for (size_t k = 0; k < r.size(); ++k) values[size_t(b.results[k])] = r[k];
  }
  return out;
}

// The first `n` rows of x.
Tensor first_rows(const Tensor& x, int64_t n) {
  Dims d = x.shape.dims;
  size_t row = x.v.size() / size_t(d[0]);
  d[0] = n;
  return Tensor{Shape(d), Args(x.v.begin(), x.v.begin() + std::ptrdiff_t(size_t(n) * row))};
}

// The operands a masked node reads by rows (the others, such as gamma, are whole),
// and its operand count without the row count; 0 for a node that is not masked.
size_t unmasked_operands(const ir::Node& n, std::vector<size_t>* by_rows) {
  size_t size = n.operands.size();
  if (n.op == Op::MaskRows) return *by_rows = {0}, 1;
  if (n.op == Op::SoftmaxXent || n.op == Op::Nll || n.op == Op::Mse || n.op == Op::Correct)
    return *by_rows = {0, 1}, size == 3 ? 2 : 0;
  if (n.op == Op::BatchNormTrain) return *by_rows = {0}, size == 4 ? 3 : 0;
  if (n.op == Op::BatchNormGrad) return *by_rows = {0, 1}, size == 6 ? 5 : 0;
  return 0;
}

std::vector<Tensor> compute_op(const ir::Node& n, const std::vector<ir::Type>& results, const std::vector<Tensor>& in);

std::vector<Tensor> masked(const ir::Node& n, size_t count, const std::vector<size_t>& by_rows,
                           const std::vector<ir::Type>& results, const std::vector<Tensor>& in) {
  auto rows = int64_t(in[count].v[0]);
  std::vector<Tensor> args(in.begin(), in.begin() + std::ptrdiff_t(count));
  for (size_t i : by_rows) args[i] = first_rows(args[i], rows);
  std::vector<ir::Type> types = results;
  for (ir::Type& t : types)
    if (t.shape.rank() > 0 && t.shape[0] == in[0].shape[0]) t.shape.dims[0] = rows;
  std::vector<Tensor> out = n.op == Op::MaskRows ? std::vector<Tensor>{args[0]} : compute_op(n, types, args);
  for (size_t r = 0; r < out.size(); ++r)
    if (results[r].shape != out[r].shape) out[r].v.resize(size_t(results[r].numel()), 0.0), out[r].shape = results[r].shape;
  return out;
}

std::vector<Tensor> compute(const ir::Node& n, const std::vector<ir::Type>& results, const std::vector<Tensor>& in) {
  std::vector<size_t> by_rows;
  if (size_t count = unmasked_operands(n, &by_rows)) return masked(n, count, by_rows, results, in);
  return compute_op(n, results, in);
}

// The op of n over all its rows.
std::vector<Tensor> compute_op(const ir::Node& n, const std::vector<ir::Type>& results, const std::vector<Tensor>& in) {
  const Shape& out = results.empty() ? Shape{} : results[0].shape;
  auto map = [&](const std::function<double(const Args&)>& f) { return std::vector<Tensor>{elementwise(out, in, f)}; };
  auto red = [&](const std::function<double(const Args&)>& f) { return std::vector<Tensor>{reduce(n, in[0], out, f)}; };
  auto row = [&](const std::function<Args(const Args&)>& f) { return std::vector<Tensor>{rowwise(in[0], f)}; };
  auto take = [&](const std::function<bool(Dims&)>& g) { return std::vector<Tensor>{gather(in[0], out, g)}; };
  switch (n.op) {
    case Op::Input:
    case Op::LoadState:
    case Op::Constant:
    case Op::StoreState:
    case Op::Output:
    case Op::Grad: fail("{} has no naive reference: the executable tests cover it", ir::op_name(n.op));

    case Op::Neg: return map([](const Args& a) { return -a[0]; });
    case Op::Abs: return map([](const Args& a) { return std::fabs(a[0]); });
    case Op::Exp: return map([](const Args& a) { return std::exp(a[0]); });
    case Op::Log: return map([](const Args& a) { return std::log(a[0]); });
    case Op::Sqrt: return map([](const Args& a) { return std::sqrt(a[0]); });
    case Op::Rsqrt: return map([](const Args& a) { return 1 / std::sqrt(a[0]); });
    case Op::Relu: return map([](const Args& a) { return a[0] > 0 ? a[0] : 0; });
    case Op::LeakyRelu: return map([&](const Args& a) { return a[0] > 0 ? a[0] : n.attrs.f("slope") * a[0]; });
    case Op::Sigmoid: return map([](const Args& a) { return 1 / (1 + std::exp(-a[0])); });
    case Op::Tanh: return map([](const Args& a) { return std::tanh(a[0]); });
    case Op::Pow: return map([&](const Args& a) { return std::pow(a[0], n.attrs.f("exponent")); });
    case Op::Cast: return map([](const Args& a) { return a[0]; });  // i32 results are truncated below

    case Op::Add: return map([](const Args& a) { return a[0] + a[1]; });
    case Op::Sub: return map([](const Args& a) { return a[0] - a[1]; });
    case Op::Mul: return map([](const Args& a) { return a[0] * a[1]; });
    case Op::Div: return map([](const Args& a) { return a[0] / a[1]; });
    case Op::Maximum: return map([](const Args& a) { return std::max(a[0], a[1]); });
    case Op::Minimum: return map([](const Args& a) { return std::min(a[0], a[1]); });
    case Op::Cmp: return map([&](const Args& a) { return holds(n.attrs.s("pred"), a[0], a[1]) ? 1.0 : 0.0; });
    case Op::Select: return map([](const Args& a) { return a[0] != 0 ? a[1] : a[2]; });

    case Op::ReduceSum: return red(sum);
    case Op::ReduceMean: return red([](const Args& g) { return sum(g) / double(g.size()); });
    case Op::ReduceMax: return red([](const Args& g) { return *std::max_element(g.begin(), g.end()); });

    case Op::Reshape: return {Tensor{out, in[0].v}};
    case Op::BroadcastTo: return map([](const Args& a) { return a[0]; });
    case Op::Transpose: return take([](Dims& i) { std::swap(i[0], i[1]); return true; });
    case Op::Slice: return take([&](Dims& i) { i[size_t(n.attrs.i("axis"))] += n.attrs.i("start"); return true; });
    case Op::Pad:
      return take([&](Dims& i) {
        int64_t& r = i[size_t(n.attrs.i("axis"))];
        r -= n.attrs.i("before");
        return r >= 0 && r < in[0].shape[int(n.attrs.i("axis"))];
      });

    case Op::MaskRows: fail("mask_rows is computed by masked()");
    case Op::Matmul: return {matmul(n, in[0], in[1], out)};
    case Op::Softmax: return row(softmax);
    case Op::LogSoftmax: return row(log_softmax);

    case Op::SoftmaxXent: return {smoothed_nll(n, rowwise(in[0], log_softmax), in[1])};
    case Op::Nll: return {smoothed_nll(n, in[0], in[1])};
    case Op::Mse: {
      Tensor sq = elementwise(in[0].shape, in, [](const Args& a) { return (a[0] - a[1]) * (a[0] - a[1]); });
      return {Tensor{Shape{}, {sum(sq.v) / double(sq.v.size())}}};
    }
    case Op::OneHot: return {one_hot(in[0], out)};
    case Op::Argmax: return {argmax(in[0])};
    case Op::Correct: return {correct(in[0], in[1])};

    case Op::BatchNormTrain: return over_rows(in, {0}, [&](const std::vector<Tensor>& r) { return bn_train(n, r); });
    case Op::BatchNormGrad: return over_rows(in, {0, 1}, [&](const std::vector<Tensor>& r) { return bn_grad(n, r); });
    case Op::BatchNormEval:
      return over_rows(in, {0}, [&](const std::vector<Tensor>& r) { return std::vector<Tensor>{bn_eval(n, r)}; });
    case Op::Conv2d:
    case Op::Conv2dInputGrad:
    case Op::Conv2dWeightGrad:
    case Op::MaxPool2d:
    case Op::MaxPool2dGrad:
    case Op::AvgPool2d:
    case Op::AvgPool2dGrad: return naive_image_op(n, out, in);
    case Op::Dropout: return {dropout(n, in)};
    case Op::AllReduce: return {in[0]};  // one process: the sum over one rank
    case Op::AllReduceStart: case Op::AllReduceWait: return in;  // one process: the values, then their sums
    case Op::Fused: return fused(n, in);
  }
  fail("unknown op");
}

}  // namespace

std::vector<Tensor> naive_reference(const ir::Node& node, const std::vector<ir::Type>& results,
                                    const std::vector<Tensor>& in) {
  std::vector<Tensor> out = compute(node, results, in);
  for (size_t r = 0; r < out.size(); ++r)
    if (results[r].dtype == ir::DType::I32)
      for (double& x : out[r].v) x = std::trunc(x);
  return out;
}

}  // namespace minigrad::testing
