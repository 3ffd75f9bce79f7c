// Using a trained model: the class probabilities of new rows (minigradc predict) and
// an evaluation with its confusion matrix and inference time (minigradc eval).
// Both run the model's eval function (running statistics, no dropout).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/checkpoint.h"
#include "runtime/experiment.h"

namespace minigrad::runtime {

struct Predictions {
  int64_t rows = 0, classes = 0;
  std::vector<int32_t> label;        // [rows]: the most probable class (the first on ties)
  std::vector<float> probabilities;  // [rows, classes]: softmax of the model's outputs
};

// The first index of a row's maximum, a NaN counting as the maximum: the IR's
// argmax rule (ir/nan_order.h), so that a confusion matrix and the evaluation's
// correct count agree on every row.
int32_t row_argmax(const float* row, int64_t n);

// Row-wise softmax in double: p = exp(z - max z) / sum exp(z - max z).
std::vector<float> softmax_rows(const float* logits, int64_t rows, int64_t classes);

// The model's predictions for `x` (f32 [N, F], already preprocessed), `batch` rows a step.
Predictions predict(Program& program, const Buffer& x, int64_t batch);

// Raw rows (f32 [N, F_raw]) through a checkpoint's preprocessing, if it stores one;
// Error on non-finite values or another feature count. `what` names the rows.
Buffer prepare_rows(const Buffer& raw, const CheckpointInfo& info, const std::string& what);

// A program for `config` with a checkpoint's model states loaded; `first_batch` is
// the batch size compiled first.
std::unique_ptr<Program> load_program(const RunConfig& config, const std::filesystem::path& ckpt, int64_t in_features,
                                      int64_t num_classes, int64_t first_batch);

// Writes `p` as .npy (float32 [N, 1 + C]: column 0 the class, then the
// probabilities) or .csv (a header "class,p0,p1,..." and the same columns).
void write_predictions(const std::filesystem::path& path, const Predictions& p);
void check_predictions_path(const std::filesystem::path& path);

struct Evaluation {
  EvalResult result;
  std::vector<std::vector<int64_t>> confusion;  // [true class][predicted class]
  double seconds = 0;                           // the timed pass over the split
};

// Evaluates `split` twice: once to compile every batch size it needs, then timed.
Evaluation evaluate_split(Program& program, const Split& split, int64_t batch);

}  // namespace minigrad::runtime
