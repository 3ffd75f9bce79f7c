// Run flags; see run_flags.h.
#include "tools/run_flags.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/run_config_json.h"
#include "tools/pipeline_flags.h"

namespace minigrad::tools {

// Validators with readable messages (CLI11's numeric ranges print the limits of
// double), for flags outside the run settings; those are checked by the table of
// runtime/run_config_json.cpp, as a sweep file or a checkpoint is (RunFlags::finish).
const CLI::Validator kPositive(
    [](std::string& s) {
      double v = 0;
      return CLI::detail::lexical_cast(s, v) && std::isfinite(v) && v > 0 ? std::string() : "must be a finite number > 0, got " + s;
    },
    "> 0");
const CLI::Validator kNonNegative(
    [](std::string& s) {
      double v = 0;
      return CLI::detail::lexical_cast(s, v) && std::isfinite(v) && v >= 0 ? std::string() : "must be a finite number >= 0, got " + s;
    },
    ">= 0");

// Integer flags: the text must be a whole number that fits the flag's type. (CLI11
// 2.1 converts an out-of-range integer to the type's limit without a word, so
// "--batch-size 99999999999999999999" would run with 2^63-1.)
template <typename T>
CLI::Validator integer(const char* type) {
  return CLI::Validator(
      [type](std::string& s) {
        T v{};
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc() && end == s.data() + s.size()) return std::string();
        return fmt::format("must be an integer from {} to {} ({}), got {}", std::numeric_limits<T>::min(),
                           std::numeric_limits<T>::max(), type, s);
      },
      "INT");
}
const CLI::Validator kInt = integer<int>("int"), kInt64 = integer<int64_t>("int64");

void add_run_flags(CLI::App* cmd, RunFlags& f, bool data_required) {
  runtime::RunConfig& c = f.config;
  cmd->add_option("model", c.model, "model file (.cpp written with the DSL) or the name of an example")
      ->capture_default_str();
  auto* data = cmd->add_option("--data", c.data_dir, "data directory: train_data.npy, train_label.npy, test_data.npy, test_label.npy (.npy or .npy.gz)");
  if (data_required) data->required();
  repeatable(cmd->add_option("--set", f.set, "model parameter, name=value (repeatable)"));
  cmd->add_option("--epochs", c.epochs, "training epochs")->check(kInt)->capture_default_str();
  cmd->add_option("--batch-size", c.batch, "rows per training step")->check(kInt64)->capture_default_str();
  cmd->add_option("--optimizer", c.optimizer, "adam, adamw or sgd")
      ->check(CLI::IsMember({"adam", "adamw", "sgd"}))->capture_default_str();
  cmd->add_option("--lr", c.lr, "learning rate")->capture_default_str();
  cmd->add_option("--weight-decay", c.weight_decay, "L2 weight decay (decoupled for adamw)")
      ->capture_default_str();
  cmd->add_option("--momentum", c.momentum, "SGD momentum")->capture_default_str();
  cmd->add_option("--loss", c.loss, "cross_entropy or mse")
      ->check(CLI::IsMember({"cross_entropy", "mse"}))->capture_default_str();
  cmd->add_option("--label-smoothing", c.label_smoothing, "label smoothing of the cross-entropy")
      ->capture_default_str();
  cmd->add_option("--scale", f.scale, "feature scaling fitted on the training split: standard, minmax or none")
      ->check(CLI::IsMember({"standard", "minmax", "none"}))->capture_default_str();
  cmd->add_option("--pca", c.pca, "project the features on their first K principal components (0: off)")
      ->check(kInt)->capture_default_str();
  cmd->add_option("--num-classes", c.num_classes,
                  "classes of the model (0..N-1); a label of either split outside them is an error (default: the "
                  "largest training label + 1)")
      ->check(kInt)->capture_default_str();
  cmd->add_option("--seed", f.seed, "seed of initialisation, shuffling and dropout")->check(kInt64)->capture_default_str();
  cmd->add_flag("--no-shuffle", f.no_shuffle, "keep the training rows in order");
  cmd->add_flag("--drop-last", c.drop_last, "drop the last partial batch of each epoch");
  cmd->add_option("--backend", c.backend, "jit (LLVM, compiled for this CPU) or interp (the reference interpreter)")
      ->check(CLI::IsMember({"jit", "interp"}))->capture_default_str();
  cmd->add_flag("--flush-denormals", c.flush_denormals,
                "treat subnormal floats as zero in the steps (FTZ/DAZ, as torch.set_flush_denormal(True)): faster once "
                "weights decay towards zero, not IEEE arithmetic");
  cmd->add_option("--threads", c.threads, "threads within each step (jit): 1 or the cores to use")
      ->check(kInt)->check(kPositive)->capture_default_str();
  cmd->add_option("--gemm", c.gemm,
                  "the JIT's GEMM lowering: auto (chosen per shape), tiled or blocked (the same bits; to compare them)")
      ->check(CLI::IsMember({"auto", "tiled", "blocked"}))->capture_default_str();
  cmd->add_option("--eval-batch", c.eval_batch, "rows per evaluation step")->check(kInt64)->capture_default_str();
  cmd->add_option("--eval-every", c.eval_every, "evaluate the test split every N epochs")
      ->check(kInt)->capture_default_str();
  cmd->add_option("--max-memory", c.max_memory,
                  "refuse a model that needs more memory than this (bytes, or with a unit: 512MB, 4GB); default: the "
                  "machine's memory")
      ->transform(CLI::AsSizeValue(false))
      ->check(kPositive);
  add_pipeline_flags(cmd, c.pipeline);
}

void add_mask_rows_flag(CLI::App* cmd, bool& mask_rows) {
  cmd->add_flag("--mask-rows,!--no-mask-rows", mask_rows,
                "a partial batch (the last of an epoch) runs the full batch's compiled step with its row count (the "
                "default; docs/ir.md \"Partial batches\"), or, with --no-mask-rows, a step compiled for its size");
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
  nlohmann::json settings = runtime::to_json(c);
  settings["seed"] = seed;  // signed here, so that -1 is seen as -1 and not wrapped
  runtime::check_numbers(settings, [](const std::string& key) {  // the one table of ranges, as for sweeps and checkpoints
    std::string flag = key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    return "--" + flag;
  });
  c.seed = static_cast<uint64_t>(seed);
  passes::check_options(c.pipeline);  // before any data is loaded
  return c;
}

}  // namespace minigrad::tools
