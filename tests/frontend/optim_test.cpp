// Optimisers against known values: two steps of Adam, AdamW and SGD with momentum
// on w = [1, -2] with loss sum(w * x), x = [0.5, 3] (so dloss/dw = x), weight
// decay 0.5, lr 0.1, as PyTorch 1.13 computes them:
//   w = torch.nn.Parameter(torch.tensor([1.0, -2.0])); x = torch.tensor([0.5, 3.0])
//   opt = torch.optim.Adam([w], lr=0.1, weight_decay=0.5)   # AdamW(..), SGD(.., momentum=0.9)
//   for _ in range(2): opt.zero_grad(); (w * x).sum().backward(); opt.step(); print(w)
// By hand for Adam: d = x + 0.5 w; m = 0.9 m + 0.1 d; v = 0.999 v + 0.001 d^2;
//   w -= 0.1 / (1 - 0.9^t) * m / (sqrt(v) / sqrt(1 - 0.999^t) + 1e-8):
//   t = 1: d = [1, 2], w = [0.9, -2.1]; t = 2: d = [0.95, 1.95], w = [0.80016649, -2.19992600].
// Also batch norm's running statistics after one step, momentum 0.1 and cumulative.
#include <gtest/gtest.h>

#include "frontend/dsl.h"
#include "runtime/program.h"

namespace minigrad {
namespace {

// scores = x * w; the loss is the sum of the scores, so its gradient is x.
struct Scale : nn::Module {
  Tensor forward(const Tensor& x) override { return x * param("w", {2}, init::zeros()); }
  std::string describe() const override { return "Scale"; }
};
struct Sum : nn::Loss {
  Tensor forward(const Tensor& scores, const Tensor&) override { return scores.sum(); }
  std::string describe() const override { return "Sum"; }
};

std::vector<float> two_steps(std::shared_ptr<optim::Optimizer> opt) {
  runtime::ProgramOptions o;
  o.in_features = 2, o.num_classes = 2, o.batch = 1;
  runtime::Program p({Scale(), std::make_shared<Sum>(), std::move(opt)}, o);
  p.init_state(0);
  float* w = p.state().get("w").as<float>();
  w[0] = 1.0f, w[1] = -2.0f;
  Buffer x(ir::Type{ir::DType::F32, {1, 2}}), y(ir::Type{ir::DType::I32, {1}});
  x.as<float>()[0] = 0.5f, x.as<float>()[1] = 3.0f;
  for (int step = 0; step < 2; ++step) p.train_step(x.view(), y.view());
  return {w[0], w[1]};
}

void expect_near(const std::vector<float>& got, std::vector<float> want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 2e-6) << i;
}

TEST(Optimizers, AdamTwoSteps) {
  expect_near(two_steps(std::make_shared<optim::Adam>(0.1, 0.5)), {0.8001665472984314f, -2.1999258995056152f});
}

TEST(Optimizers, AdamWTwoSteps) {
  expect_near(two_steps(std::make_shared<optim::AdamW>(0.1, 0.5)), {0.7074999809265137f, -2.0f});
}

TEST(Optimizers, SgdWithMomentumTwoSteps) {
  expect_near(two_steps(std::make_shared<optim::SGD>(0.1, 0.5, 0.9)), {0.7149999737739563f, -2.569999933242798f});
}

// One training step of BatchNorm1d(2) on x = [[1, 2], [3, 6], [5, 10]]: batch mean
// [3, 6], biased variance [8/3, 32/3], unbiased [4, 16]. Momentum 0.1 gives
// running_mean 0.1 * [3, 6] = [0.3, 0.6] and running_var 0.9 + 0.1 * [4, 16] =
// [1.3, 2.5]; the cumulative average (momentum None) after one batch is the batch's.
TEST(BatchNorm, RunningStatisticsAfterOneStep) {
  for (bool cumulative : {false, true}) {
    struct Net : nn::Module {
      std::optional<double> momentum;
      nn::BatchNorm1d bn{2, 1e-5, momentum};
      explicit Net(std::optional<double> m) : momentum(m), bn(2, 1e-5, m) {}
      Tensor forward(const Tensor& x) override { return apply("bn", bn, x); }
      std::string describe() const override { return "Net"; }
    };
    runtime::ProgramOptions o;
    o.in_features = 2, o.num_classes = 2, o.batch = 3;
    std::optional<double> momentum = cumulative ? std::nullopt : std::optional<double>(0.1);
    runtime::Program p({Net(momentum), std::make_shared<nn::CrossEntropyLoss>(), std::make_shared<optim::SGD>(0.1)}, o);
    p.init_state(0);
    Buffer x(ir::Type{ir::DType::F32, {3, 2}}), y(ir::Type{ir::DType::I32, {3}});
    float xs[] = {1, 2, 3, 6, 5, 10};
    std::copy(xs, xs + 6, x.as<float>());
    p.train_step(x.view(), y.view());
    const float* rm = p.state().get("bn.running_mean").as<float>();
    const float* rv = p.state().get("bn.running_var").as<float>();
    if (cumulative) {
      expect_near({rm[0], rm[1], rv[0], rv[1]}, {3, 6, 4, 16});
    } else {
      expect_near({rm[0], rm[1], rv[0], rv[1]}, {0.3f, 0.6f, 1.3f, 2.5f});
    }
    EXPECT_EQ(p.state().get("bn.num_batches_tracked").as<int32_t>()[0], 1);
  }
}

}  // namespace
}  // namespace minigrad
