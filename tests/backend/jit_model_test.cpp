// Whole train steps on the JIT against the interpreter: the seed's model and its
// variants (depth 1-5, every activation, dropout, batch norm on and off, SGD with
// momentum, Adam, AdamW), odd batch sizes and widths, and 200-step training runs.
// Two Programs start from the same state and see the same batches; after every
// step their losses agree, and at the end every state buffer (parameters,
// running statistics, optimiser moments, counters) agrees. Parameters after 200
// steps agree to 1e-4 in relative error, normwise per tensor:
// ||jit - interp|| <= 1e-4 ||interp|| (2-norm over the tensor's elements).
//
// Normwise, not elementwise: Adam's step, lr m / (sqrt(v) + eps), is
// ill-conditioned in the elements whose gradient is of the order of eps (a rarely
// active ReLU unit's weights), and with weight decay wherever the gradient and the
// decay term w wd nearly cancel: there a difference of 1e-7 in the gradient moves
// the step by up to 1e-4 lr, so single elements drift apart while the tensor as a
// whole agrees. (A wrong element would still show: one element off by 1% in a
// 24,576-element tensor is a normwise error of about 6e-5 of its share.) Weight
// decay is off in these comparisons; with it, the f32 interpreter itself drifts
// from an f64 run by about 1e-3 after 200 steps, so the seed's own configuration
// (weight decay 1e-3) is checked against an f64 run instead: the JIT must stay as
// close to it as the f32 interpreter does.
//
// One exception, a property of the model rather than of either backend: the bias
// of a Linear layer followed by batch norm has a gradient that is exactly zero in
// exact arithmetic (batch norm subtracts the batch mean), so both backends compute
// rounding noise of order 1e-9 for it, and Adam's normalisation m / sqrt(v) turns
// that noise into steps of order lr. Such a bias, its Adam moments and the running
// mean of the batch norm (which accumulates the bias) follow the noise; they are
// left out of the comparison, and evaluation is compared on one shared state.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <set>

#include "frontend/dsl.h"
#include "frontend/tracer.h"
#include "passes/pipeline.h"
#include "passes/widen_f64.h"
#include "runtime/init_state.h"
#include "runtime/program.h"
#include "tests/backend/jit_helpers.h"

namespace minigrad::testing {
namespace {

struct Variant {
  std::string name;
  int depth = 1;
  std::string activation = "leaky_relu";
  double dropout = 0;
  bool batchnorm = true;
  std::string optimizer = "adam";
  double weight_decay = 0;
  int64_t features = 128, width = 192, classes = 10, batch = 64;
  int steps = 4;
};

runtime::ModelParts parts(const Variant& v) {
  nn::Sequential net;
  int64_t in = v.features;
  for (int layer = 0; layer < v.depth; ++layer) {
    net.add(nn::Linear(in, v.width));
    if (v.batchnorm) net.add(nn::BatchNorm1d(v.width));
    net.add(nn::activation(v.activation));
    if (v.dropout > 0) net.add(nn::Dropout(v.dropout));
    in = v.width;
  }
  net.add(nn::Linear(in, v.classes));
  std::shared_ptr<optim::Optimizer> opt;
  if (v.optimizer == "adam") opt = std::make_shared<optim::Adam>(1e-3, v.weight_decay);
  if (v.optimizer == "adamw") opt = std::make_shared<optim::AdamW>(1e-3, v.weight_decay);
  if (v.optimizer == "sgd") opt = std::make_shared<optim::SGD>(0.05, v.weight_decay, 0.9);
  return {net, std::make_shared<nn::CrossEntropyLoss>(0.3), opt};
}

std::unique_ptr<runtime::Program> program(const Variant& v, const std::string& backend,
                                           const passes::PipelineOptions& pipeline = {}) {
  runtime::ProgramOptions o;
  o.name = v.name;
  o.in_features = v.features, o.num_classes = v.classes, o.batch = v.batch, o.backend = backend;
  o.pipeline = pipeline;
  auto p = std::make_unique<runtime::Program>(parts(v), o);
  p->init_state(17);
  return p;
}

// A fixed pool of batches: x ~ N(0, 1) plus a class-dependent shift, so that
// training makes progress; labels uniform.
std::vector<std::pair<Buffer, Buffer>> batches(const Variant& v, int count) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0, 1);
  std::vector<std::pair<Buffer, Buffer>> out;
  for (int i = 0; i < count; ++i) {
    Buffer x(ir::Type{ir::DType::F32, {v.batch, v.features}}), y(ir::Type{ir::DType::I32, {v.batch}});
    for (int64_t r = 0; r < v.batch; ++r) {
      int32_t label = int32_t(rng() % uint32_t(v.classes));
      y.as<int32_t>()[r] = label;
      for (int64_t f = 0; f < v.features; ++f)
        x.as<float>()[r * v.features + f] = normal(rng) + (f % v.classes == label ? 1.0f : 0.0f);
    }
    out.emplace_back(std::move(x), std::move(y));
  }
  return out;
}

// ||a - b|| <= rel ||b|| over the elements of a state buffer (integers: equal);
// the message names the worst element.
std::string state_disagreement(const Buffer& a, const Buffer& b, double rel) {
  if (b.type().dtype == ir::DType::I32) return disagreement(a, b, Tolerance{0, 0});
  double diff = 0, norm = 0, worst = -1;
  int64_t at = 0;
  for (int64_t i = 0; i < b.numel(); ++i) {
    double d = std::abs(element(a, i) - element(b, i));
    diff += d * d, norm += element(b, i) * element(b, i);
    if (d > worst) worst = d, at = i;
  }
  if (std::sqrt(diff) <= rel * std::sqrt(norm)) return "";
  return fmt::format("relative error {:.3g} (worst element [{}]: jit {} interp {})", std::sqrt(diff / norm), at,
                     element(a, at), element(b, at));
}

// The state driven by rounding noise (see the top of the file). Per layer the
// Sequential holds Linear, [BatchNorm], activation, [Dropout]. A Linear's bias
// feeding batch norm is cancelled by it; so is batch norm's beta when an identity
// activation and the next Linear carry it, uniform over rows, into the next batch
// norm. Each such bias drags the running mean of the batch norm that cancels it.
std::set<std::string> noise_driven(const Variant& v) {
  std::set<std::string> out;
  if (!v.batchnorm) return out;
  auto bias = [&](int at) {
    for (std::string n : {".bias", ".bias.exp_avg", ".bias.exp_avg_sq", ".bias.momentum_buffer"})
      out.insert((n == ".bias" ? "" : "optim.") + std::to_string(at) + n);
  };
  int per_layer = 3 + (v.dropout > 0 ? 1 : 0);
  for (int layer = 0; layer < v.depth; ++layer) {
    int linear = layer * per_layer;
    bias(linear);
    out.insert(std::to_string(linear + 1) + ".running_mean");
    if (v.activation == "none" && v.dropout == 0 && layer + 1 < v.depth) bias(linear + 1);
  }
  return out;
}

// Trains `jit` and `ref` on the same batches for v.steps steps; their losses
// agree after every step and their states at the end (see the top of the file).
void train_alike(const Variant& v, runtime::Program* jit, runtime::Program* ref, double step_rel, double state_rel) {
  auto data = batches(v, 16);
  for (int s = 0; s < v.steps; ++s) {
    const auto& [x, y] = data[size_t(s) % data.size()];
    runtime::Program::Result a = jit->train_step(x.view(), y.view());
    runtime::Program::Result b = ref->train_step(x.view(), y.view());
    ASSERT_NEAR(a.loss, b.loss, step_rel * std::abs(b.loss) + 1e-6) << v.name << " step " << s;
    ASSERT_EQ(a.correct, b.correct) << v.name << " step " << s;  // both take the first of tied maxima
  }
  std::set<std::string> skip = noise_driven(v);
  for (const auto& [name, buf] : ref->state().all()) {
    if (skip.count(name)) continue;
    std::string d = state_disagreement(jit->state().get(name), *buf, state_rel);
    EXPECT_TRUE(d.empty()) << v.name << " state " << name << " after " << v.steps << " steps " << d;
  }
}

void run_variant(const Variant& v, double step_rel, double state_rel) {
  auto jit = program(v, "jit");
  auto ref = program(v, "interp");
  train_alike(v, jit.get(), ref.get(), step_rel, state_rel);
  auto data = batches(v, 1);
  // Evaluation mode on the interpreter's trained state.
  for (const auto& [name, buf] : ref->state().all()) std::memcpy(jit->state().get(name).data(), buf->data(), buf->bytes());
  const auto& [x, y] = data[0];
  runtime::Program::Result a = jit->eval_step(x.view(), y.view()), b = ref->eval_step(x.view(), y.view());
  EXPECT_NEAR(a.loss, b.loss, step_rel * std::abs(b.loss) + 1e-6) << v.name << " eval";
}

class JitTrainSteps : public ::testing::TestWithParam<Variant> {};

TEST_P(JitTrainSteps, AgreeWithInterpreter) { run_variant(GetParam(), 1e-5, 1e-4); }

std::vector<Variant> step_variants() {
  std::vector<Variant> out;
  Variant seed{"seed"};
  seed.weight_decay = 1e-3;
  out.push_back(seed);
  for (int depth = 1; depth <= 5; ++depth)
    for (const char* act : {"none", "relu", "leaky_relu", "sigmoid", "tanh"}) {
      Variant v{fmt::format("depth{}_{}", depth, act), depth, act};
      v.features = 32, v.width = 48, v.steps = 3;
      out.push_back(v);
    }
  for (const char* act : {"relu", "leaky_relu", "sigmoid", "tanh"})
    for (bool bn : {true, false}) {
      Variant v{fmt::format("dropout_{}_{}", act, bn ? "bn" : "nobn"), 2, act, 0.25, bn};
      v.features = 32, v.width = 48, v.steps = 3;
      out.push_back(v);
    }
  for (const char* opt : {"sgd", "adamw"}) {
    Variant v{std::string("optimizer_") + opt};
    v.optimizer = opt;
    v.weight_decay = 1e-3;
    out.push_back(v);
  }
  // Odd shapes: batch 1, 7, 63, 65 rows; widths 7, 65, 257.
  const int64_t rows[] = {1, 7, 63, 65}, widths[] = {7, 65, 257};
  for (int64_t b : rows)
    for (int64_t w : widths) {
      Variant v{fmt::format("batch{}_width{}", b, w), 2, "relu", 0.1, b > 1};
      v.batch = b, v.width = w, v.features = 63, v.classes = 7, v.steps = 3;
      out.push_back(v);
    }
  return out;
}

class JitTrainingRuns : public ::testing::TestWithParam<Variant> {};

TEST_P(JitTrainingRuns, ParametersAgreeAfter200Steps) { run_variant(GetParam(), 1e-4, 1e-4); }

std::vector<Variant> run_variants() {
  std::vector<Variant> out;
  Variant seed{"seed"};
  seed.steps = 200;
  out.push_back(seed);
  Variant deep_relu{"depth3_relu_dropout", 3, "relu", 0.2, false};
  Variant tanh_bn{"depth2_tanh_bn_dropout", 2, "tanh", 0.1, true};
  Variant sigmoid_sgd{"depth4_sigmoid_sgd", 4, "sigmoid", 0.0, true, "sgd"};
  for (Variant* v : {&deep_relu, &tanh_bn, &sigmoid_sgd}) {
    v->features = 64, v->width = 96, v->steps = 200;
    out.push_back(*v);
  }
  return out;
}

std::string variant_name(const ::testing::TestParamInfo<Variant>& info) { return info.param.name; }

// Threads split kernels into slices that write disjoint parts of their results,
// each computed as one thread would: two threads give the same values, bit for
// bit, in training (batch 64, and 1000 with 1024 hidden units, where the GEMMs,
// batch norm, dropout (0.1), the elementwise loops and the optimiser's are all
// large enough to be split: jit_cost_model_test.cpp; the weights' optimiser updates run inside their gradients' GEMMs, in
// place), on a partial batch too, and in evaluation of as many rows.
TEST(JitThreads, TwoThreadsGiveExactlyTheValuesOfOne) {
  for (auto [batch, width] : {std::pair<int64_t, int64_t>{64, 192}, {1000, 1024}}) {
    Variant v{"threads", 1, "leaky_relu", 0.1};
    v.batch = batch, v.width = width, v.weight_decay = 1e-3, v.steps = 5;
    auto make = [&](int threads) {
      runtime::ProgramOptions o;
      o.in_features = v.features, o.num_classes = v.classes, o.batch = v.batch, o.backend = "jit", o.threads = threads;
      auto p = std::make_unique<runtime::Program>(parts(v), o);
      p->init_state(17);
      return p;
    };
    auto one = make(1), two = make(2);
    auto data = batches(v, 4);
    size_t updates = 0;  // the weights' updates run in their gradients' split GEMMs (fuse-matmul-update)
    for (const ir::Node* n : one->compiled_module(v.batch).find_func("train_step")->nodes_of(ir::Op::Fused))
      updates += n->attrs.s("kind") == "matmul_update";
    EXPECT_EQ(updates, 2u) << "batch " << batch;
    for (int s = 0; s < v.steps; ++s) {
      const auto& [x, y] = data[size_t(s) % data.size()];
      EXPECT_EQ(one->train_step(x, y).loss, two->train_step(x, y).loss) << "batch " << batch << " step " << s;
    }
    // A partial batch: the masked step (docs/ir.md "Partial batches"), whose masked
    // kernels (batch norm, the loss) are split too, as the entry checked n_rows.
    int64_t part = v.batch * 2 / 3;
    TensorView px{ir::Type{ir::DType::F32, {part, v.features}}, data[1].first.data()};
    TensorView py{ir::Type{ir::DType::I32, {part}}, data[1].second.data()};
    EXPECT_EQ(one->train_step(px, py).loss, two->train_step(px, py).loss) << "batch " << batch << ", " << part << " rows";
    for (const auto& [name, buf] : one->state().all())
      EXPECT_EQ(disagreement(two->state().get(name), *buf, Tolerance{0, 0}), "") << "batch " << batch << " " << name;
    Buffer logits1(ir::Type{ir::DType::F32, {v.batch, v.classes}}), logits2 = logits1;
    TensorView l1 = logits1.view(), l2 = logits2.view();
    EXPECT_EQ(one->eval_step(data[0].first, data[0].second, &l1).loss, two->eval_step(data[0].first, data[0].second, &l2).loss);
    EXPECT_EQ(disagreement(logits2, logits1, Tolerance{0, 0}), "") << "eval logits, batch " << batch;
  }
}

// The seed's configuration, weight decay included, for 200 steps on the JIT, the
// f32 interpreter and an f64 copy of the model on the interpreter: over all
// parameters (but the noise-driven bias), the JIT's RMS distance to the f64 run
// is at most 3 times the f32 interpreter's.
TEST(JitSeedRun, StaysAsCloseToF64AsTheInterpreter) {
  Variant v{"seed"};
  v.weight_decay = 1e-3;
  runtime::ModelParts p = parts(v);
  ir::Module m = trace(*p.net, *p.loss, *p.optimizer, TraceSpec{"seed", v.batch, v.features, v.classes, false});
  passes::run_pipeline(m);
  ir::Module wide = passes::widen_to_f64(m);
  StateStore sj(m), si(m), sw(wide);
  runtime::init_state(m, sj, 17);
  si = sj;
  for (const auto& [name, buf] : sj.all()) {
    Buffer c = buf->type().dtype == ir::DType::F32 ? convert(*buf, ir::DType::F64) : *buf;
    std::memcpy(sw.get(name).data(), c.data(), c.bytes());
  }
  auto jit = jit_backend().compile(m, "train_step", sj);
  auto ref = interp_backend().compile(m, "train_step", si);
  auto f64 = interp_backend().compile(wide, "train_step", sw);
  Buffer loss(ir::Type{ir::DType::F32, {}}), loss64(ir::Type{ir::DType::F64, {}}), correct(ir::Type{ir::DType::I32, {}});
  auto data = batches(v, 16);
  for (int s = 0; s < 200; ++s) {
    const auto& [x, y] = data[size_t(s) % data.size()];
    Buffer x64 = convert(x, ir::DType::F64);
    TensorView in[] = {x.view(), y.view()}, in64[] = {x64.view(), y.view()};
    TensorView out[] = {loss.view(), correct.view()}, out64[] = {loss64.view(), correct.view()};
    jit->run(in, out);
    ref->run(in, out);
    f64->run(in64, out64);
  }
  std::set<std::string> skip = noise_driven(v);
  double jit_sq = 0, ref_sq = 0, norm_sq = 0;
  for (const ir::StateDecl& d : m.states) {
    if (d.role != ir::StateRole::Param || skip.count(d.name)) continue;
    const Buffer &a = sj.get(d.name), &b = si.get(d.name), &t = sw.get(d.name);
    for (int64_t i = 0; i < t.numel(); ++i) {
      double exact = t.as<double>()[i];
      jit_sq += std::pow(a.as<float>()[i] - exact, 2);
      ref_sq += std::pow(b.as<float>()[i] - exact, 2);
      norm_sq += exact * exact;
    }
  }
  double jit_err = std::sqrt(jit_sq / norm_sq), ref_err = std::sqrt(ref_sq / norm_sq);
  EXPECT_LE(jit_err, 3 * ref_err) << "RMS relative distance to f64: jit " << jit_err << ", interpreter " << ref_err;
  EXPECT_LT(jit_err, 1e-3);
}

// fuse-matmul-update (passes/fuse_matmul_update.h) runs each weight's optimiser
// update in its gradient's GEMM epilogue, in place over the parameter and its
// moments. For Adam, AdamW and SGD with momentum, weight decay on, 200 steps with
// the pass agree with 200 steps with it off on the JIT (the same f32 operations
// on the sums the unfused GEMM would have stored), and with the interpreter,
// which runs the fused bodies node by node.
class JitMatmulUpdate : public ::testing::TestWithParam<std::string> {};

TEST_P(JitMatmulUpdate, AgreesWithThePassOffAndTheInterpreterOver200Steps) {
  Variant v{"matmul_update_" + GetParam(), 2, "relu"};
  v.optimizer = GetParam();
  v.weight_decay = 1e-3;
  v.features = 64, v.width = 96, v.steps = 200;
  passes::PipelineOptions off;
  off.disabled = {"fuse-matmul-update"};
  auto fused = program(v, "jit"), unfused = program(v, "jit", off), ref = program(v, "interp");
  auto count = [&](runtime::Program& p) {
    const ir::Function& f = *p.compiled_module(v.batch).find_func("train_step");
    int n = 0;
    for (size_t i = 0; i < f.size(); ++i) n += f.node(i).op == ir::Op::Fused && f.node(i).attrs.s("kind") == "matmul_update";
    return n;
  };
  EXPECT_EQ(count(*fused), v.depth + 1) << "every Linear weight's update is in its gradient's GEMM";
  EXPECT_EQ(count(*unfused), 0);
  train_alike(v, fused.get(), unfused.get(), 1e-5, 1e-5);
  auto fused_again = program(v, "jit");
  train_alike(v, fused_again.get(), ref.get(), 1e-4, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Optimizers, JitMatmulUpdate, ::testing::Values("adam", "adamw", "sgd"));

// A matmul_update whose matrices fit in half of L2 runs its update after the GEMM's
// tiles, over the sums stored in scratch (plan.h, update_after); with an L2 of
// 16 KiB every update of this model runs in its tiles' epilogue instead. The
// tiled lowering both times, the same sums and the same f32 operations on them:
// 50 Adam steps (weight decay on) leave the same bits in every state, and so does
// the build for 2 threads (where its cost model splits a GEMM, each thread updates
// the rows of its own tiles). After the tiles, Adam's update walks each weight as
// one flat row of M N elements (every operand a scalar or of the weight's shape):
// at width 97 the 97 x 97 and 97 x 10 weights end in 1 and 10 elements past the
// last full vector of 16, which run one at a time.
class JitMatmulUpdateSchedule : public ::testing::TestWithParam<int64_t> {};

TEST_P(JitMatmulUpdateSchedule, UpdateAfterTheTilesGivesTheBitsOfTheTileEpilogue) {
  Variant v{"update_after", 2, "relu"};
  v.weight_decay = 1e-3, v.features = 64, v.width = GetParam(), v.batch = 32;
  runtime::ModelParts p = parts(v);
  ir::Module m = trace(*p.net, *p.loss, *p.optimizer, TraceSpec{"update_after", v.batch, v.features, v.classes, false});
  passes::run_pipeline(m);
  JitBackendOptions o;
  o.cache_dir = "off", o.gemm = "tiled";
  std::unique_ptr<Backend> after = make_jit_backend(o);
  o.threads = 2;
  std::unique_ptr<Backend> after_2 = make_jit_backend(o);
  o.threads = 1, o.l2_bytes = 16 << 10;  // 4 x width x 10 x 4 bytes > L2 / 2 at both widths: no update after the tiles
  std::unique_ptr<Backend> in_tiles = make_jit_backend(o);
  StateStore s1(m), s2(m), s3(m);
  runtime::init_state(m, s1, 17);
  s2 = s1, s3 = s1;
  auto e1 = after->compile(m, "train_step", s1), e2 = in_tiles->compile(m, "train_step", s2);
  auto e3 = after_2->compile(m, "train_step", s3);
  Buffer loss(ir::Type{ir::DType::F32, {}}), correct(ir::Type{ir::DType::I32, {}});
  auto data = batches(v, 8);
  for (int step = 0; step < 50; ++step) {
    const auto& [x, y] = data[size_t(step) % data.size()];
    TensorView in[] = {x.view(), y.view()}, out[] = {loss.view(), correct.view()};
    e1->run(in, out);
    e2->run(in, out);
    e3->run(in, out);
  }
  for (const auto& [name, buf] : s1.all()) {
    EXPECT_EQ(disagreement(s2.get(name), *buf, Tolerance{0, 0}), "") << name;
    EXPECT_EQ(disagreement(s3.get(name), *buf, Tolerance{0, 0}), "") << name << ", 2 threads";
  }
}

INSTANTIATE_TEST_SUITE_P(Widths, JitMatmulUpdateSchedule, ::testing::Values(int64_t{96}, int64_t{97}));

INSTANTIATE_TEST_SUITE_P(Models, JitTrainSteps, ::testing::ValuesIn(step_variants()), variant_name);
INSTANTIATE_TEST_SUITE_P(Models, JitTrainingRuns, ::testing::ValuesIn(run_variants()), variant_name);

}  // namespace
}  // namespace minigrad::testing
