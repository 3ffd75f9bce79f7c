// minigradc predict MODEL --load CKPT --input FILE.npy --output FILE.npy|.csv: the
// class and class probabilities (softmax of the model's outputs) of each row of raw
// features, preprocessed as the checkpoint's training data were.
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/atomic_file.h"
#include "runtime/npy.h"
#include "runtime/run_config_json.h"
#include "runtime/session.h"
#include "tools/checkpoint_flags.h"
#include "tools/commands.h"
#include "tools/run_flags.h"

namespace minigrad::tools {
namespace {

struct PredictFlags {
  RunFlags run;
  std::string load, input, output;
  int64_t classes = 0;
};

Buffer read_input(const PredictFlags& f, const runtime::CheckpointInfo& info) {
  Buffer x = runtime::to_buffer(runtime::read_npy(f.input, {2}), ir::DType::F32, f.input);
  for (int64_t i = 0; i < x.numel(); ++i)
    if (!std::isfinite(x.as<float>()[i]))
      fail("{}: row {} holds {}: every feature must be a finite number", f.input, i / x.type().shape[1], x.as<float>()[i]);
  if (!info.preprocessing) return x;
  if (x.type().shape[1] != info.preprocessing->in_features)
    fail("{}: {} features per row, but {} was trained on {}", f.input, x.type().shape[1], f.load,
         info.preprocessing->in_features);
  return runtime::apply_preprocessing(*info.preprocessing, x);
}

// Row-wise softmax in double: p = exp(z - max z) / sum exp(z - max z).
std::vector<float> softmax(const Buffer& logits, int64_t classes) {
  std::vector<float> p(static_cast<size_t>(logits.numel()));
  for (int64_t r = 0; r < logits.numel() / classes; ++r) {
    const float* z = logits.as<float>() + r * classes;
    double m = *std::max_element(z, z + classes), sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(double(z[c]) - m);
    for (int64_t c = 0; c < classes; ++c) p[static_cast<size_t>(r * classes + c)] = static_cast<float>(std::exp(double(z[c]) - m) / sum);
  }
  return p;
}

// [N, 1 + C]: column 0 the class (the most probable), then the probabilities.
void write_output(const std::string& path, const std::vector<float>& p, int64_t rows, int64_t classes) {
  std::vector<float> table;
  std::string csv = "class";
  for (int64_t c = 0; c < classes; ++c) csv += fmt::format(",p{}", c);
  csv += "\n";
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = p.data() + r * classes;
    int64_t best = std::max_element(row, row + classes) - row;
    table.push_back(static_cast<float>(best));
    table.insert(table.end(), row, row + classes);
    csv += std::to_string(best);
    for (int64_t c = 0; c < classes; ++c) csv += fmt::format(",{}", row[c]);
    csv += "\n";
  }
  if (path.ends_with(".csv")) return runtime::write_file_atomic(path, csv);
  runtime::NpyArray a{runtime::NpyDType::F32, {rows, classes + 1}, {}};
  a.data.resize(table.size() * sizeof(float));
  std::memcpy(a.data.data(), table.data(), a.data.size());
  runtime::write_npy(path, a);
}

void run_predict(const PredictFlags& f, const CLI::App* cmd) {
  if (!f.output.ends_with(".npy") && !f.output.ends_with(".csv"))
    fail("--output {}: expected a .npy or .csv file name", f.output);
  runtime::CheckpointInfo info = runtime::read_checkpoint_info(f.load);
  runtime::RunConfig c = config_to_use(info, f.run.finish(), given_settings(cmd), f.load);
  int64_t classes = f.classes > 0 ? f.classes : info.num_classes;
  if (classes <= 0) fail("{}: the checkpoint does not record its number of classes; give --classes", f.load);
  if (info.num_classes > 0 && classes != info.num_classes)
    fail("--classes {}: the checkpoint's model has {} classes", classes, info.num_classes);
  runtime::Split split{read_input(f, info), {}};
  split.y.assign(static_cast<size_t>(split.rows()), 0);  // evaluation needs labels; their loss is not used
  auto program = runtime::make_program(c, split.features(), classes, std::min(c.eval_batch, split.rows()));
  runtime::load_model_state(f.load, program->compiled_module(program->options().batch), program->state());
  Buffer logits;
  runtime::evaluate(*program, split, c.eval_batch, &logits);
  write_output(f.output, softmax(logits, classes), split.rows(), classes);
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto f = std::make_shared<PredictFlags>();
  CLI::App* cmd = app.add_subcommand(
      "predict", "classify the rows of a .npy file with a saved model: class and probabilities per row");
  cmd->add_option("model", f->run.config.model, "model file or example name (default: the checkpoint's)");
  cmd->add_option("--load", f->load, "the checkpoint")->required()->check(CLI::ExistingFile);
  cmd->add_option("--input", f->input, "raw features, [N, F] .npy (or .npy.gz), preprocessed as in training")
      ->required()->check(CLI::ExistingFile);
  cmd->add_option("--output", f->output,
                  "FILE.npy: float32 [N, 1 + C], column 0 the class, then the probabilities; FILE.csv: the same "
                  "with a header class,p0,p1,...")->required();
  cmd->add_option("--set", f->run.set, "model parameter, name=value (default: the checkpoint's)");
  cmd->add_option("--classes", f->classes, "number of classes, for a checkpoint that does not record it")
      ->check(kPositive);
  cmd->add_option("--backend", f->run.config.backend, "backend (as for train)")->capture_default_str();
  cmd->add_option("--eval-batch", f->run.config.eval_batch, "rows per step")->check(kPositive)->capture_default_str();
  cmd->callback([f, cmd] { run_predict(*f, cmd); });
}

}  // namespace minigrad::tools
