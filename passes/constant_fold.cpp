// Constant folding; see constant_fold.h. Each scalar function below is the
// interpreter's (backend/interp/dispatch.cpp) on one element of type T (Wide<T>:
// int64_t for i32, narrowed back with wrapping).
#include "passes/constant_fold.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "passes/rewriter.h"

namespace minigrad::passes {
namespace {

using ir::Op;

template <typename T>
T max_nan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
  }
  return a < b ? b : a;
}

template <typename T>
T min_nan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
  }
  return b < a ? b : a;
}

template <typename T>
std::optional<T> cmp(const std::string& pred, T a, T b) {
  if (pred == "gt") return T(a > b);
  if (pred == "ge") return T(a >= b);
  if (pred == "lt") return T(a < b);
  if (pred == "le") return T(a <= b);
  if (pred == "eq") return T(a == b);
  if (pred == "ne") return T(a != b);
  return std::nullopt;
}

// Ops defined for every dtype; W is T, or int64_t for i32. (If-chains, not a
// switch: most ops are not folded, and a switch over Op may have no default.)
template <typename W>
std::optional<W> fold_any(const ir::Node& n, const std::vector<W>& x) {
  Op op = n.op;
  if (op == Op::Neg) return -x[0];
  if (op == Op::Abs) return x[0] < 0 ? -x[0] : x[0];
  if (op == Op::Relu) return max_nan(x[0], W(0));
  if (op == Op::Add) return x[0] + x[1];
  if (op == Op::Sub) return x[0] - x[1];
  if (op == Op::Mul) return x[0] * x[1];
  if (op == Op::Div) {
    if constexpr (std::is_integral_v<W>)
      if (x[1] == 0) return std::nullopt;  // the interpreter reports it, naming the node
    return x[0] / x[1];
  }
  if (op == Op::Maximum) return max_nan(x[0], x[1]);
  if (op == Op::Minimum) return min_nan(x[0], x[1]);
  if (op == Op::Cmp) return cmp<W>(n.attrs.s("pred"), x[0], x[1]);
  if (op == Op::Select) return x[0] != W(0) ? x[1] : x[2];
  return std::nullopt;
}

// Ops only float dtypes admit, in T's arithmetic, then the others.
template <typename T>
std::optional<T> fold_float(const ir::Node& n, const std::vector<T>& x) {
  Op op = n.op;
  if (op == Op::Exp) return std::exp(x[0]);
  if (op == Op::Log) return std::log(x[0]);
  if (op == Op::Sqrt) return std::sqrt(x[0]);
  if (op == Op::Rsqrt) return 1 / std::sqrt(x[0]);
  if (op == Op::LeakyRelu) return x[0] > 0 ? x[0] : T(n.attrs.f("slope")) * x[0];
  if (op == Op::Sigmoid) return 1 / (1 + std::exp(-x[0]));
  if (op == Op::Tanh) return std::tanh(x[0]);
  if (op == Op::Pow) return std::pow(x[0], T(n.attrs.f("exponent")));
  return fold_any<T>(n, x);
}

// A cast converts through double; to i32 it truncates and must fit.
std::optional<double> fold_cast(double v, ir::DType to) {
  switch (to) {
    case ir::DType::F32: return static_cast<double>(static_cast<float>(v));
    case ir::DType::F64: return v;
    case ir::DType::I32:
      if (std::isnan(v) || v >= 2147483648.0 || v <= -2147483649.0) return std::nullopt;
      return static_cast<double>(static_cast<int32_t>(v));
  }
  return std::nullopt;
}

// The value of an elementwise op on constant operands, or nothing.
std::optional<double> fold_elementwise(const ir::Node& n, const std::vector<double>& in, ir::DType operand_dtype) {
  if (n.op == Op::Cast) return fold_cast(in[0], n.attrs.s("dtype") == "f32"   ? ir::DType::F32
                                                 : n.attrs.s("dtype") == "f64" ? ir::DType::F64
                                                                               : ir::DType::I32);
  if (n.op == Op::Dropout) return std::nullopt;  // a mask, not a fill
  switch (operand_dtype) {
    case ir::DType::F32: {
      std::vector<float> x(in.begin(), in.end());
      std::optional<float> r = fold_float<float>(n, x);
      return r ? std::optional<double>(*r) : std::nullopt;
    }
    case ir::DType::F64: return fold_float<double>(n, in);
    case ir::DType::I32: {
      std::vector<int64_t> x;
      for (double v : in) x.push_back(static_cast<int64_t>(v));
      std::optional<int64_t> r = fold_any<int64_t>(n, x);
      return r ? std::optional<double>(static_cast<int32_t>(*r)) : std::nullopt;  // wraps as the interpreter does
    }
  }
  return std::nullopt;
}

// Layout ops and reduce_max move or pick values: a fill stays the same fill.
bool keeps_fill(Op op) {
  return op == Op::Reshape || op == Op::BroadcastTo || op == Op::Transpose || op == Op::Slice || op == Op::ReduceMax;
}

std::optional<double> fold(const ir::Function& f, const ir::Node& n) {
  if (n.info().has(ir::kSource) || n.info().has(ir::kSink) || n.info().has(ir::kCollective) || n.operands.empty() ||
      n.results.size() != 1)
    return std::nullopt;  // an all_reduce of a constant is still a collective every rank runs
  std::vector<double> in;
  for (ir::ValueId v : n.operands) {
    const ir::Node* d = f.value(v).def;
    if (d == nullptr || d->op != Op::Constant) return std::nullopt;
    in.push_back(d->attrs.f("value"));
  }
  if (keeps_fill(n.op)) return in[0];
  if (!n.info().has(ir::kElementwise)) return std::nullopt;
  // select's condition may differ in dtype; its value operands give the dtype.
  ir::DType dt = f.type(n.operands[n.op == Op::Select ? 1 : 0]).dtype;
  return fold_elementwise(n, in, dt);
}

bool fold_function(ir::Function& f) {
  Rewriter rw(f);
  for (size_t i = 0; i < f.size(); ++i) {
    const ir::Node& n = f.node(i);
    std::optional<double> v = fold(f, n);
    if (!v) continue;
    ir::Builder b = rw.before(i);
    rw.replace(n, b.constant(*v, f.type(n.result())));
    ++i;
  }
  return rw.finish();
}

}  // namespace

bool ConstantFold::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs) changed = fold_function(f) || changed;
  return changed;
}

}  // namespace minigrad::passes
