// Every pass leaves the interpreter's results unchanged: for the seed model and the
// seed's variants (tests/passes/models.h), the loss, the accuracy count and every
// parameter's gradient at each of several training steps, every state after them,
// and the evaluation outputs are the same with the pass switched off as with the
// whole pipeline, and the same with every optional pass off. "The same" is within
// 1e-5 relative to the largest magnitude of each tensor, in float32: fusions are
// exact on the interpreter (it runs a body node by node); folding computes in the
// value's dtype; only rewrites such as log_softmax + nll -> softmax_xent round
// differently. The relative error is taken over a group of tensors of one kind
// (see expect_same).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "backend/backend.h"
#include "passes/pipeline.h"
#include "passes/registry.h"
#include "runtime/init_state.h"
#include "tests/passes/models.h"
#include "tests/support/op_samples.h"

namespace minigrad::testing {
namespace {

constexpr int64_t kBatch = 6, kFeatures = 7, kClasses = 4;
constexpr int kSteps = 4;
constexpr double kTolerance = 1e-5;

// What a run produced, by name: "step2/loss", "step2/grad.0.weight", "state/0.bias", "eval/logits".
using Results = std::map<std::string, std::vector<double>>;

std::vector<double> values(const Buffer& b) {
  std::vector<double> v;
  if (b.type().dtype == ir::DType::I32)
    for (int32_t x : b.span<int32_t>()) v.push_back(x);
  else
    for (float x : b.span<float>()) v.push_back(x);
  return v;
}

// Runs `function` once with fresh inputs drawn from `rng`, adding its outputs to `r`.
void run_once(Executable& exe, std::mt19937& rng, const std::string& prefix, Results& r) {
  std::normal_distribution<float> normal(0, 1);
  Buffer x(ir::Type{ir::DType::F32, {kBatch, kFeatures}}), y(ir::Type{ir::DType::I32, {kBatch}});
  for (float& v : x.span<float>()) v = normal(rng);
  for (int32_t& v : y.span<int32_t>()) v = static_cast<int32_t>(rng() % kClasses);
  std::vector<Buffer> outs;
  for (const auto& [name, type] : exe.signature().outputs) outs.emplace_back(type);
  std::vector<TensorView> in{x.view(), y.view()}, out;
  for (Buffer& b : outs) out.push_back(b.view());
  exe.run_checked(in, out);
  for (size_t i = 0; i < outs.size(); ++i) r[prefix + exe.signature().outputs[i].first] = values(outs[i]);
}

Results run(const ir::Module& traced, const passes::PipelineOptions& options) {
  ir::Module m = traced;
  passes::run_pipeline(m, options);
  StateStore state(m);
  runtime::init_state(m, state, 11);
  std::unique_ptr<Backend> interp = make_interp_backend();
  std::unique_ptr<Executable> train = interp->compile(m, "train_step", state);
  std::unique_ptr<Executable> eval = interp->compile(m, "eval", state);
  std::mt19937 rng(5);
  Results r;
  for (int s = 0; s < kSteps; ++s) run_once(*train, rng, fmt::format("step{}/", s), r);
  run_once(*eval, rng, "eval/", r);
  for (const auto& [name, buffer] : state.all()) r["state/" + name] = values(*buffer);
  return r;
}

// Tensors compared together: a step's gradients, the optimiser's slots, the other
// states; every other output on its own.
std::string group_of(const std::string& name) {
  size_t slash = name.find('/');
  std::string rest = name.substr(slash + 1);
  if (rest.rfind("grad.", 0) == 0) return name.substr(0, slash) + "/grad";
  if (name.rfind("state/", 0) == 0) return rest.rfind("optim.", 0) == 0 ? "state/optim" : "state/model";
  return name;
}

// Every tensor differs by at most kTolerance times the largest magnitude of its
// group: norm-wise relative error. (Per tensor alone would make a tensor that is
// zero in real arithmetic, such as the gradient of a bias that feeds batch norm,
// compare its rounding noise with itself.)
void expect_same(const Results& want, const Results& got, const std::string& what) {
  ASSERT_EQ(want.size(), got.size()) << what;
  std::map<std::string, double> scale;
  for (const auto& [name, w] : want)
    for (double x : w) scale[group_of(name)] = std::max(scale[group_of(name)], std::abs(x));
  for (const auto& [name, w] : want) {
    const std::vector<double>& g = got.at(name);
    ASSERT_EQ(w.size(), g.size()) << what << " " << name;
    double diff = 0;
    for (size_t i = 0; i < w.size(); ++i) diff = std::max(diff, std::abs(w[i] - g[i]));
    double s = std::max(scale[group_of(name)], 1e-30);
    EXPECT_LE(diff, kTolerance * s) << what << ": " << name << " differs by " << diff << " (largest magnitude of "
                                    << group_of(name) << ": " << s << ")";
  }
}

class PassEquivalence : public ::testing::TestWithParam<ModelCase> {};

TEST_P(PassEquivalence, EachPassOffGivesTheSameResults) {
  const ModelCase& c = GetParam();
  ir::Module traced = trace_case(c, kBatch, kFeatures, kClasses, /*output_grads=*/true);
  Results full = run(traced, {});
  ASSERT_GT(full.size(), 10u);
  for (const passes::PipelineEntry& e : passes::default_pipeline()) {
    if (passes::find_pass(e.pass)->required) continue;  // autodiff, all-reduce-grads
    passes::PipelineOptions off;
    off.disabled = {std::string(e.pass)};
    expect_same(full, run(traced, off), c.label + " without " + std::string(e.pass));
  }
  passes::PipelineOptions none;
  none.disabled = {"all"};
  expect_same(full, run(traced, none), c.label + " without any optional pass");
}

// With the gradients as outputs (above), each weight gradient has a second use
// and fuse-matmul-update declines; here the steps alone, where it fires for
// every Linear weight, against the same steps with it off.
TEST_P(PassEquivalence, MatmulUpdateOffGivesTheSameResults) {
  const ModelCase& c = GetParam();
  ir::Module traced = trace_case(c, kBatch, kFeatures, kClasses, /*output_grads=*/false), fused = traced;
  passes::run_pipeline(fused);
  size_t updates = 0;
  for (const ir::Node* n : fused.find_func("train_step")->nodes_of(ir::Op::Fused))
    updates += n->attrs.s("kind") == "matmul_update";
  EXPECT_GE(updates, 2u) << c.label;
  passes::PipelineOptions off;
  off.disabled = {"fuse-matmul-update"};
  expect_same(run(traced, {}), run(traced, off), c.label + " without fuse-matmul-update, gradients not output");
}

TEST_P(PassEquivalence, PassesChangeTheGraph) {
  // The comparison above means something only if the passes did something.
  ir::Module full = trace_case(GetParam(), kBatch, kFeatures, kClasses, true), none = full;
  passes::run_pipeline(full);
  passes::PipelineOptions off;
  off.disabled = {"all"};
  passes::run_pipeline(none, off);
  EXPECT_LT(full.find_func("train_step")->size(), none.find_func("train_step")->size());
  EXPECT_FALSE(full.find_func("train_step")->nodes_of(ir::Op::Fused).empty());
}

// Ops that a pass rewrites into other ops, with its own rounding: batch_norm_eval
// (lower-batch-norm-eval) becomes f32 arithmetic rounded at each step, where the
// interpreter's kernel computes in double and rounds once. Their samples must agree
// to a few ulps (kLoweredTolerance, relative to the largest output); every other
// op's sample, bit for bit.
bool lowered_by_a_pass(ir::Op op) { return op == ir::Op::BatchNormEval; }
constexpr double kLoweredTolerance = 1e-6;

void expect_close(const Buffer& want, const Buffer& got, const std::string& what) {
  const float *w = want.as<float>(), *g = got.as<float>();
  int64_t n = want.type().numel();
  double scale = 0, worst = 0;
  for (int64_t i = 0; i < n; ++i) scale = std::max(scale, std::fabs(double(w[i])));
  for (int64_t i = 0; i < n; ++i) worst = std::max(worst, std::fabs(double(w[i]) - double(g[i])));
  EXPECT_LE(worst, kLoweredTolerance * std::max(scale, 1.0)) << what;
}

// Every op sample (tests/support/op_samples.h) through the whole pipeline: the
// module still verifies and the interpreter gives the same outputs, so no pass
// breaks an op it does not expect.
TEST(PassEquivalenceOps, EverySampleGivesTheSameOutputs) {
  std::unique_ptr<Backend> interp = make_interp_backend();
  for (const OpSample& sample : all_samples()) {
    ir::Module plain = sample_module(sample), passed = plain;
    passes::run_pipeline(passed);
    std::vector<Buffer> in = sample_inputs(sample, 3);
    std::vector<TensorView> views;
    for (Buffer& b : in) views.push_back(b.view());
    auto outputs = [&](const ir::Module& m) {
      StateStore state(m);
      std::unique_ptr<Executable> exe = interp->compile(m, "f", state);
      std::vector<Buffer> outs;
      for (const auto& [name, type] : exe->signature().outputs) outs.emplace_back(type);
      std::vector<TensorView> out;
      for (Buffer& b : outs) out.push_back(b.view());
      exe->run_checked(views, out);
      return outs;
    };
    std::vector<Buffer> want = outputs(plain), got = outputs(passed);
    ASSERT_EQ(want.size(), got.size()) << sample.label;
    for (size_t i = 0; i < want.size(); ++i) {
      std::string what = fmt::format("{} {}: output {} differs", ir::op_name(sample.op), sample.label, i);
      if (lowered_by_a_pass(sample.op) && want[i].type().dtype == ir::DType::F32) expect_close(want[i], got[i], what);
      else EXPECT_EQ(0, std::memcmp(want[i].data(), got[i].data(), want[i].bytes())) << what;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, PassEquivalence, ::testing::ValuesIn(model_cases()),
                         [](const ::testing::TestParamInfo<ModelCase>& info) {
                           std::string s;
                           for (char ch : info.param.label) s += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
                           return s;
                         });

}  // namespace
}  // namespace minigrad::testing
