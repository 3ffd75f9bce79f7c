// Predictions and evaluations of trained models; see inference.h.
#include "runtime/inference.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "ir/error.h"
#include "ir/nan_order.h"
#include "runtime/atomic_file.h"
#include "runtime/npy.h"

namespace minigrad::runtime {
namespace {

std::string predictions_csv(const Predictions& p) {
  std::string csv = "class";
  for (int64_t c = 0; c < p.classes; ++c) csv += fmt::format(",p{}", c);
  csv += "\n";
  for (int64_t r = 0; r < p.rows; ++r) {
    csv += std::to_string(p.label[static_cast<size_t>(r)]);
    for (int64_t c = 0; c < p.classes; ++c) csv += fmt::format(",{}", p.probabilities[static_cast<size_t>(r * p.classes + c)]);
    csv += "\n";
  }
  return csv;
}

NpyArray predictions_npy(const Predictions& p) {
  std::vector<float> table;
  for (int64_t r = 0; r < p.rows; ++r) {
    table.push_back(static_cast<float>(p.label[static_cast<size_t>(r)]));
    auto row = p.probabilities.begin() + r * p.classes;
    table.insert(table.end(), row, row + p.classes);
  }
  NpyArray a{NpyDType::F32, {p.rows, p.classes + 1}, {}};
  a.data.resize(table.size() * sizeof(float));
  std::memcpy(a.data.data(), table.data(), a.data.size());
  return a;
}

}  // namespace

int32_t row_argmax(const float* row, int64_t n) { return static_cast<int32_t>(ir::first_argmax(row, n)); }

std::vector<float> softmax_rows(const float* logits, int64_t rows, int64_t classes) {
  std::vector<float> p(static_cast<size_t>(rows * classes));
  for (int64_t r = 0; r < rows; ++r) {
    const float* z = logits + r * classes;
    double m = *std::max_element(z, z + classes), sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(double(z[c]) - m);
    for (int64_t c = 0; c < classes; ++c)
      p[static_cast<size_t>(r * classes + c)] = static_cast<float>(std::exp(double(z[c]) - m) / sum);
  }
  return p;
}

Predictions predict(Program& program, const Buffer& x, int64_t batch) {
  Split split{x, {}};
  split.y.assign(static_cast<size_t>(split.rows()), 0);  // eval takes labels; their loss is not used
  Buffer logits;
  evaluate(program, split, batch, &logits);
  Predictions p{split.rows(), program.options().num_classes, {}, {}};
  p.probabilities = softmax_rows(logits.as<float>(), p.rows, p.classes);
  for (int64_t r = 0; r < p.rows; ++r) p.label.push_back(row_argmax(p.probabilities.data() + r * p.classes, p.classes));
  return p;
}

std::unique_ptr<Program> load_program(const RunConfig& config, const std::filesystem::path& ckpt, int64_t in_features,
                                      int64_t num_classes, int64_t first_batch) {
  auto program = make_program(config, in_features, num_classes, first_batch);
  load_model_state(ckpt, program->compiled_module(program->options().batch), program->state());
  return program;
}

void check_predictions_path(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  if (ext != ".npy" && ext != ".csv") fail("--output {}: expected a .npy or .csv file name", path.string());
}

void write_predictions(const std::filesystem::path& path, const Predictions& p) {
  check_predictions_path(path);
  if (path.extension() == ".csv") write_file_atomic(path, predictions_csv(p));
  else write_npy(path, predictions_npy(p));
}

Evaluation evaluate_split(Program& program, const Split& split, int64_t batch) {
  int64_t classes = program.options().num_classes;
  evaluate(program, split, batch);  // compiles every batch size used, so the timed pass only runs
  Buffer logits;
  auto t0 = std::chrono::steady_clock::now();
  Evaluation e{evaluate(program, split, batch, &logits), {}, 0};
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  e.confusion.assign(static_cast<size_t>(classes), std::vector<int64_t>(static_cast<size_t>(classes), 0));
  for (int64_t i = 0; i < split.rows(); ++i)
    ++e.confusion[static_cast<size_t>(split.y[static_cast<size_t>(i)])][static_cast<size_t>(row_argmax(logits.as<float>() + i * classes, classes))];
  return e;
}

}  // namespace minigrad::runtime
