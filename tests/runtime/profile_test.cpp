// Step profiles (runtime/profile.h): shares, order and GEMM rates from two
// counter readings; a profiling build of seed_mlp names its GEMMs with M x N x K;
// the interpreter refuses --profile.
#include "runtime/profile.h"

#include <gtest/gtest.h>

#include "ir/error.h"
#include "runtime/benchmark.h"
#include "tests/runtime/product_helpers.h"

namespace minigrad::runtime {
namespace {

TEST(Profile, SharesOrderAndGemmRatesFromTwoReadings) {
  std::vector<JitProfileEntry> before{{"a", 100, std::nullopt}, {"mm", 0, ir::GemmDims{64, 192, 128}}, {"c", 0, {}}};
  std::vector<JitProfileEntry> after{{"a", 1100, std::nullopt}, {"mm", 3000, ir::GemmDims{64, 192, 128}}, {"c", 0, {}}};
  StepProfile p = step_profile(before, after, 10, 64);
  ASSERT_EQ(p.rows.size(), 3u);
  EXPECT_DOUBLE_EQ(p.sites_ns, 400);  // (1000 + 3000) / 10
  EXPECT_EQ(p.rows[0].site, "mm");
  EXPECT_DOUBLE_EQ(p.rows[0].ns, 300);
  EXPECT_DOUBLE_EQ(p.rows[0].share, 0.75);
  EXPECT_DOUBLE_EQ(p.rows[0].gflops, 2.0 * 64 * 192 * 128 / 300);  // flop per ns = GFLOP/s
  EXPECT_EQ(p.rows[1].site, "a");
  EXPECT_FALSE(p.rows[1].gemm);
  EXPECT_DOUBLE_EQ(p.rows[2].share, 0);
  std::string table = format_profile(p);
  EXPECT_NE(table.find("64 x 192 x 128"), std::string::npos) << table;
  EXPECT_NE(table.find("profiling build"), std::string::npos) << table;
  EXPECT_NE(table.find("total"), std::string::npos) << table;
  EXPECT_THROW(step_profile(before, after, 0, 64), Error);
}

class ProfiledProgram : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_blobs(dir_.path(), 200, 12, 3);
    config_.data_dir = dir_.path().string();
    config_.model = "seed_mlp";
    config_.jit_cache = "off";
    config_.profile = true;
  }
  testing::TempDir dir_;
  RunConfig config_;
};

TEST_F(ProfiledProgram, TrainStepsNameTheirGemmsAndSharesAddUp) {
  PreparedData d = prepare_data(config_);
  auto p = make_program(config_, d.data);
  Batches b = some_batches(d.data.train, 64, 2);
  for (int i = 0; i < 7; ++i) p->train_step(b[size_t(i % 2)].first, b[size_t(i % 2)].second);
  StepProfile prof = train_profile(*p, 64);
  EXPECT_EQ(prof.steps, 7);
  double shares = 0;
  bool fc1_forward = false, fc1_weight_grad = false;
  for (const ProfileRow& r : prof.rows) {
    shares += r.share;
    EXPECT_GE(r.ns, 0);
    if (!r.gemm) continue;
    EXPECT_GT(r.gflops, 0) << r.site;
    // x W: [64, 12] . [12, 192]; x^T dY: [12, 64] . [64, 192].
    fc1_forward |= r.gemm->m == 64 && r.gemm->n == 192 && r.gemm->k == 12;
    fc1_weight_grad |= r.gemm->m == 12 && r.gemm->n == 192 && r.gemm->k == 64;
  }
  EXPECT_NEAR(shares, 1.0, 1e-9);
  EXPECT_TRUE(fc1_forward) << format_profile(prof);
  EXPECT_TRUE(fc1_weight_grad) << format_profile(prof);
  StepProfile window = profile_train_steps(*p, b, 3);
  EXPECT_EQ(window.steps, 3);
  EXPECT_GT(window.wall_ns, 0);
  // Masked steps (the default): a batch of 32 rows is a partial batch of the 64-row
  // step, so its profile is that step's; no step of 128 rows has run.
  EXPECT_EQ(train_profile(*p, 32).steps, train_profile(*p, 64).steps);
  EXPECT_THROW(train_profile(*p, 128), Error);
}

TEST_F(ProfiledProgram, APlainBuildHasNoCountersAndTheInterpreterRefuses) {
  config_.profile = false;
  PreparedData d = prepare_data(config_);
  auto p = make_program(config_, d.data);
  Batches b = some_batches(d.data.train, 64, 1);
  p->train_step(b[0].first, b[0].second);
  EXPECT_THROW(train_profile(*p, 64), Error);
  config_.profile = true;
  config_.backend = "interp";
  try {
    make_program(config_, d.data);
    FAIL() << "the interpreter accepted --profile";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--profile needs --backend jit"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace minigrad::runtime
