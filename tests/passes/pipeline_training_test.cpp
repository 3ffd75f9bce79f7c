// Training the seed model on the bundled digits with the whole pipeline reaches
// the same accuracy as with every optional pass off: the passes change how the
// step is computed, not what it computes.
#include <gtest/gtest.h>

#include "runtime/experiment.h"

namespace minigrad::runtime {
namespace {

std::vector<EpochStats> train_seed(const std::vector<std::string>& disabled) {
  RunConfig c;
  c.data_dir = std::string(MINIGRAD_SOURCE_DIR) + "/data/mnist10k";
  c.pca = 128;
  c.epochs = 3;
  c.pipeline.disabled = disabled;
  PreparedData p = prepare_data(c);
  std::unique_ptr<Program> program = make_program(c, p.data);
  return train(*program, p.data, train_options(c));
}

TEST(PipelineTraining, SeedModelReachesTheSameAccuracyWithAndWithoutPasses) {
  std::vector<EpochStats> with = train_seed({}), without = train_seed({"all"});
  ASSERT_EQ(with.size(), without.size());
  for (size_t e = 0; e < with.size(); ++e) {
    EXPECT_NEAR(with[e].train_loss, without[e].train_loss, 1e-4 * without[e].train_loss) << "epoch " << e + 1;
    EXPECT_NEAR(with[e].test_accuracy, without[e].test_accuracy, 0.005) << "epoch " << e + 1;
  }
  EXPECT_GE(with.back().test_accuracy, 0.85);
  EXPECT_GE(without.back().test_accuracy, 0.85);
}

}  // namespace
}  // namespace minigrad::runtime
