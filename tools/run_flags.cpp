// Run flags; see run_flags.h.
#include "tools/run_flags.h"

#include "ir/error.h"
#include "tools/pipeline_flags.h"

namespace minigrad::tools {

// Validators with readable messages (CLI11's numeric ranges print the limits of double).
const CLI::Validator kPositive(
    [](std::string& s) {
      double v = 0;
      return CLI::detail::lexical_cast(s, v) && v > 0 ? std::string() : "must be a number > 0, got " + s;
    },
    "> 0");
const CLI::Validator kNonNegative(
    [](std::string& s) {
      double v = 0;
      return CLI::detail::lexical_cast(s, v) && v >= 0 ? std::string() : "must be a number >= 0, got " + s;
    },
    ">= 0");

void add_run_flags(CLI::App* cmd, RunFlags& f, bool data_required) {
  runtime::RunConfig& c = f.config;
  cmd->add_option("model", c.model, "model file (.cpp written with the DSL) or the name of an example")
      ->capture_default_str();
  auto* data = cmd->add_option("--data", c.data_dir, "data directory: train_data.npy, train_label.npy, test_data.npy, test_label.npy (.npy or .npy.gz)");
  if (data_required) data->required();
  cmd->add_option("--set", f.set, "model parameter, name=value (repeatable)");
  cmd->add_option("--epochs", c.epochs, "training epochs")->check(kPositive)->capture_default_str();
  cmd->add_option("--batch-size", c.batch, "rows per training step")->check(kPositive)->capture_default_str();
  cmd->add_option("--optimizer", c.optimizer, "adam, adamw or sgd")
      ->check(CLI::IsMember({"adam", "adamw", "sgd"}))->capture_default_str();
  cmd->add_option("--lr", c.lr, "learning rate")->check(kPositive)->capture_default_str();
  cmd->add_option("--weight-decay", c.weight_decay, "L2 weight decay (decoupled for adamw)")
      ->check(kNonNegative)->capture_default_str();
  cmd->add_option("--momentum", c.momentum, "SGD momentum")->check(CLI::Range(0.0, 0.999999))->capture_default_str();
  cmd->add_option("--loss", c.loss, "cross_entropy or mse")
      ->check(CLI::IsMember({"cross_entropy", "mse"}))->capture_default_str();
  cmd->add_option("--label-smoothing", c.label_smoothing, "label smoothing of the cross-entropy")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--scale", f.scale, "feature scaling fitted on the training split: standard, minmax or none")
      ->check(CLI::IsMember({"standard", "minmax", "none"}))->capture_default_str();
  cmd->add_option("--pca", c.pca, "project the features on their first K principal components (0: off)")
      ->check(kNonNegative)->capture_default_str();
  cmd->add_option("--seed", c.seed, "seed of initialisation, shuffling and dropout")->capture_default_str();
  cmd->add_flag("--no-shuffle", f.no_shuffle, "keep the training rows in order");
  cmd->add_flag("--drop-last", c.drop_last, "drop the last partial batch of each epoch");
  cmd->add_option("--backend", c.backend, "jit (LLVM, compiled for this CPU) or interp (the reference interpreter)")
      ->check(CLI::IsMember({"jit", "interp"}))->capture_default_str();
  cmd->add_flag("--flush-denormals", c.flush_denormals,
                "treat subnormal floats as zero in the steps (FTZ/DAZ, as torch.set_flush_denormal(True)): faster once "
                "weights decay towards zero, not IEEE arithmetic");
  cmd->add_option("--threads", c.threads, "threads within each step (jit): 1 or the cores to use")
      ->check(kPositive)->capture_default_str();
  cmd->add_option("--gemm", c.gemm,
                  "the JIT's GEMM lowering: auto (chosen per shape), tiled or blocked (the same bits; to compare them)")
      ->check(CLI::IsMember({"auto", "tiled", "blocked"}))->capture_default_str();
  cmd->add_option("--eval-batch", c.eval_batch, "rows per evaluation step")->check(kPositive)->capture_default_str();
  cmd->add_option("--eval-every", c.eval_every, "evaluate the test split every N epochs")
      ->check(kPositive)->capture_default_str();
  add_pipeline_flags(cmd, c.pipeline);
}

runtime::RunConfig RunFlags::finish() const {
  runtime::RunConfig c = config;
  c.scale = runtime::parse_scale(scale);
  c.shuffle = !no_shuffle;
  for (const std::string& kv : set) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) fail("--set {}: expected name=value", kv);
    c.set.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  passes::check_options(c.pipeline);  // before any data is loaded
  return c;
}

}  // namespace minigrad::tools
