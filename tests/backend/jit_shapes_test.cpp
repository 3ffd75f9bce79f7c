// The JIT against the interpreter at odd shapes: every pair of extents from
// {1, 7, 63, 65, 257} as rows and columns, through the ops whose kernels split
// their loops into full vectors and a remainder, or into register tiles and edge
// tiles: elementwise ops with row, column and scalar broadcasting,
// transcendentals, reductions along each axis, softmax and its losses, batch
// norm (train, eval, grad), dropout, transpose, and matmul in all four transpose
// cases. Dropout masks must be identical, bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ir/builder.h"
#include "tests/backend/jit_helpers.h"

namespace minigrad::testing {
namespace {

using ir::DType;
using ir::Op;

struct Extents {
  int64_t rows, cols;
};

ir::Type f32(ir::Dims d) { return ir::Type{DType::F32, ir::Shape(std::move(d))}; }

// One module exercising every kernel family at [rows, cols]; inner extent k of the matmuls.
ir::Module shapes_module(Extents e, int64_t k) {
  ir::Module m;
  m.name = "shapes";
  ir::Function& f = m.add_func("f");
  ir::Builder b(f);
  int64_t r = e.rows, c = e.cols;
  ir::ValueId x = b.input("x", f32({r, c})), row = b.input("row", f32({c})), col = b.input("col", f32({r, 1}));
  ir::ValueId pos = b.input("pos", f32({r, c})), labels = b.input("labels", ir::Type{DType::I32, {r}});
  ir::ValueId gamma = b.input("gamma", f32({c})), var = b.input("var", f32({c}));
  ir::ValueId bmat = b.input("b", f32({c, k})), cmat = b.input("c", f32({r, k})), dmat = b.input("d", f32({k, c}));
  ir::ValueId seed = b.input("seed", ir::Type{DType::I32, {}}), step = b.input("step", ir::Type{DType::I32, {}});
  int out = 0;
  auto emit = [&](ir::ValueId v) { b.output(fmt::format("o{}", out++), v); };
  emit(b.add(x, row));
  emit(b.mul(col, x));
  emit(b.sub(x, 0.5));
  emit(b.unary(Op::Exp, x));
  emit(b.unary(Op::Log, pos));
  emit(b.unary(Op::Tanh, x));
  emit(b.unary(Op::Sigmoid, x));
  emit(b.emit1(Op::LeakyRelu, {x}));
  emit(b.reduce_sum(x, {0}));
  emit(b.reduce(Op::ReduceMax, x, {1}, true));
  emit(b.reduce(Op::ReduceMean, x, {0, 1}));
  emit(b.emit1(Op::Softmax, {x}));
  emit(b.emit1(Op::LogSoftmax, {x}));
  emit(b.emit1(Op::SoftmaxXent, {x, labels}, {{"label_smoothing", 0.3}}));
  emit(b.emit1(Op::Correct, {x, labels}));
  for (ir::ValueId v : b.emit(Op::BatchNormTrain, {x, gamma, row})) emit(v);
  for (ir::ValueId v : b.emit(Op::BatchNormGrad, {pos, x, gamma, row, var})) emit(v);
  emit(b.emit1(Op::BatchNormEval, {x, gamma, row, row, var}));
  emit(b.emit1(Op::Dropout, {x, seed, step}, {{"p", 0.3}, {"salt", int64_t{5}}}));
  emit(b.emit1(Op::Transpose, {x}));
  emit(b.matmul(x, bmat));              // [r, c] [c, k]
  emit(b.matmul(x, dmat, false, true));  // [r, c] [k, c]^T
  emit(b.matmul(x, cmat, true, false));  // [r, c]^T [r, k]
  emit(b.matmul(bmat, x, true, true));   // [c, k]^T [r, c]^T
  return m;
}

std::vector<Buffer> shapes_inputs(const ir::Module& m, Extents e) {
  std::mt19937 rng(uint32_t(e.rows * 1000 + e.cols));
  std::normal_distribution<float> normal(0, 1);
  std::uniform_real_distribution<float> positive(0.5f, 2.0f);
  std::vector<Buffer> in;
  for (const ir::Node* n : m.funcs[0].nodes_of(Op::Input)) {
    Buffer buf(m.funcs[0].type(n->result()));
    const std::string& name = n->attrs.s("name");
    for (int64_t i = 0; i < buf.numel(); ++i) {
      if (name == "labels") buf.as<int32_t>()[i] = int32_t(rng() % uint32_t(e.cols));
      else if (name == "seed" || name == "step") buf.as<int32_t>()[i] = int32_t(rng() % 100000);
      else if (name == "pos" || name == "var") buf.as<float>()[i] = positive(rng);
      else buf.as<float>()[i] = normal(rng);
    }
    in.push_back(std::move(buf));
  }
  return in;
}

// Where each matmul output is: the last four outputs (o24..o27), with the inner
// extent K of each.
constexpr size_t kFirstMatmul = 24;
int64_t matmul_inner(size_t i, Extents e) { return i == kFirstMatmul + 2 ? e.rows : e.cols; }

// The bound on a matmul element's rounding error (Higham, "Accuracy and Stability of
// Numerical Algorithms", 2nd ed., eq. 3.5): a dot product of K terms computed in f32
// in any order of additions, with or without fused multiply-adds, differs from the
// exact sum by at most gamma_K * sum_k |a_ik| |b_kj|, gamma_n = n u / (1 - n u),
// u = 2^-24 (FLT_EPSILON / 2). The interpreter sums in double (error gamma_K of
// double's u, about 2^-29 of f32's) and rounds once to f32 (u |exact| <= u * sum):
// so |jit - interp| <= gamma_{K+2} * sum_k |a_ik| |b_kj|. The error depends on that
// sum, not on the element: where the products cancel, the element is small and the
// rounding is not, so a bound relative to the element cannot hold (with K = 257 the
// typical error is about sqrt(K) u |partial sums|, 1e-5 here).
double gamma(int64_t n) {
  double u = std::ldexp(1.0, -24), nu = double(n) * u;
  return nu / (1 - nu);
}

// Empty if every element of `got` is within gamma_{K+2} * abs_sums[i] of `ref`.
std::string matmul_disagreement(const Buffer& got, const Buffer& ref, const Buffer& abs_sums, int64_t k) {
  for (int64_t i = 0; i < ref.numel(); ++i) {
    double a = got.as<float>()[i], b = ref.as<float>()[i], bound = gamma(k + 2) * abs_sums.as<float>()[i];
    if (!(std::abs(a - b) <= bound))
      return fmt::format("[{}]: jit {} interp {}: |difference| {:.3g} above gamma_{} * sum |a||b| = {:.3g}", i, a, b,
                         std::abs(a - b), k + 2, bound);
  }
  return "";
}

// The inputs with every f32 element replaced by its magnitude: the interpreter's
// matmuls of these are the sums sum_k |a_ik| |b_kj| (in double, rounded to f32).
std::vector<Buffer> magnitudes(const std::vector<Buffer>& in) {
  std::vector<Buffer> out;
  for (const Buffer& b : in) {
    Buffer m = b;
    if (b.type().dtype == DType::F32)
      for (float& v : m.span<float>()) v = std::abs(v);
    out.push_back(std::move(m));
  }
  return out;
}

class JitShapes : public ::testing::TestWithParam<Extents> {};

TEST_P(JitShapes, AgreeWithInterpreter) {
  Extents e = GetParam();
  int64_t k = e.rows * e.cols > 4000 ? 7 : 65;
  ir::Module m = shapes_module(e, k);
  std::vector<Buffer> in = shapes_inputs(m, e);
  StateStore s1(m), s2(m), s3(m);
  std::vector<Buffer> ref = run_with(interp_backend(), m, s1, in);
  std::vector<Buffer> got = run_with(jit_backend(), m, s2, in);
  std::vector<Buffer> abs_sums = run_with(interp_backend(), m, s3, magnitudes(in));
  std::string what = fmt::format("[{}, {}] k {}", e.rows, e.cols, k);
  ASSERT_EQ(got.size(), kFirstMatmul + 4) << what;
  // The other ops: sums over up to 257 terms in f32 (the interpreter sums in double).
  std::vector<Buffer> got_rest, ref_rest;
  for (size_t i = 0; i < kFirstMatmul; ++i) got_rest.push_back(std::move(got[i])), ref_rest.push_back(std::move(ref[i]));
  expect_agree(got_rest, ref_rest, Tolerance{2e-5, 1e-5}, what);
  for (size_t i = kFirstMatmul; i < got.size(); ++i)
    EXPECT_EQ(matmul_disagreement(got[i], ref[i], abs_sums[i], matmul_inner(i, e)), "") << what << " output " << i;
  // The dropout output (o22): the same mask and the same scaled values, bit for bit.
  EXPECT_EQ(disagreement(got_rest[22], ref_rest[22], Tolerance{0, 0}), "") << what << " dropout";
}

std::vector<Extents> all_extents() {
  std::vector<Extents> out;
  for (int64_t r : {1, 7, 63, 65, 257})
    for (int64_t c : {1, 7, 63, 65, 257}) out.push_back({r, c});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Odd, JitShapes, ::testing::ValuesIn(all_extents()),
                         [](const ::testing::TestParamInfo<Extents>& i) {
                           return fmt::format("r{}_c{}", i.param.rows, i.param.cols);
                         });

}  // namespace
}  // namespace minigrad::testing
