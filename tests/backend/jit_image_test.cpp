// The JIT's image kernels (backend/llvm/image/) against the interpreter over a grid
// of convolution shapes: kernels 1, 3, 5 and 7, strides 1 and 2, paddings, groups,
// odd channel counts (1, 3, 6, 16, 17, 64) and batches of 1 and odd sizes; forward
// and both gradients, then max pooling and BatchNorm2d on the result. Each case also
// runs at 2 threads, whose results must be the bits of 1 thread (the convolutions
// split over images, pooling over planes, batch norm over channels).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "ir/builder.h"
#include "passes/autodiff.h"
#include "tests/backend/jit_helpers.h"

namespace minigrad::testing {
namespace {

struct ConvCase {
  int64_t n, c, h, w, f, k, stride, pad, groups = 1;
  bool pool_and_norm = false;  // max_pool2d(2) and batch_norm_train after the convolution
};

std::string name(const ConvCase& s) {
  return fmt::format("n{}_c{}_{}x{}_f{}_k{}_s{}_p{}_g{}{}", s.n, s.c, s.h, s.w, s.f, s.k, s.stride, s.pad, s.groups,
                     s.pool_and_norm ? "_pool_bn" : "");
}

// x, w, r -> y = conv2d(x, w) [-> max_pool2d -> batch_norm_train], loss = sum(y r);
// outputs y and the gradients of x and w.
ir::Module conv_module(const ConvCase& s) {
  ir::Module m;
  m.name = "conv";
  ir::Function& fn = m.add_func("f");
  ir::Builder b(fn);
  ir::ValueId x = b.input("x", ir::Type{ir::DType::F32, ir::Shape{s.n, s.c, s.h, s.w}});
  ir::ValueId w = b.input("w", ir::Type{ir::DType::F32, ir::Shape{s.f, s.c / s.groups, s.k, s.k}});
  ir::Attrs a{{"stride", std::vector<int64_t>{s.stride, s.stride}}, {"padding", std::vector<int64_t>{s.pad, s.pad}},
              {"dilation", std::vector<int64_t>{1, 1}}, {"groups", s.groups}};
  ir::ValueId y = b.emit1(ir::Op::Conv2d, {x, w}, a);
  if (s.pool_and_norm) {
    ir::Attrs p{{"kernel", std::vector<int64_t>{2, 2}}, {"stride", std::vector<int64_t>{2, 2}},
                {"padding", std::vector<int64_t>{0, 0}}};
    y = b.emit1(ir::Op::MaxPool2d, {y}, p);
    ir::ValueId gamma = b.input("gamma", ir::Type{ir::DType::F32, ir::Shape{s.f}});
    ir::ValueId beta = b.input("beta", ir::Type{ir::DType::F32, ir::Shape{s.f}});
    y = b.emit(ir::Op::BatchNormTrain, {y, gamma, beta}, {{"eps", 1e-5}})[0];
  }
  ir::ValueId r = b.input("r", fn.type(y));
  ir::ValueId loss = b.reduce_sum(b.mul(y, r), {0, 1, 2, 3});
  std::vector<ir::ValueId> g = b.emit(ir::Op::Grad, {loss, x, w});
  b.output("y", y);
  b.output("dx", g[0]);
  b.output("dw", g[1]);
  passes::expand_grads(fn);
  return m;
}

std::vector<Buffer> random_inputs(const ir::Module& m, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  std::vector<Buffer> in;
  for (const ir::Node* n : m.funcs[0].nodes_of(ir::Op::Input)) {
    Buffer buf(m.funcs[0].type(n->result()));
    for (float& v : buf.span<float>()) v = normal(rng);
    in.push_back(std::move(buf));
  }
  return in;
}

Backend& jit_two_threads() {
  static std::unique_ptr<Backend> b = [] {
    JitBackendOptions o;
    o.cache_dir = "off";
    o.threads = 2;
    return make_jit_backend(o);
  }();
  return *b;
}

class JitImage : public ::testing::TestWithParam<ConvCase> {};

TEST_P(JitImage, AgreesWithInterpreterAndAcrossThreads) {
  ir::Module m = conv_module(GetParam());
  std::vector<Buffer> in = random_inputs(m, 11);
  StateStore s1(m), s2(m), s3(m);
  std::vector<Buffer> ref = run_with(interp_backend(), m, s1, in);
  std::vector<Buffer> one = run_with(jit_backend(), m, s2, in);
  // Sums of up to 17 x 49 f32 products (and batch norm's divisions by small variances).
  expect_agree(one, ref, Tolerance{2e-4, 2e-5}, name(GetParam()));
  std::vector<Buffer> two = run_with(jit_two_threads(), m, s3, in);
  for (size_t i = 0; i < one.size(); ++i)
    EXPECT_EQ(0, std::memcmp(one[i].data(), two[i].data(), one[i].bytes())) << name(GetParam()) << " output " << i;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, JitImage,
    ::testing::Values(ConvCase{1, 1, 28, 28, 6, 5, 1, 2}, ConvCase{3, 6, 14, 14, 16, 5, 1, 0},
                      ConvCase{2, 3, 9, 11, 17, 3, 1, 1}, ConvCase{1, 17, 8, 8, 3, 1, 1, 0},
                      ConvCase{3, 16, 13, 13, 6, 7, 2, 3}, ConvCase{5, 3, 10, 10, 6, 3, 2, 0},
                      ConvCase{2, 6, 7, 7, 6, 3, 1, 1, 3}, ConvCase{4, 16, 16, 16, 64, 3, 1, 1, 1, true},
                      ConvCase{3, 3, 12, 12, 17, 3, 1, 1, 1, true}, ConvCase{8, 16, 28, 28, 32, 3, 1, 1, 1, true}),
    [](const ::testing::TestParamInfo<ConvCase>& i) { return name(i.param); });

}  // namespace
}  // namespace minigrad::testing
