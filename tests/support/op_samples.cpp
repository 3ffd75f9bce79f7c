// Samples of every op; see op_samples.h.
#include "tests/support/op_samples.h"

#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "ir/builder.h"
#include "ir/error.h"

namespace minigrad::testing {
namespace {

using ir::Attrs;
using ir::DType;
using ir::Op;
using ir::Shape;
using ir::Type;

OperandSpec f(Shape s, Gen g = Gen::Normal) { return {Type{DType::F32, std::move(s)}, g}; }
OperandSpec labels(int64_t n, int64_t classes) { return {Type{DType::I32, Shape{n}}, Gen::Labels, classes, false}; }
// The row count of a masked op (docs/ir.md, "Partial batches") over `rows` rows.
OperandSpec row_count(int64_t rows) { return {Type{DType::I32, Shape{}}, Gen::RowCount, rows, false}; }
OperandSpec i32_scalar() { return {Type{DType::I32, Shape{}}, Gen::SmallInt, 0, false}; }
OperandSpec constant_f(Shape s, Gen g) { return {Type{DType::F32, std::move(s)}, g, 0, false}; }

OpSample unary(Op op, Gen g = Gen::Normal, Attrs a = {}) { return {"", op, {f({3, 4}, g)}, std::move(a)}; }

std::vector<OpSample> binary(Op op, Gen rhs = Gen::Normal) {
  return {{"same", op, {f({3, 4}), f({3, 4}, rhs)}, {}},
          {"row", op, {f({3, 4}), f({4}, rhs)}, {}},
          {"col", op, {f({3, 1}), f({3, 4}, rhs)}, {}},
          {"scalar", op, {f({3, 4}), f({}, rhs)}, {}}};
}

std::vector<OpSample> reductions(Op op) {
  return {{"axis1 keep", op, {f({3, 4})}, {{"axes", std::vector<int64_t>{1}}, {"keepdims", true}}},
          {"axis0", op, {f({3, 4})}, {{"axes", std::vector<int64_t>{0}}}},
          {"all", op, {f({2, 3, 4})}, {{"axes", std::vector<int64_t>{0, 1, 2}}}}};
}

std::vector<OpSample> matmuls() {
  std::vector<OpSample> out;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      Shape a = ta ? Shape{5, 3} : Shape{3, 5}, b = tb ? Shape{4, 5} : Shape{5, 4};
      out.push_back({std::string(ta ? "ta" : "") + (tb ? "tb" : ""), Op::Matmul, {f(a), f(b)},
                     {{"transpose_a", ta}, {"transpose_b", tb}}});
    }
  return out;
}

// fused elementwise: t = a * b; out0 = t + a; out1 = exp(-t)
OpSample fused_sample() {
  auto body = std::make_shared<ir::Function>("body");
  ir::Builder b(*body);
  ir::ValueId a = b.input("0", Type{DType::F32, Shape{3, 4}}), c = b.input("1", Type{DType::F32, Shape{4}});
  ir::ValueId t = b.mul(a, c);
  b.output("0", b.add(t, a));
  b.output("1", b.unary(Op::Exp, b.neg(t)));
  return {"elementwise", Op::Fused, {f({3, 4}), f({4})}, {{"kind", std::string("elementwise")}}, body};
}

}  // namespace

namespace {
using Ints = std::vector<int64_t>;

// A spatial attribute set: stride, padding (and dilation, groups for convolutions).
Attrs window(Ints stride, Ints padding, std::optional<Ints> dilation = std::nullopt, int64_t groups = 1) {
  Attrs a{{"stride", stride}, {"padding", padding}};
  if (dilation) a.set("dilation", *dilation), a.set("groups", groups);
  return a;
}
Attrs with_first(const char* name, Ints v, Attrs rest) {
  Attrs a{{name, v}};
  for (const auto& [k, x] : rest.items()) a.set(k, x);
  return a;
}

// Convolutions: 3x3 same padding, stride 2, a rectangular dilated kernel, groups, 1x1.
std::vector<OpSample> convolutions() {
  return {{"3x3", Op::Conv2d, {f({2, 3, 6, 5}), f({4, 3, 3, 3})}, window({1, 1}, {1, 1}, Ints{1, 1})},
          {"stride2", Op::Conv2d, {f({2, 2, 7, 7}), f({3, 2, 3, 3})}, window({2, 2}, {0, 0}, Ints{1, 1})},
          {"dilated", Op::Conv2d, {f({1, 2, 7, 6}), f({2, 2, 2, 3})}, window({1, 2}, {1, 0}, Ints{2, 1})},
          {"groups", Op::Conv2d, {f({1, 4, 5, 5}), f({6, 2, 3, 3})}, window({1, 1}, {1, 1}, Ints{1, 1}, 2)},
          {"1x1", Op::Conv2d, {f({3, 5, 2, 3}), f({2, 5, 1, 1})}, window({1, 1}, {0, 0}, Ints{1, 1})}};
}

std::vector<OpSample> convolution_grads() {
  return {{"3x3", Op::Conv2dInputGrad, {f({2, 4, 6, 5}), f({4, 3, 3, 3})},
           with_first("input", {6, 5}, window({1, 1}, {1, 1}, Ints{1, 1}))},
          {"stride2", Op::Conv2dInputGrad, {f({2, 3, 3, 3}), f({3, 2, 3, 3})},
           with_first("input", {7, 7}, window({2, 2}, {0, 0}, Ints{1, 1}))},
          {"groups", Op::Conv2dInputGrad, {f({1, 6, 5, 5}), f({6, 2, 3, 3})},
           with_first("input", {5, 5}, window({1, 1}, {1, 1}, Ints{1, 1}, 2))},
          {"3x3", Op::Conv2dWeightGrad, {f({2, 4, 6, 5}), f({2, 3, 6, 5})},
           with_first("kernel", {3, 3}, window({1, 1}, {1, 1}, Ints{1, 1}))},
          {"stride2 dilated", Op::Conv2dWeightGrad, {f({2, 3, 2, 3}), f({2, 2, 7, 7})},
           with_first("kernel", {3, 2}, window({2, 2}, {0, 0}, Ints{2, 2}))},
          {"groups", Op::Conv2dWeightGrad, {f({1, 6, 5, 5}), f({1, 4, 5, 5})},
           with_first("kernel", {3, 3}, window({1, 1}, {1, 1}, Ints{1, 1}, 2))}};
}

// Pools: 2x2 stride 2, overlapping 3x3 stride 2 with padding, and (max) ties.
std::vector<OpSample> pools(Op op) {
  std::vector<OpSample> out{{"2x2", op, {f({2, 3, 6, 6})}, with_first("kernel", {2, 2}, window({2, 2}, {0, 0}))},
                            {"3x3 pad", op, {f({1, 2, 7, 6})}, with_first("kernel", {3, 3}, window({2, 2}, {1, 1}))}};
  if (op == Op::MaxPool2d)
    out.push_back({"ties", op, {constant_f({1, 2, 4, 4}, Gen::Ties)}, with_first("kernel", {2, 2}, window({1, 1}, {0, 0}))});
  return out;
}

std::vector<OpSample> pool_grads(Op op) {
  if (op == Op::MaxPool2dGrad)
    return {{"2x2", op, {f({2, 3, 3, 3}), f({2, 3, 6, 6})}, with_first("kernel", {2, 2}, window({2, 2}, {0, 0}))},
            {"3x3 pad", op, {f({1, 2, 4, 3}), f({1, 2, 7, 6})}, with_first("kernel", {3, 3}, window({2, 2}, {1, 1}))},
            {"ties", op, {f({1, 2, 3, 3}), constant_f({1, 2, 4, 4}, Gen::Ties)},
             with_first("kernel", {2, 2}, window({1, 1}, {0, 0}))}};
  Attrs a = with_first("input", {7, 6}, with_first("kernel", {3, 3}, window({2, 2}, {1, 1})));
  return {{"3x3 pad", op, {f({1, 2, 4, 3})}, a}};
}
}  // namespace

std::vector<OpSample> samples_for(Op op) {
  switch (op) {
    case Op::Input:
    case Op::LoadState:
    case Op::Constant:
    case Op::StoreState:
    case Op::Output:
    case Op::Grad: return {};
    case Op::Neg: return {unary(op)};
    case Op::Abs: return {unary(op, Gen::AwayFromZero)};
    case Op::Exp: return {unary(op)};
    case Op::Log: return {unary(op, Gen::Positive)};
    case Op::Sqrt: return {unary(op, Gen::Positive)};
    case Op::Rsqrt: return {unary(op, Gen::Positive)};
    case Op::Relu: return {unary(op, Gen::AwayFromZero)};
    case Op::LeakyRelu: {
      OpSample steep = unary(op, Gen::AwayFromZero, {{"slope", 0.2}});
      steep.label = "slope 0.2";
      return {unary(op, Gen::AwayFromZero), steep};
    }
    case Op::Sigmoid: return {unary(op)};
    case Op::Tanh: return {unary(op)};
    case Op::Pow:
    {
      OpSample cube = unary(op, Gen::Normal, {{"exponent", 3.0}}), root = unary(op, Gen::Positive, {{"exponent", -1.5}});
      cube.label = "cube", root.label = "negative fraction";
      return {cube, root};
    }
    case Op::Cast:
      return {unary(op, Gen::Normal, {{"dtype", std::string("f64")}}),
              {"to i32", op, {constant_f({3, 4}, Gen::Positive)}, {{"dtype", std::string("i32")}}}};
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Maximum:
    case Op::Minimum: return binary(op);
    case Op::Div: return binary(op, Gen::Positive);
    case Op::Cmp: {
      std::vector<OpSample> out;
      // Operands with ties, so that eq, ne, ge and le are exercised at equality.
      for (const char* p : {"gt", "ge", "lt", "le", "eq", "ne"})
        out.push_back({p, op, {f({3, 4}, Gen::Ties), f({4}, Gen::Ties)}, {{"pred", std::string(p)}}});
      return out;
    }
    case Op::Select:
      return {{"", op, {constant_f({3, 4}, Gen::Mask01), f({3, 4}), f({4})}, {}}};
    case Op::ReduceSum:
    case Op::ReduceMean:
    case Op::ReduceMax: return reductions(op);
    case Op::Reshape: return {{"", op, {f({3, 4})}, {{"shape", std::vector<int64_t>{2, 6}}}}};
    case Op::BroadcastTo:
      return {{"row", op, {f({4})}, {{"shape", std::vector<int64_t>{3, 4}}}},
              {"col", op, {f({3, 1})}, {{"shape", std::vector<int64_t>{3, 4}}}}};
    case Op::Transpose: return {unary(op)};
    case Op::Slice:
      return {{"rows", op, {f({5, 3})}, {{"axis", int64_t{0}}, {"start", int64_t{1}}, {"end", int64_t{4}}}}};
    case Op::MaskRows: return {{"", op, {f({5, 3}), row_count(5)}, {}}};
    case Op::Pad:
      return {{"cols", op, {f({3, 2})}, {{"axis", int64_t{1}}, {"before", int64_t{1}}, {"after", int64_t{2}}}}};
    case Op::Matmul: return matmuls();
    case Op::Softmax:
    case Op::LogSoftmax: return {{"", op, {f({3, 5})}, {}}};
    case Op::SoftmaxXent:
    case Op::Nll:
      return {{"", op, {f({4, 5}), labels(4, 5)}, {}},
              {"smoothed", op, {f({4, 5}), labels(4, 5)}, {{"label_smoothing", 0.3}}},
              {"masked", op, {f({4, 5}), labels(4, 5), row_count(4)}, {{"label_smoothing", 0.3}}}};
    case Op::Mse:
      return {{"", op, {f({3, 4}), f({3, 4})}, {}}, {"masked", op, {f({3, 4}), f({3, 4}), row_count(3)}, {}}};
    case Op::OneHot: return {{"", op, {labels(4, 5)}, {{"classes", int64_t{5}}}}};
    case Op::Argmax: return {{"", op, {constant_f({4, 5}, Gen::Normal)}, {}}};
    case Op::Correct:
      return {{"", op, {constant_f({6, 3}, Gen::Normal), labels(6, 3)}, {}},
              {"masked", op, {constant_f({6, 3}, Gen::Normal), labels(6, 3), row_count(6)}, {}}};
    case Op::BatchNormTrain:
      return {{"", op, {f({6, 4}), f({4}), f({4})}, {}}, {"masked", op, {f({6, 4}), f({4}), f({4}), row_count(6)}, {}},
              {"2d", op, {f({3, 4, 2, 3}), f({4}), f({4})}, {}},
              {"2d masked", op, {f({3, 4, 2, 3}), f({4}), f({4}), row_count(3)}, {}}};
    case Op::BatchNormGrad:
      return {{"", op, {f({6, 4}), f({6, 4}), f({4}), f({4}), f({4}, Gen::Positive)}, {}},
              {"masked", op, {f({6, 4}), f({6, 4}), f({4}), f({4}), f({4}, Gen::Positive), row_count(6)}, {}},
              {"2d masked", op, {f({3, 4, 2, 3}), f({3, 4, 2, 3}), f({4}), f({4}), f({4}, Gen::Positive), row_count(3)}, {}}};
    case Op::BatchNormEval:
      return {{"", op, {f({6, 4}), f({4}), f({4}), f({4}), f({4}, Gen::Positive)}, {{"eps", 1e-3}}},
              {"2d", op, {f({2, 4, 3, 2}), f({4}), f({4}), f({4}), f({4}, Gen::Positive)}, {{"eps", 1e-3}}}};
    case Op::Conv2d: return convolutions();
    case Op::Conv2dInputGrad:
    case Op::Conv2dWeightGrad: {
      std::vector<OpSample> all = convolution_grads(), mine;
      for (OpSample& x : all) if (x.op == op) mine.push_back(std::move(x));
      return mine;
    }
    case Op::MaxPool2d:
    case Op::AvgPool2d: return pools(op);
    case Op::MaxPool2dGrad:
    case Op::AvgPool2dGrad: return pool_grads(op);
    case Op::Fused: return {fused_sample()};
    case Op::Dropout:
      return {{"", op, {f({5, 7}), i32_scalar(), i32_scalar()}, {{"p", 0.3}, {"salt", int64_t{2}}}},
              {"offset", op, {f({5, 7}), i32_scalar(), i32_scalar()}, {{"p", 0.3}, {"offset", int64_t{70}}}}};
    case Op::AllReduce:  // one process: the sum over one rank is the operand
      return {{"", op, {f({3, 4})}, {{"ranks", int64_t{1}}}}};
    case Op::AllReduceStart:  // one process: the values, then their sums (the values)
    case Op::AllReduceWait:
      return {{"", op, {f({3, 4}), f({5})}, {{"ranks", int64_t{1}}, {"bucket", int64_t{0}}}}};
  }
  return {};
}

std::vector<OpSample> all_samples() {
  std::vector<OpSample> out;
  for (const ir::OpInfo& info : ir::all_ops())
    for (OpSample& s : samples_for(info.op)) {
      s.label = std::string(info.name) + (s.label.empty() ? "" : " " + s.label);
      out.push_back(std::move(s));
    }
  return out;
}

ir::Module sample_module(const OpSample& s) {
  ir::Module m;
  m.name = "sample";
  ir::Function& fn = m.add_func("f");
  ir::Builder b(fn);
  std::vector<ir::ValueId> in;
  for (size_t i = 0; i < s.operands.size(); ++i) in.push_back(b.input("in" + std::to_string(i), s.operands[i].type));
  std::vector<ir::ValueId> out = b.emit(s.op, in, s.attrs, s.body);
  for (size_t i = 0; i < out.size(); ++i) b.output("out" + std::to_string(i), out[i]);
  return m;
}

std::vector<Buffer> sample_inputs(const OpSample& s, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  std::vector<Buffer> out;
  for (const OperandSpec& spec : s.operands) {
    Buffer buf(spec.type);
    for (int64_t i = 0; i < buf.numel(); ++i) {
      double v = 0;
      switch (spec.gen) {
        case Gen::Normal: v = normal(rng); break;
        case Gen::Positive: v = std::uniform_real_distribution<double>(0.5, 2.0)(rng); break;
        case Gen::AwayFromZero:
          do v = normal(rng);
          while (std::abs(v) < 0.1);
          break;
        case Gen::Mask01: v = static_cast<double>(rng() % 2); break;
        case Gen::Labels: v = static_cast<double>(rng() % static_cast<uint32_t>(spec.classes)); break;
        case Gen::SmallInt: v = static_cast<double>(rng() % 1000); break;
        case Gen::RowCount: v = static_cast<double>(1 + rng() % static_cast<uint32_t>(spec.classes)); break;
        case Gen::Ties: v = static_cast<double>(i % 3) - 1; break;
      }
      switch (spec.type.dtype) {
        case DType::F32: buf.as<float>()[i] = static_cast<float>(v); break;
        case DType::F64: buf.as<double>()[i] = v; break;
        case DType::I32: buf.as<int32_t>()[i] = static_cast<int32_t>(v); break;
      }
    }
    out.push_back(std::move(buf));
  }
  return out;
}

ir::Module module_with_every_op() {
  ir::Module m;
  m.name = "every_op";
  m.add_state({"w", Type{DType::F32, Shape{4}}, ir::StateRole::Param, {ir::Init::Kind::Uniform, -0.5, 0.5}, false});
  m.add_state({"n", Type{DType::I32, Shape{}}, ir::StateRole::Buffer, {}, false});
  ir::Function& fn = m.add_func("f");
  ir::Builder b(fn);
  b.set_locs({{"every_op.cpp", 1, 1}});
  ir::ValueId w = b.load_state("w", Type{DType::F32, Shape{4}});
  ir::ValueId c = b.constant(2.5, Type{DType::F32, Shape{}});
  ir::ValueId loss = b.emit1(Op::ReduceSum, {b.mul(w, c)}, {{"axes", std::vector<int64_t>{0}}});
  ir::ValueId g = b.emit(Op::Grad, {loss, w}).at(0);
  b.store_state("w", g);
  b.output("loss", loss);
  int k = 0;
  for (const OpSample& s : all_samples()) {
    std::vector<ir::ValueId> in;
    for (size_t i = 0; i < s.operands.size(); ++i)
      in.push_back(b.input(fmt::format("s{}_{}", k, i), s.operands[i].type));
    b.set_locs({{"every_op.cpp", 10 + k, 3}});
    b.emit(s.op, in, s.attrs, s.body);
    ++k;
  }
  return m;
}

}  // namespace minigrad::testing
