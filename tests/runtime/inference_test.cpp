// Using trained models: softmax, predictions through a checkpoint's program, their
// files, and evaluations whose confusion matrix agrees with their accuracy.
#include "runtime/inference.h"

#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/session.h"
#include "tests/runtime/product_helpers.h"

namespace minigrad::runtime {
namespace {

using ::testing::HasSubstr;
using testing::error_of;
using testing::read_bytes;
using testing::TempDir;

TEST(Inference, SoftmaxRows) {
  float z[] = {0, 0, 1000, 1000, 0, std::log(3.0f)};
  std::vector<float> p = softmax_rows(z, 3, 2);
  EXPECT_FLOAT_EQ(p[0], 0.5f);
  EXPECT_FLOAT_EQ(p[2], 0.5f) << "large logits do not overflow";
  EXPECT_FLOAT_EQ(p[4], 0.25f);
  EXPECT_FLOAT_EQ(p[5], 0.75f);
}

// The confusion matrix and the predicted labels take the IR's argmax: the first
// index of the maximum, a NaN counting as the maximum (std::max_element, used
// before, passed over a NaN, so a row the evaluation counted as wrong could land
// on the confusion matrix's diagonal).
TEST(Inference, RowArgmaxTakesTheFirstMaximumAndNaNAsTheMaximum) {
  float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  float ties[] = {1, 3, 3, 2}, nan_mid[] = {5, nan, 9, nan}, nan_first[] = {nan, 9}, infs[] = {-inf, -inf, -inf};
  EXPECT_EQ(row_argmax(ties, 4), 1);
  EXPECT_EQ(row_argmax(nan_mid, 4), 1);
  EXPECT_EQ(row_argmax(nan_first, 2), 0);
  EXPECT_EQ(row_argmax(infs, 3), 0);
  EXPECT_EQ(row_argmax(ties, 1), 0);
}

TEST(Inference, PredictionsAndEvaluationAgreeWithTraining) {
  TempDir dir;
  testing::write_blobs(dir.path());
  RunConfig c;
  c.model = "mlp", c.set = {{"width", "8"}}, c.data_dir = dir.path().string(), c.epochs = 3, c.batch = 16;
  c.pca = 4, c.backend = "interp";
  Session s = start_session(c);
  train_session(s);
  save_session(s, dir / "m.safetensors");
  CheckpointInfo info = read_checkpoint_info(dir / "m.safetensors");

  Dataset raw = load_data_dir(dir.path());
  Buffer x = prepare_rows(raw.test.x, info, "test rows");
  auto program = load_program(c, dir / "m.safetensors", 4, 3, 7);
  Predictions p = predict(*program, x, 7);
  ASSERT_EQ(p.rows, 24);
  int64_t right = 0;
  for (int64_t r = 0; r < p.rows; ++r) right += p.label[static_cast<size_t>(r)] == raw.test.y[static_cast<size_t>(r)];
  EXPECT_DOUBLE_EQ(static_cast<double>(right) / 24, s.history.back().test_accuracy);

  Evaluation e = evaluate_split(*program, s.data.data.test, 5);
  EXPECT_DOUBLE_EQ(e.result.accuracy, s.history.back().test_accuracy);
  int64_t diagonal = 0, total = 0;
  for (size_t t = 0; t < 3; ++t)
    for (size_t q = 0; q < 3; ++q) total += e.confusion[t][q], diagonal += t == q ? e.confusion[t][q] : 0;
  EXPECT_EQ(total, 24);
  EXPECT_EQ(diagonal, right);

  write_predictions(dir / "p.csv", p);
  EXPECT_THAT(read_bytes(dir / "p.csv"), ::testing::StartsWith("class,p0,p1,p2\n"));
  write_predictions(dir / "p.npy", p);
  NpyArray a = read_npy(dir / "p.npy");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{24, 4}));
  EXPECT_EQ(a.as<float>()[4], static_cast<float>(p.label[1]));
  EXPECT_THAT(error_of([&] { write_predictions(dir / "p.txt", p); }), HasSubstr("expected a .npy or .csv"));
}

TEST(Inference, PrepareRowsRefusesBadRows) {
  CheckpointInfo info;
  info.preprocessing = fit_preprocessing({Scale::Standard, 0}, Buffer(ir::Type{ir::DType::F32, {2, 3}}));
  Buffer wrong(ir::Type{ir::DType::F32, {2, 4}});
  EXPECT_THAT(error_of([&] { prepare_rows(wrong, info, "in.npy"); }),
              HasSubstr("in.npy: 4 features per row, but the model was trained on 3"));
  Buffer nan(ir::Type{ir::DType::F32, {2, 3}});
  nan.as<float>()[4] = NAN;
  EXPECT_THAT(error_of([&] { prepare_rows(nan, info, "in.npy"); }), HasSubstr("in.npy: row 1 holds nan"));
}

}  // namespace
}  // namespace minigrad::runtime
