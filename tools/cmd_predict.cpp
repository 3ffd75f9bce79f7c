// minigradc predict MODEL --load CKPT --input FILE.npy --output FILE.npy|.csv: the
// class and class probabilities (softmax of the model's outputs) of each row of raw
// features, preprocessed as the checkpoint's training data were.
#include <memory>

#include "ir/error.h"
#include "runtime/atomic_file.h"
#include "runtime/inference.h"
#include "runtime/npy.h"
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

int64_t class_count(const PredictFlags& f, const runtime::CheckpointInfo& info) {
  int64_t classes = f.classes > 0 ? f.classes : info.num_classes;
  if (classes <= 0) fail("{}: the checkpoint does not record its number of classes; give --classes", f.load);
  if (info.num_classes > 0 && classes != info.num_classes)
    fail("--classes {}: the checkpoint's model has {} classes", classes, info.num_classes);
  return classes;
}

void run_predict(const PredictFlags& f, const CLI::App* cmd) {
  runtime::check_predictions_path(f.output);
  runtime::check_output_path(f.output, "--output");
  runtime::CheckpointInfo info = runtime::read_checkpoint_info(f.load);
  runtime::RunConfig c = config_to_use(info, f.run.finish(), given_settings(cmd), f.load);
  int64_t classes = class_count(f, info);
  Buffer raw = runtime::to_buffer(runtime::read_npy(f.input, {2}), ir::DType::F32, f.input);
  Buffer x = runtime::prepare_rows(raw, info, f.input);
  int64_t rows = x.type().shape[0];
  auto program = runtime::load_program(c, f.load, x.type().shape[1], classes, std::min(c.eval_batch, rows));
  runtime::write_predictions(f.output, runtime::predict(*program, x, c.eval_batch));
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
  repeatable(cmd->add_option("--set", f->run.set, "model parameter, name=value (default: the checkpoint's)"));
  cmd->add_option("--classes", f->classes, "number of classes, for a checkpoint that does not record it")
      ->check(kInt64)->check(kPositive);
  cmd->add_option("--backend", f->run.config.backend, "backend (as for train)")->capture_default_str();
  cmd->add_option("--eval-batch", f->run.config.eval_batch, "rows per step")->check(kInt64)->check(kPositive)->capture_default_str();
  cmd->callback([f, cmd] {
    single_process("predict");
    run_predict(*f, cmd);
  });
}

}  // namespace minigrad::tools
