// The JIT against the interpreter at odd shapes: every pair of extents from
// {1, 7, 63, 65, 257} as rows and columns, through the ops whose kernels split
// their loops into full vectors and a remainder, or into register tiles and edge
// tiles: elementwise ops with row, column and scalar broadcasting,
// transcendentals, reductions along each axis, softmax and its losses, batch
// norm (train, eval, grad), dropout, transpose, and matmul in all four transpose
// cases. Dropout masks must be identical, bit for bit.
#include <gtest/gtest.h>

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

class JitShapes : public ::testing::TestWithParam<Extents> {};

TEST_P(JitShapes, AgreeWithInterpreter) {
  Extents e = GetParam();
  int64_t k = e.rows * e.cols > 4000 ? 7 : 65;
  ir::Module m = shapes_module(e, k);
  std::vector<Buffer> in = shapes_inputs(m, e);
  StateStore s1(m), s2(m);
  std::vector<Buffer> ref = run_with(interp_backend(), m, s1, in);
  std::vector<Buffer> got = run_with(jit_backend(), m, s2, in);
  std::string what = fmt::format("[{}, {}] k {}", e.rows, e.cols, k);
  // Sums over up to 257 terms in f32 (the interpreter sums in double).
  expect_agree(got, ref, Tolerance{2e-5, 1e-5}, what);
  // The dropout output (o22): the same mask and the same scaled values, bit for bit.
  EXPECT_EQ(disagreement(got[22], ref[22], Tolerance{0, 0}), "") << what << " dropout";
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
