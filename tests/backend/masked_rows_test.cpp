// Partial batches (docs/ir.md, "Partial batches"): a model traced with masked rows
// for B rows and run with n_rows = n < B must do what a model traced for exactly n
// rows does. The padding rows hold NaN in x and an out-of-range label, so any read
// of them that reached a result would show (as NaN, or as a label error). For the
// seed's model, a batch-norm model and a dropout model, on the interpreter and the
// JIT, three train steps and an evaluation of each agree: losses and parameters to
// float tolerance (the matmul over the batch sums B terms, n of them nonzero, in
// the GEMM's order for B, so the bits may differ), counts exactly. SGD with
// momentum keeps the comparison well conditioned (Adam's m / sqrt(v) turns the
// rounding noise of a gradient that is zero in exact arithmetic, such as a bias
// before batch norm, into steps of order lr; see jit_model_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "frontend/dsl.h"
#include "frontend/tracer.h"
#include "ir/builder.h"
#include "passes/pipeline.h"
#include "runtime/init_state.h"
#include "runtime/program.h"
#include "tests/backend/jit_helpers.h"

namespace minigrad::testing {
namespace {

constexpr int64_t kFeatures = 24, kBatch = 16;

struct Model {
  std::string name;
  bool batchnorm = false;
  double dropout = 0;
  int64_t classes = 5;  // 5: the JIT's loss kernels walk rows by columns; 37: row by row
};

ir::Module traced(const Model& m, int64_t batch, bool masked) {
  nn::Sequential net;
  net.add(nn::Linear(kFeatures, 32));
  if (m.batchnorm) net.add(nn::BatchNorm1d(32));
  net.add(nn::activation("leaky_relu"));
  if (m.dropout > 0) net.add(nn::Dropout(m.dropout));
  net.add(nn::Linear(32, m.classes));
  nn::CrossEntropyLoss loss(0.1);
  optim::SGD opt(0.05, 0, 0.9);
  TraceSpec spec{m.name, batch, kFeatures, m.classes, false, {}};
  spec.masked_rows = masked;
  ir::Module mod = trace(net, loss, opt, spec);
  passes::run_pipeline(mod);
  return mod;
}

// One compiled model and its state.
struct Compiled {
  ir::Module module;
  StateStore state;
  std::unique_ptr<Executable> train, eval;
  Compiled(const Model& m, int64_t batch, bool masked, Backend& backend) : module(traced(m, batch, masked)), state(module) {
    runtime::init_state(module, state, 3);
    train = backend.compile(module, "train_step", state);
    eval = backend.compile(module, "eval", state);
  }
};

struct Batch {
  Buffer x, y;
};

// `rows` rows of data, then padding up to `padded` rows: NaN features and label -7.
Batch batch(int64_t rows, int64_t padded, int64_t classes, int seed) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::normal_distribution<float> normal(0, 1);
  Batch b{Buffer(ir::Type{ir::DType::F32, {padded, kFeatures}}), Buffer(ir::Type{ir::DType::I32, {padded}})};
  for (int64_t r = 0; r < padded; ++r) {
    int32_t label = int32_t(rng() % classes);
    b.y.as<int32_t>()[r] = r < rows ? label : -7;
    for (int64_t f = 0; f < kFeatures; ++f)
      b.x.as<float>()[r * kFeatures + f] =
          r < rows ? normal(rng) + (f % classes == label ? 1.0f : 0.0f) : std::numeric_limits<float>::quiet_NaN();
  }
  return b;
}

struct Outputs {
  float loss = 0;
  int32_t correct = 0;
  Buffer logits;
};

// Runs `exe` on b (plus n_rows when the function takes it).
Outputs run(Executable& exe, const Batch& b, int64_t n_rows, bool logits) {
  Buffer n(ir::Type{ir::DType::I32, {}}), loss(ir::Type{ir::DType::F32, {}}), correct(ir::Type{ir::DType::I32, {}});
  n.as<int32_t>()[0] = static_cast<int32_t>(n_rows);
  std::vector<TensorView> in{b.x.view(), b.y.view()};
  if (exe.signature().inputs.size() == 3) in.push_back(n.view());
  Outputs o;
  std::vector<TensorView> out{loss.view(), correct.view()};
  if (logits) {
    o.logits = Buffer(exe.signature().outputs.back().second);
    out.push_back(o.logits.view());
  }
  exe.run_checked(in, out);
  o.loss = loss.as<float>()[0], o.correct = correct.as<int32_t>()[0];
  return o;
}

// Every state buffer agrees: max |a - b| <= 1e-5 (1 + max |b|); counters exactly.
void expect_same_state(const StateStore& masked, const StateStore& exact, const std::string& where) {
  for (const auto& [name, buf] : exact.all()) {
    const Buffer& m = masked.get(name);
    double worst = 0, scale = 1;
    for (int64_t i = 0; i < buf->numel(); ++i) {
      EXPECT_FALSE(std::isnan(element(m, i))) << where << ": " << name << "[" << i << "] is NaN";
      worst = std::max(worst, std::abs(element(m, i) - element(*buf, i)));
      scale = std::max(scale, 1 + std::abs(element(*buf, i)));
    }
    EXPECT_LE(worst, (buf->type().dtype == ir::DType::I32 ? 0 : 1e-5) * scale) << where << ": state " << name;
  }
}

void check(const Model& m, const std::string& backend_name) {
  runtime::ProgramOptions o;
  o.backend = backend_name;
  std::unique_ptr<Backend> backend = runtime::make_backend(o);
  for (int64_t n : {int64_t{1}, int64_t{7}, kBatch - 1, kBatch}) {
    std::string where = fmt::format("{} on {}, {} of {} rows", m.name, backend_name, n, kBatch);
    Compiled masked(m, kBatch, true, *backend), exact(m, n, false, *backend);
    for (int step = 0; step < 3; ++step) {
      Batch padded = batch(n, kBatch, m.classes, step), plain = batch(n, n, m.classes, step);
      Outputs a = run(*masked.train, padded, n, false), b = run(*exact.train, plain, n, false);
      EXPECT_NEAR(a.loss, b.loss, 1e-5 * (1 + std::abs(b.loss))) << where << ", step " << step;
      EXPECT_EQ(a.correct, b.correct) << where << ", step " << step;
      expect_same_state(masked.state, exact.state, where + fmt::format(", step {}", step));
    }
    Batch padded = batch(n, kBatch, m.classes, 9), plain = batch(n, n, m.classes, 9);
    Outputs a = run(*masked.eval, padded, n, true), b = run(*exact.eval, plain, n, true);
    EXPECT_NEAR(a.loss, b.loss, 1e-5 * (1 + std::abs(b.loss))) << where << ", eval";
    EXPECT_EQ(a.correct, b.correct) << where << ", eval";
    for (int64_t i = 0; i < n * m.classes; ++i)
      EXPECT_NEAR(a.logits.as<float>()[i], b.logits.as<float>()[i], 1e-5) << where << ", eval logit " << i;
  }
}

// The JIT's softmax_xent and correct kernels walk rows of few classes by columns,
// a block of the register width at a time (backend/llvm/rowwise.h); masked, the
// lanes at rows >= n are switched off. Their loss and count must have the bits of
// a batch of exactly n rows, for n on both sides of the block boundaries, f32 and
// f64, with NaN logits and label -7 in the padding rows.
ir::Module loss_and_count(ir::DType d, int64_t rows, int64_t classes, bool masked) {
  ir::Module m;
  m.name = "losses";
  ir::Function& f = m.add_func("f");
  ir::Builder b(f);
  std::vector<ir::ValueId> in{b.input("x", ir::Type{d, {rows, classes}}), b.input("y", ir::Type{ir::DType::I32, {rows}})};
  if (masked) in.push_back(b.input("n", ir::Type{ir::DType::I32, {}}));
  b.output("loss", b.emit(ir::Op::SoftmaxXent, in, {{"label_smoothing", 0.3}})[0]);
  b.output("correct", b.emit(ir::Op::Correct, in)[0]);
  return m;
}

std::vector<Buffer> loss_inputs(ir::DType d, int64_t rows, int64_t padded, int64_t classes, bool masked) {
  std::mt19937 rng(11);
  std::normal_distribution<double> normal(0, 3);
  Buffer x(ir::Type{d, {padded, classes}}), y(ir::Type{ir::DType::I32, {padded}}), n(ir::Type{ir::DType::I32, {}});
  for (int64_t i = 0; i < padded * classes; ++i) {
    double v = i < rows * classes ? normal(rng) : std::numeric_limits<double>::quiet_NaN();
    if (d == ir::DType::F32) x.as<float>()[i] = float(v);
    else x.as<double>()[i] = v;
  }
  for (int64_t r = 0; r < padded; ++r) y.as<int32_t>()[r] = r < rows ? int32_t(rng() % classes) : -7;
  n.as<int32_t>()[0] = int32_t(rows);
  std::vector<Buffer> in;
  in.push_back(std::move(x)), in.push_back(std::move(y));
  if (masked) in.push_back(std::move(n));
  return in;
}

TEST(MaskedRows, LossKernelsByColumnsGiveTheBitsOfAnExactBatch) {
  constexpr int64_t kPadded = 40;
  for (ir::DType d : {ir::DType::F32, ir::DType::F64})
    for (int64_t n : {1, 7, 8, 9, 15, 16, 17, 33, 40}) {
      std::string where = fmt::format("{} of {} rows, {}", n, kPadded, ir::dtype_name(d));
      ir::Module masked = loss_and_count(d, kPadded, 5, true), exact = loss_and_count(d, n, 5, false);
      StateStore s1(masked), s2(exact);
      std::vector<Buffer> a = run_with(jit_backend(), masked, s1, loss_inputs(d, n, kPadded, 5, true));
      std::vector<Buffer> b = run_with(jit_backend(), exact, s2, loss_inputs(d, n, n, 5, false));
      EXPECT_EQ(0, std::memcmp(a[0].data(), b[0].data(), ir::dtype_size(d))) << where << ": loss " << element(a[0], 0)
                                                                            << " vs " << element(b[0], 0);
      EXPECT_FALSE(std::isnan(element(a[0], 0))) << where;
      EXPECT_EQ(a[1].as<int32_t>()[0], b[1].as<int32_t>()[0]) << where << ": correct";
    }
}

const Model kSeed{"seed", false, 0}, kBatchNorm{"bn", true, 0}, kDropout{"dropout", true, 0.3};
const Model kManyClasses{"many classes", false, 0, 37};

TEST(MaskedRows, SeedModelInterp) { check(kSeed, "interp"); }
TEST(MaskedRows, SeedModelJit) { check(kSeed, "jit"); }
TEST(MaskedRows, BatchNormInterp) { check(kBatchNorm, "interp"); }
TEST(MaskedRows, BatchNormJit) { check(kBatchNorm, "jit"); }
TEST(MaskedRows, DropoutInterp) { check(kDropout, "interp"); }
TEST(MaskedRows, DropoutJit) { check(kDropout, "jit"); }
TEST(MaskedRows, ManyClassesInterp) { check(kManyClasses, "interp"); }
TEST(MaskedRows, ManyClassesJit) { check(kManyClasses, "jit"); }

// A row count outside [1, B] is an error naming the node, on both backends,
// raised before the step writes any state (the JIT checks n_rows at its entry).
TEST(MaskedRows, RowCountOutOfRangeIsAnErrorAndWritesNothing) {
  for (const char* name : {"interp", "jit"}) {
    runtime::ProgramOptions o;
    o.backend = name;
    std::unique_ptr<Backend> backend = runtime::make_backend(o);
    Compiled masked(kBatchNorm, kBatch, true, *backend);
    StateStore before = masked.state;
    Batch b = batch(kBatch, kBatch, kBatchNorm.classes, 0);
    for (int64_t n : {int64_t{0}, kBatch + 1})
      try {
        run(*masked.train, b, n, false);
        ADD_FAILURE() << name << ": n_rows = " << n << " was accepted";
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("row count"), std::string::npos) << e.what();
      }
    expect_same_state(masked.state, before, std::string(name) + ", after the refused steps");
  }
}

}  // namespace
}  // namespace minigrad::testing
