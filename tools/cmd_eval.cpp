// minigradc eval MODEL --data DIR --load CKPT: a saved model on a split of the data:
// loss, accuracy, confusion matrix and inference time, as text or JSON.
#include <memory>

#include <fmt/format.h>

#include "runtime/inference.h"
#include "runtime/session.h"
#include "tools/checkpoint_flags.h"
#include "tools/commands.h"
#include "tools/run_flags.h"

namespace minigrad::tools {
namespace {

struct EvalFlags {
  RunFlags run;
  std::string load, split = "test";
  bool json = false;
};

void print_text(const runtime::Evaluation& e, const std::string& split, const std::string& ckpt) {
  const auto& r = e.result;
  fmt::print("{} on the {} split ({} rows): loss {:.4f}, accuracy {:.2f}%, inference {:.4f} s ({:.0f} rows/s)\n", ckpt,
             split, r.rows, r.loss, 100 * r.accuracy, e.seconds, static_cast<double>(r.rows) / std::max(e.seconds, 1e-9));
  fmt::print("confusion matrix (rows: true class, columns: predicted class):\n      ");
  for (size_t c = 0; c < e.confusion.size(); ++c) fmt::print("{:>6}", c);
  fmt::print("\n");
  for (size_t t = 0; t < e.confusion.size(); ++t) {
    fmt::print("{:>6}", t);
    for (int64_t n : e.confusion[t]) fmt::print("{:>6}", n);
    fmt::print("\n");
  }
}

void run_eval(const EvalFlags& f, const CLI::App* cmd) {
  runtime::CheckpointInfo info = runtime::read_checkpoint_info(f.load);
  runtime::RunConfig c = config_to_use(info, f.run.finish(), given_settings(cmd), f.load);
  c.batch = c.eval_batch;  // the first specialisation is the evaluation's
  runtime::Session s = runtime::start_session(c, {f.load, {}});
  const runtime::Split& split = f.split == "train" ? s.data.data.train : s.data.data.test;
  runtime::Evaluation e = runtime::evaluate_split(*s.program, split, c.eval_batch);
  if (!f.json) return print_text(e, f.split, f.load);
  nlohmann::json j{{"checkpoint", f.load}, {"split", f.split},         {"rows", e.result.rows},
                   {"loss", e.result.loss}, {"accuracy", e.result.accuracy}, {"inference_seconds", e.seconds},
                   {"confusion", e.confusion}};
  fmt::print("{}\n", j.dump());
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto f = std::make_shared<EvalFlags>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "evaluate a saved model on a data directory: loss, accuracy, confusion matrix, inference time");
  add_run_flags(cmd, f->run, /*data_required=*/true);
  cmd->add_option("--load", f->load, "the checkpoint (minigrad's, or a PyTorch state dict in safetensors)")
      ->required()->check(CLI::ExistingFile);
  cmd->add_option("--split", f->split, "test or train")->check(CLI::IsMember({"test", "train"}))->capture_default_str();
  cmd->add_flag("--json", f->json, "print one JSON object");
  cmd->footer("Settings (MODEL, --set, --pca, --scale, ...) come from the checkpoint unless given; a checkpoint "
                "without minigrad settings (PyTorch's) needs them given.");
  cmd->callback([f, cmd] {
    single_process("eval");
    run_eval(*f, cmd);
  });
}

}  // namespace minigrad::tools
