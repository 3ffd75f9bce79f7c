// Sessions: a run resumed from a checkpoint ends bit for bit where the run that
// never stopped ends (interpreter; dropout, batch norm, Adam and a partial last
// batch included); --init loads weights only; a checkpoint's preprocessing and
// class count are kept.
#include "runtime/session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/runtime/product_helpers.h"

namespace minigrad::runtime {
namespace {

using ::testing::HasSubstr;
using testing::error_of;
using testing::same_state;
using testing::TempDir;

RunConfig blob_config(const TempDir& dir, int epochs) {
  RunConfig c;
  c.model = "mlp";
  c.set = {{"width", "8"}, {"dropout", "0.3"}};
  c.data_dir = dir.path().string();
  c.pca = 4;
  c.epochs = epochs;
  c.batch = 10;  // 96 rows: nine batches of 10 and one of 6
  c.eval_batch = 7;
  c.seed = 3;
  c.backend = "interp";  // the reference: bit-for-bit claims are made on it
  return c;
}

TEST(Session, ResumeEqualsUninterruptedTrainingBitForBit) {
  TempDir dir;
  testing::write_blobs(dir.path());
  Session whole = start_session(blob_config(dir, 4));
  train_session(whole);

  Session first = start_session(blob_config(dir, 2));
  train_session(first);
  save_session(first, dir / "half.safetensors");

  Session rest = start_session(blob_config(dir, 4), {{}, dir / "half.safetensors"});
  EXPECT_EQ(rest.epochs_done(), 2);
  std::vector<EpochStats> more = train_session(rest);
  ASSERT_EQ(more.size(), 2u);
  EXPECT_EQ(more[0].epoch, 3);
  EXPECT_TRUE(same_state(whole.program->state(), rest.program->state()));
  ASSERT_EQ(rest.history.size(), whole.history.size());
  for (size_t i = 0; i < whole.history.size(); ++i) {
    EXPECT_EQ(rest.history[i].train_loss, whole.history[i].train_loss) << "epoch " << i + 1;
    EXPECT_EQ(rest.history[i].test_accuracy, whole.history[i].test_accuracy) << "epoch " << i + 1;
  }
}

TEST(Session, ResumeRefusesAMissingTrainingState) {
  TempDir dir;
  testing::write_blobs(dir.path());
  Session s = start_session(blob_config(dir, 1));
  train_session(s);
  save_session(s, dir / "m.safetensors", /*with_training_state=*/false);
  EXPECT_THAT(error_of([&] { start_session(blob_config(dir, 2), {{}, dir / "m.safetensors"}); }),
              HasSubstr("not a run to resume"));
}

TEST(Session, InitLoadsTheModelButStartsANewRun) {
  TempDir dir;
  testing::write_blobs(dir.path());
  Session s = start_session(blob_config(dir, 2));
  train_session(s);
  save_session(s, dir / "m.safetensors");
  RunConfig c = blob_config(dir, 1);
  c.seed = 77;
  Session init = start_session(c, {dir / "m.safetensors", {}});
  EXPECT_EQ(init.epochs_done(), 0);
  const Buffer& w = init.program->state().get("0.weight");
  EXPECT_EQ(std::memcmp(w.data(), s.program->state().get("0.weight").data(), w.bytes()), 0);
  EXPECT_EQ(init.program->state().get("step").as<int32_t>()[0], 0);
  EXPECT_EQ(init.program->state().get("optim.0.weight.exp_avg").as<float>()[0], 0.0f);
}

TEST(Session, KeepsTheCheckpointsPreprocessing) {
  TempDir dir, other;
  testing::write_blobs(dir.path());
  testing::write_blobs(other.path(), 200, 6, 3);  // other rows: a refit would differ
  Session s = start_session(blob_config(dir, 1));
  train_session(s);
  save_session(s, dir / "m.safetensors");
  RunConfig c = blob_config(other, 1);
  Session init = start_session(c, {dir / "m.safetensors", {}});
  EXPECT_EQ(init.data.preprocessing.pca.components, s.data.preprocessing.pca.components);
  EXPECT_EQ(init.data.preprocessing.scale.offset, s.data.preprocessing.scale.offset);
}

TEST(Session, RefusesDataWithMoreClassesThanTheModel) {
  TempDir dir, four;
  testing::write_blobs(dir.path());
  testing::write_blobs(four.path(), 96, 6, 4);
  Session s = start_session(blob_config(dir, 1));
  train_session(s);
  save_session(s, dir / "m.safetensors");
  EXPECT_THAT(error_of([&] { start_session(blob_config(four, 1), {dir / "m.safetensors", {}}); }),
              HasSubstr("train_label.npy: row 3: label 3 is not a class of the model (3 classes, 0..2, as the "
                        "checkpoint's model has)"));
}

// --num-classes: the model has that many classes whatever the labels hold (the
// checkpoint records it), a label outside them is refused naming the flag, and a
// checkpoint whose model has another count is refused.
TEST(Session, NumClassesGivesTheModelsClasses) {
  TempDir dir;
  testing::write_blobs(dir.path());  // labels 0..2
  RunConfig c = blob_config(dir, 1);
  c.num_classes = 5;
  Session s = start_session(c);
  EXPECT_EQ(s.data.data.num_classes, 5);
  train_session(s);
  save_session(s, dir / "m.safetensors");
  EXPECT_EQ(read_checkpoint_info(dir / "m.safetensors").num_classes, 5);
  Session resumed = start_session(blob_config(dir, 2), {{}, dir / "m.safetensors"});  // the count comes back
  EXPECT_EQ(resumed.data.data.num_classes, 5);

  c.num_classes = 2;
  EXPECT_THAT(error_of([&] { start_session(c); }),
              HasSubstr("train_label.npy: row 2: label 2 is not a class of the model (2 classes, 0..1, as "
                        "--num-classes gives)"));
  c.num_classes = 4;
  EXPECT_THAT(error_of([&] { start_session(c, {dir / "m.safetensors", {}}); }),
              HasSubstr("--num-classes 4: the model of " + (dir / "m.safetensors").string() + " has 5 classes"));
}

// A sweep hands every run the data it prepared once: the run is the one that
// prepares its own data, bit for bit, and the shared data are not changed by it.
TEST(Session, PreparedDataGiveTheSameRunAsLoadingThem) {
  TempDir dir;
  testing::write_blobs(dir.path());
  Session own = start_session(blob_config(dir, 2));
  train_session(own);

  auto shared = std::make_shared<const PreparedData>(prepare_data(blob_config(dir, 2)));
  auto shared_x = shared->data.train.x.span<float>();
  std::vector<float> before(shared_x.begin(), shared_x.end());
  Session given = start_session(blob_config(dir, 2), {}, shared);
  train_session(given);
  EXPECT_TRUE(same_state(own.program->state(), given.program->state()));
  ASSERT_EQ(own.history.size(), given.history.size());
  EXPECT_EQ(own.history.back().test_loss, given.history.back().test_loss);
  EXPECT_TRUE(std::equal(before.begin(), before.end(), shared_x.begin()));
}

}  // namespace
}  // namespace minigrad::runtime
