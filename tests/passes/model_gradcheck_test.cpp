// Gradient checks of whole models through train_step: the gradients autodiff
// writes for every parameter (output with TraceSpec::output_grads) agree with
// central differences of the loss, in double precision, for the seed model, the
// seed's architecture variants and a model with a custom layer.
#include <gtest/gtest.h>

#include <random>

#include "frontend/dsl.h"
#include "frontend/tracer.h"
#include "passes/autodiff.h"
#include "passes/widen_f64.h"
#include "runtime/init_state.h"
#include "tests/passes/gradcheck.h"

namespace minigrad::testing {
namespace {

constexpr int64_t kBatch = 5, kFeatures = 6, kClasses = 4;

// A custom layer written only with tensor operations: y = x * s + x^2 * t.
struct ScaleSquare : nn::Module {
  int64_t n;
  explicit ScaleSquare(int64_t n, Here here = {}) : Module(here), n(n) {}
  Tensor forward(const Tensor& x) override {
    return x * param("s", {n}, init::ones()) + x.pow(2) * param("t", {n}, init::constant(0.5));
  }
  std::string describe() const override { return "ScaleSquare"; }
};

void check_model(nn::Module& net, nn::Loss& loss, const std::string& what) {
  optim::SGD sgd(0.1);
  TraceSpec spec{"m", kBatch, kFeatures, kClasses, /*output_grads=*/true};
  ir::Module traced = trace(net, loss, sgd, spec);
  passes::Autodiff().run(traced);
  ir::Module m = passes::widen_to_f64(traced);

  StateStore state(m);
  runtime::init_state(m, state, 3);
  std::vector<std::string> params;
  for (const ir::StateDecl& s : m.states)
    if (s.role == ir::StateRole::Param) params.push_back(s.name);

  std::mt19937 rng(5);
  std::normal_distribution<double> normal(0, 1);
  Buffer x(ir::Type{ir::DType::F64, {kBatch, kFeatures}}), y(ir::Type{ir::DType::I32, {kBatch}});
  for (double& v : x.span<double>()) v = normal(rng);
  for (int32_t& v : y.span<int32_t>()) v = static_cast<int32_t>(rng() % kClasses);

  GradCheckResult r = check_state_gradients(m, "train_step", state, {x, y}, params);
  EXPECT_GT(r.checked, 10u) << what;
  EXPECT_LT(r.max_error, 1e-5) << what << ": " << r.worst;
}

nn::Model example(const std::string& name, std::vector<std::pair<std::string, std::string>> set) {
  ModelArgs args;
  args.in_features = kFeatures, args.num_classes = kClasses;
  for (auto& [k, v] : set) args.set(k, v);
  return builtin_models().at(name).build(args);
}

TEST(ModelGradCheck, SeedModel) {
  nn::Model m = example("seed_mlp", {{"width", "7"}});
  nn::CrossEntropyLoss loss(0.3);
  check_model(*m.net, loss, "seed_mlp");
}

TEST(ModelGradCheck, SeedVariants) {
  for (auto set : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"depth", "0"}},
           {{"depth", "2"}, {"width", "5"}, {"activation", "sigmoid"}, {"batchnorm", "false"}},
           {{"depth", "3"}, {"width", "5"}, {"activation", "relu"}, {"dropout", "0.3"}},
           {{"depth", "2"}, {"width", "5"}, {"activation", "tanh"}, {"dropout", "0.5"}, {"batchnorm", "false"}}}) {
    nn::Model m = example("mlp", set);
    nn::CrossEntropyLoss loss(0.1);
    check_model(*m.net, loss, m.net->describe());
  }
}

TEST(ModelGradCheck, UnfusedCrossEntropyAndMse) {
  nn::Model m = example("seed_mlp", {{"width", "5"}});
  nn::CrossEntropyLoss unfused(0.3, /*fused=*/false);
  check_model(*m.net, unfused, "log_softmax + nll");
  nn::MSELoss mse;
  check_model(*m.net, mse, "mse");
}

TEST(ModelGradCheck, CustomLayer) {
  nn::Sequential net{ScaleSquare(kFeatures), nn::Linear(kFeatures, kClasses)};
  nn::CrossEntropyLoss loss;
  check_model(net, loss, "custom layer");
}

}  // namespace
}  // namespace minigrad::testing
