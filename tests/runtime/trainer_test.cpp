// The training loop on a small synthetic problem: partial last batches run the
// full batch's masked specialisation (or, unmasked, get their own; or are dropped), every specialisation is compiled
// before the first epoch, batch normalisation over one row is warned of, a run is reproducible from its seed, and training learns
// a separable problem.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "frontend/dsl.h"
#include "runtime/program.h"
#include "runtime/trainer.h"

namespace minigrad::runtime {
namespace {

// Three Gaussian blobs in 4 dimensions, 50 training and 30 test rows.
Dataset blobs(uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0, 0.3f);
  auto split = [&](int64_t rows) {
    Split s{Buffer(ir::Type{ir::DType::F32, {rows, 4}}), {}};
    for (int64_t r = 0; r < rows; ++r) {
      int32_t c = static_cast<int32_t>(r % 3);
      s.y.push_back(c);
      for (int64_t f = 0; f < 4; ++f) s.x.as<float>()[r * 4 + f] = (f == c ? 2.0f : 0.0f) + noise(rng);
    }
    return s;
  };
  return Dataset{split(50), split(30), 3, "blobs"};
}

std::unique_ptr<Program> program(uint64_t seed, int64_t batch, std::vector<std::string>* warnings = nullptr,
                                 bool masked = true) {
  ProgramOptions o;
  o.in_features = 4, o.num_classes = 3, o.batch = batch, o.masked_rows = masked;
  if (warnings) o.warn = [warnings](const std::string& w) { warnings->push_back(w); };
  ModelParts parts{nn::Sequential{nn::Linear(4, 8), nn::BatchNorm1d(8), nn::ReLU(), nn::Dropout(0.1), nn::Linear(8, 3)},
                   std::make_shared<nn::CrossEntropyLoss>(0.1), std::make_shared<optim::Adam>(0.05)};
  auto p = std::make_unique<Program>(std::move(parts), o);
  p->init_state(seed);
  return p;
}

TrainOptions options(int epochs, int64_t batch, bool drop_last, uint64_t seed) {
  TrainOptions t;
  t.epochs = epochs;
  t.batching = BatchOptions{batch, true, drop_last, seed};
  t.eval_batch = 7;  // evaluation in batches of 7 rows: 30 = 4 * 7 + 2
  return t;
}

// Masked (docs/ir.md, "Partial batches"): the last partial training batch (2 rows)
// and the evaluation batches (7 and 2 rows) all run the specialisation for 16.
TEST(Trainer, PartialLastBatchRunsTheFullBatchSpecialisation) {
  Dataset d = blobs(1);
  auto p = program(0, 16);
  std::vector<EpochStats> h = train(*p, d, options(2, 16, false, 0));
  EXPECT_EQ(h[0].steps, 4);  // 16 + 16 + 16 + 2 rows
  EXPECT_EQ(p->batch_sizes(), (std::vector<int64_t>{16}));
}

TEST(Trainer, UnmaskedPartialLastBatchIsTrainedWithItsOwnSpecialisation) {
  Dataset d = blobs(1);
  auto p = program(0, 16, nullptr, false);
  std::vector<EpochStats> h = train(*p, d, options(2, 16, false, 0));
  EXPECT_EQ(h[0].steps, 4);
  std::vector<int64_t> sizes = p->batch_sizes();
  for (int64_t b : {2, 7, 16}) EXPECT_NE(std::find(sizes.begin(), sizes.end(), b), sizes.end()) << b;
}

// The masked run and the unmasked one (a specialisation per batch size) train the
// same model: every epoch's losses agree to 1e-2 and the test accuracy to one row
// of 30. Not to 1e-6: the two round differently (a GEMM over 16 rows, 2 of them
// zero, against one over 2), and Adam's m / sqrt(v) turns the rounding noise of
// the Linear bias before batch norm, whose true gradient is 0, into steps of order
// lr (tests/backend/jit_model_test.cpp explains it); masked_rows_test.cpp checks
// single steps to 1e-5 with SGD.
TEST(Trainer, MaskedAndUnmaskedRunsAgree) {
  Dataset d = blobs(1);
  auto masked = program(3, 16), plain = program(3, 16, nullptr, false);
  std::vector<EpochStats> a = train(*masked, d, options(3, 16, false, 4)), b = train(*plain, d, options(3, 16, false, 4));
  ASSERT_EQ(a.size(), b.size());
  for (size_t e = 0; e < a.size(); ++e) {
    EXPECT_NEAR(a[e].train_loss, b[e].train_loss, 1e-2) << "epoch " << e + 1;
    EXPECT_NEAR(a[e].test_loss, b[e].test_loss, 1e-2) << "epoch " << e + 1;
    EXPECT_NEAR(a[e].test_accuracy, b[e].test_accuracy, 1.5 / 30) << "epoch " << e + 1;
  }
}

TEST(Trainer, DropLastSkipsThePartialBatch) {
  Dataset d = blobs(1);
  auto p = program(0, 16);
  TrainOptions t = options(1, 16, true, 0);
  t.eval_batch = 10;  // 30 test rows: no partial evaluation batch either
  std::vector<EpochStats> h = train(*p, d, t);
  EXPECT_EQ(h[0].steps, 3);
  std::vector<int64_t> sizes = p->batch_sizes();
  EXPECT_EQ(std::find(sizes.begin(), sizes.end(), 2), sizes.end());
}

// Every specialisation is compiled before the first step, so no epoch's seconds
// include a compile: unmasked, at the first step the program already has the
// partial training batch (2 rows) and both evaluation batch sizes (7 and 2 rows).
TEST(Trainer, CompilesEverySpecialisationBeforeTheFirstEpoch) {
  Dataset d = blobs(1);
  auto p = program(0, 16, nullptr, false);
  TrainOptions t = options(1, 16, false, 0);
  std::vector<int64_t> at_first_step;
  t.on_step = [&](int64_t done, int64_t) {
    if (done == 1) at_first_step = p->batch_sizes();
  };
  train(*p, d, t);
  EXPECT_EQ(at_first_step, (std::vector<int64_t>{2, 7, 16}));
}

// Batch normalisation over one row outputs its bias whatever the input: a run
// whose batches (here the last partial one: 50 = 7 * 7 + 1) have one row is
// warned before its first epoch, naming the layer's source line; --drop-last or
// another batch size clears it, and an evaluation batch of one row never warns.
TEST(Trainer, WarnsOfBatchNormOverOneRow) {
  Dataset d = blobs(1);
  std::vector<std::string> warnings;
  auto p = program(0, 7, &warnings);
  EXPECT_TRUE(warnings.empty());
  train(*p, d, options(1, 7, false, 0));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("trainer_test.cpp:"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("a batch of 1 row"), std::string::npos) << warnings[0];

  warnings.clear();
  auto dropped = program(0, 7, &warnings);
  train(*dropped, d, options(1, 7, true, 0));
  EXPECT_TRUE(warnings.empty());
  auto whole = program(0, 10, &warnings);
  train(*whole, d, options(1, 10, false, 0));
  EXPECT_TRUE(warnings.empty());
  TrainOptions one_row_eval = options(1, 10, false, 0);
  one_row_eval.eval_batch = 29;  // 30 test rows: the last evaluation batch has 1 row, which is harmless
  auto evaluated = program(0, 10, &warnings);
  train(*evaluated, d, one_row_eval);
  EXPECT_TRUE(warnings.empty());
}

TEST(Trainer, SameSeedSameRunOtherSeedOtherRun) {
  Dataset d = blobs(2);
  auto run = [&](uint64_t seed) {
    auto p = program(seed, 8);
    std::vector<double> losses;
    for (const EpochStats& s : train(*p, d, options(3, 8, false, seed))) losses.push_back(s.train_loss);
    return losses;
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

TEST(Trainer, LearnsASeparableProblem) {
  Dataset d = blobs(3);
  auto p = program(1, 10);
  std::vector<EpochStats> h = train(*p, d, options(30, 10, false, 1));
  EXPECT_GT(h.back().test_accuracy, 0.9);
  EXPECT_LT(h.back().train_loss, h.front().train_loss);
  EvalResult e = evaluate(*p, d.test, 30);
  EXPECT_NEAR(e.accuracy, h.back().test_accuracy, 1e-12);  // batch size does not change evaluation
  EXPECT_NEAR(e.loss, h.back().test_loss, 1e-5);
}

}  // namespace
}  // namespace minigrad::runtime
