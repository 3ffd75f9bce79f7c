// The interpreter on small examples whose results were computed with PyTorch 1.13
// (the script is next to each number) or by hand: label-smoothed cross-entropy,
// batch norm in training (y, mean, var, and its gradient) and in evaluation, and the
// statistics and reproducibility of dropout masks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tests/backend/interp_helpers.h"

namespace minigrad::testing {
namespace {

void expect_near_all(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol * std::max(1.0f, std::fabs(want[i]))) << i;
}

// import torch, torch.nn.functional as F
// x = torch.tensor([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]]); y = torch.tensor([1, 2])
// F.cross_entropy(x, y, label_smoothing=0.3).item()  # 0.740126371383667
// F.cross_entropy(x, y).item()                        # 0.2651263475418091
TEST(InterpKnownValues, LabelSmoothedCrossEntropy) {
  const char* text = R"(module @m {
  func @f {
    %x: f32[2,3] = input {name="x"}
    %y: i32[2] = input {name="y"}
    %l: f32[] = softmax_xent(%x, %y) {label_smoothing=0.3}
    %l0: f32[] = softmax_xent(%x, %y)
    %p: f32[2,3] = log_softmax(%x)
    %n: f32[] = nll(%p, %y) {label_smoothing=0.3}
    output(%l) {name="smoothed"}
    output(%l0) {name="plain"}
    output(%n) {name="nll"}
  }
})";
  std::vector<Buffer> out = run_text(text, {f32({2, 3}, {1, 2, 0.5, -1, 0, 3}), i32({2}, {1, 2})});
  EXPECT_NEAR(values<float>(out[0])[0], 0.740126371383667f, 1e-6f);
  EXPECT_NEAR(values<float>(out[1])[0], 0.2651263475418091f, 1e-6f);
  EXPECT_NEAR(values<float>(out[2])[0], 0.740126371383667f, 1e-6f);
}

// x = torch.tensor([[1.0, 2.0], [3.0, 5.0], [0.0, -1.0], [2.0, 0.5]], requires_grad=True)
// g = torch.tensor([1.5, 0.5], requires_grad=True); b = torch.tensor([0.1, -0.2], requires_grad=True)
// out = F.batch_norm(x, None, None, g, b, training=True, eps=1e-5)
// out.tolist(), x.mean(0).tolist(), x.var(0, unbiased=False).tolist()
// dy = torch.tensor([[0.5, -1.0], [1.0, 2.0], [-0.5, 0.25], [0.0, 1.0]]); out.backward(dy)
// x.grad.tolist(), g.grad.tolist(), b.grad.tolist()
const char* kBatchNormTrain = R"(module @m {
  func @f {
    %x: f32[4,2] = input {name="x"}
    %g: f32[2] = input {name="gamma"}
    %b: f32[2] = input {name="beta"}
    %dy: f32[4,2] = input {name="dy"}
    %y: f32[4,2], %mean: f32[2], %var: f32[2] = batch_norm_train(%x, %g, %b)
    %dx: f32[4,2], %dg: f32[2], %db: f32[2] = batch_norm_grad(%dy, %x, %g, %mean, %var)
    output(%y) {name="y"}
    output(%mean) {name="mean"}
    output(%var) {name="var"}
    output(%dx) {name="dx"}
    output(%dg) {name="dgamma"}
    output(%db) {name="dbeta"}
  }
})";

TEST(InterpKnownValues, BatchNormTrainAndGrad) {
  Buffer x = f32({4, 2}, {1, 2, 3, 5, 0, -1, 2, 0.5}), dy = f32({4, 2}, {0.5, -1, 1, 2, -0.5, 0.25, 0, 1});
  std::vector<Buffer> out = run_text(kBatchNormTrain, {x, f32({2}, {1.5, 0.5}), f32({2}, {0.1, -0.2}), dy});
  expect_near_all(values<float>(out[0]), {-0.5708177089691162f, -0.11548468470573425f, 2.1124532222747803f,
                                          0.5606380105018616f, -1.9124531745910645f, -0.7916073799133301f,
                                          0.770817756652832f, -0.45354604721069336f});
  expect_near_all(values<float>(out[1]), {1.5f, 1.625f});
  expect_near_all(values<float>(out[2]), {1.25f, 4.921875f});
  expect_near_all(values<float>(out[3]), {0.6037337779998779f, -0.37186744809150696f, 0.2012517750263214f,
                                          0.14649361371994019f, -0.2012517750263214f, 0.06761199235916138f,
                                          -0.6037337779998779f, 0.1577618420124054f});
  expect_near_all(values<float>(out[4]), {1.7888472080230713f, 2.0706257820129395f});
  expect_near_all(values<float>(out[5]), {1.0f, 2.25f});
}

// rm = torch.tensor([0.5, 1.0]); rv = torch.tensor([2.0, 0.25])
// F.batch_norm(x, rm, rv, g, b, training=False, eps=1e-3).tolist()  (x, g, b as above)
TEST(InterpKnownValues, BatchNormEval) {
  const char* text = R"(module @m {
  func @f {
    %x: f32[4,2] = input {name="x"}
    %g: f32[2] = input {name="gamma"}
    %b: f32[2] = input {name="beta"}
    %rm: f32[2] = input {name="running_mean"}
    %rv: f32[2] = input {name="running_var"}
    %y: f32[4,2] = batch_norm_eval(%x, %g, %b, %rm, %rv) {eps=0.001}
    output(%y) {name="y"}
  }
})";
  std::vector<Buffer> out = run_text(text, {f32({4, 2}, {1, 2, 3, 5, 0, -1, 2, 0.5}), f32({2}, {1.5, 0.5}),
                                            f32({2}, {0.1, -0.2}), f32({2}, {0.5, 1.0}), f32({2}, {2.0, 0.25})});
  expect_near_all(values<float>(out[0]), {0.6301975250244141f, 0.7980060577392578f, 2.7509877681732178f,
                                          3.7920241355895996f, -0.4301975667476654f, -2.196012020111084f,
                                          1.690592646598816f, -0.6990029811859131f});
}

const char* kDropout = R"(module @m {
  func @f {
    %x: f32[100,100] = input {name="x"}
    %seed: i32[] = input {name="seed"}
    %step: i32[] = input {name="step"}
    %y: f32[100,100] = dropout(%x, %seed, %step) {p=0.3, salt=5}
    output(%y) {name="y"}
  }
})";

std::vector<float> dropout_of_ones(int32_t seed, int32_t step) {
  Buffer ones = f32({100, 100}, std::vector<float>(10000, 1.0f));
  return values<float>(run_text(kDropout, {ones, i32({}, {seed}), i32({}, {step})})[0]);
}

TEST(InterpKnownValues, DropoutKeepsAboutOneMinusPAndScales) {
  std::vector<float> y = dropout_of_ones(42, 7);
  const float scale = 1.0f / (1.0f - 0.3f);  // 1/(1-p) in the element type
  int kept = 0;
  for (float v : y) {
    EXPECT_TRUE(v == 0.0f || v == scale) << v;
    kept += v != 0.0f;
  }
  // 10000 draws of a Bernoulli(0.7): the standard deviation of the fraction is 0.0046.
  EXPECT_NEAR(kept / 10000.0, 0.7, 0.025);
}

TEST(InterpKnownValues, DropoutMaskRepeatsForSameStepAndChangesWithStepOrSeed) {
  EXPECT_EQ(dropout_of_ones(42, 7), dropout_of_ones(42, 7));
  std::vector<float> a = dropout_of_ones(42, 7), b = dropout_of_ones(42, 8), c = dropout_of_ones(43, 7);
  int differ_step = 0, differ_seed = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    differ_step += a[i] != b[i];
    differ_seed += a[i] != c[i];
  }
  // Independent masks with keep rate 0.7 differ in 2 * 0.7 * 0.3 = 42% of places.
  EXPECT_GT(differ_step, 3000);
  EXPECT_GT(differ_seed, 3000);
}

}  // namespace
}  // namespace minigrad::testing
