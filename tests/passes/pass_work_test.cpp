// Compile work that grows linearly with the model (issue 30), without a clock: the
// pass manager records each pass's node visits (ir::node_visit_count: node()
// accesses, replace_all_uses scans, the fusion partition's searches), and a model
// four times deeper must cost each pass of the default pipeline, and the pipeline
// in all, less than five times the visits. A pass that rescans the function per
// candidate would cost sixteen times; n log n stays well under five.
//
// Not yet every pass: autodiff, constant-fold, algebraic-simplify and
// lower-batch-norm-eval still insert into the middle of the node vector or replace
// uses by a scan per rewrite (Rewriter::before and replace), and cost about sixteen
// times at four times the depth. Until they are linear, they are listed in
// kStillQuadratic and held only to staying below 20 times (cubic would be 64); the
// pipeline's total is held to 5 times only once that list is empty (issue 30 open).
#include <algorithm>
#include <set>
#include <string>
#include <gtest/gtest.h>

#include "passes/pass_manager.h"
#include "passes/pipeline.h"
#include "tests/passes/models.h"

namespace minigrad::passes {
namespace {

const std::set<std::string> kStillQuadratic{"autodiff", "constant-fold", "algebraic-simplify", "lower-batch-norm-eval"};

std::vector<PassRecord> run_mlp(int depth) {
  testing::ModelCase c{"deep", "mlp", {{"depth", std::to_string(depth)}, {"width", "8"}}};
  ir::Module m = testing::trace_case(c, 8, 6, 4);
  run_pipeline(m);
  return last_records();
}

void check_growth() {
  std::vector<PassRecord> small = run_mlp(100), large = run_mlp(400);
  ASSERT_EQ(small.size(), default_pipeline().size());  // every pass of the pipeline ran
  ASSERT_EQ(small.size(), large.size());
  uint64_t small_total = 0, large_total = 0;
  for (size_t i = 0; i < small.size(); ++i) {
    ASSERT_EQ(small[i].name, large[i].name);
    EXPECT_TRUE(small[i].ran) << small[i].name;
    small_total += small[i].visits, large_total += large[i].visits;
    // A pass that visits almost nothing at depth 100 (nothing to do) must stay small.
    double ratio = static_cast<double>(large[i].visits) / static_cast<double>(std::max<uint64_t>(small[i].visits, 100));
    double limit = kStillQuadratic.count(small[i].name) != 0 ? 20.0 : 5.0;
    EXPECT_LT(ratio, limit) << small[i].name << ": " << small[i].visits << " node visits at depth 100, "
                            << large[i].visits << " at depth 400";
  }
  if (kStillQuadratic.empty()) EXPECT_LT(static_cast<double>(large_total) / static_cast<double>(small_total), 5.0);
}

TEST(PassWork, PassesGrowLinearlyWithDepth) { check_growth(); }

}  // namespace
}  // namespace minigrad::passes
