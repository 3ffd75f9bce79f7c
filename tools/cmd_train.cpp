// minigradc train MODEL --data DIR [flags]: trains and reports every epoch; saves,
// starts from or resumes checkpoints; writes metrics and a plot of the curves.
#include <filesystem>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/metrics.h"
#include "runtime/plot.h"
#include "runtime/profile.h"
#include "runtime/progress.h"
#include "runtime/run_config_json.h"
#include "runtime/session.h"
#include "tools/checkpoint_flags.h"
#include "tools/commands.h"
#include "tools/run_flags.h"
#include "tools/target_flags.h"

namespace minigrad::tools {
namespace {

struct TrainFlags {
  RunFlags run;
  TargetFlags target;  // refused: the JIT is host-only
  std::string save, init, resume, metrics, plot;
  int save_every = 0;
  bool quiet = false, json = false, profile = false, check_numerics = false;
};

runtime::RunConfig resolve_config(const TrainFlags& f, const CLI::App* cmd) {
  runtime::RunConfig c = f.run.finish();
  std::vector<std::string> given = given_settings(cmd);
  if (!f.resume.empty()) return config_to_resume(runtime::read_checkpoint_info(f.resume), c, given, f.resume);
  if (!f.init.empty()) return config_to_init(runtime::read_checkpoint_info(f.init), c, given, f.init);
  return c;
}

// An output's directory must exist before training, not only when it is written.
void check_directory(const std::string& path, const char* flag) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!path.empty() && !dir.empty() && !std::filesystem::is_directory(dir))
    fail("{} {}: directory {} does not exist", flag, path, dir.string());
}

void check_outputs(const TrainFlags& f) {
  check_directory(f.save, "--save");
  check_directory(f.metrics, "--metrics");
  check_directory(f.plot, "--plot");
  if (!f.metrics.empty()) runtime::check_metrics_path(f.metrics);
  if (!f.plot.empty()) runtime::check_plot_path(f.plot);
  if (f.save_every > 0 && f.save.empty()) fail("--save-every needs --save CKPT");
}

void print_header(const runtime::Session& s) {
  const runtime::Dataset& d = s.data.data;
  fmt::print("data: {} ({} train, {} test rows, {} features, {} classes)\n", d.source, d.train.rows(), d.test.rows(),
             d.train.features(), d.num_classes);
  const runtime::RunConfig& c = s.config;
  std::string from = s.epochs_done() > 0 ? fmt::format(", resuming after epoch {}", s.epochs_done()) : "";
  fmt::print("model: {} on {}, batch {}, {} epochs{}\n", c.model, c.backend, c.batch, c.epochs, from);
  if (c.profile)
    fmt::print("profile: the steps are a profiling build (a clock read around each kernel), slower than a plain one; "
               "where a step's time goes follows the summary\n");
  std::fflush(stdout);
}

// With --profile: the steps at the main batch size (a last partial batch is a
// specialisation of its own, and has few steps).
std::optional<runtime::StepProfile> profile_of(const TrainFlags& f, const runtime::Session& s) {
  if (!f.profile || s.program->train_steps(s.config.batch) == 0) return std::nullopt;
  return runtime::train_profile(*s.program, s.config.batch);
}

void print_summary(const TrainFlags& f, const runtime::Session& s) {
  runtime::RunSummary sum = runtime::summarize(s.history);
  std::optional<runtime::StepProfile> prof = profile_of(f, s);
  if (f.json) {
    nlohmann::json j{{"config", runtime::to_json(s.config)}, {"summary", runtime::to_json(sum)}};
    if (!f.save.empty()) j["checkpoint"] = f.save;
    if (prof) j["profile"] = runtime::to_json(*prof);
    fmt::print("{}\n", j.dump());
    return;
  }
  double per_epoch = sum.epochs > 0 ? sum.train_seconds / sum.epochs : 0;
  fmt::print("final: test accuracy {:.2f}% (loss {:.4f}), train accuracy {:.2f}% (loss {:.4f}), {:.2f} s training, "
             "{:.3f} s per epoch, {:.4f} s inference\n",
             100 * sum.test_accuracy, sum.test_loss, 100 * sum.train_accuracy, sum.train_loss, sum.train_seconds,
             per_epoch, sum.inference_seconds);
  if (!f.save.empty()) fmt::print("saved: {} (resume state: {})\n", f.save, runtime::training_state_path(f.save).string());
  if (prof) fmt::print("{}", runtime::format_profile(*prof));
}

void run_train(const TrainFlags& f, const CLI::App* cmd) {
  check_outputs(f);
  runtime::RunConfig c = resolve_config(f, cmd);
  c.profile = f.profile;
  runtime::Session s = runtime::start_session(c, {f.init, f.resume});
  bool quiet = f.quiet || f.json;
  if (!quiet) print_header(s);
  runtime::Progress progress(runtime::progress_mode(stdout, quiet), s.epochs_done() + 1, c.epochs);
  runtime::train_session(s, [&](const runtime::EpochStats& e) {
    progress.epoch(e);
    if (!f.metrics.empty()) runtime::write_metrics(f.metrics, s.history);
    if (f.save_every > 0 && e.epoch % f.save_every == 0 && e.epoch < c.epochs) runtime::save_session(s, f.save);
  }, [&](int64_t done, int64_t total) { progress.step(done, total); }, f.check_numerics);
  if (!f.save.empty()) runtime::save_session(s, f.save);
  if (!f.metrics.empty()) runtime::write_metrics(f.metrics, s.history);
  if (!f.plot.empty()) runtime::plot(f.plot, c.model, runtime::training_panels({{c.model, s.history}}));
  print_summary(f, s);
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto f = std::make_shared<TrainFlags>();
  CLI::App* cmd = app.add_subcommand("train", "train a model on a data directory and report each epoch");
  add_run_flags(cmd, f->run, /*data_required=*/true);
  cmd->add_option("--save", f->save,
                  "write the trained model to CKPT (safetensors, PyTorch's names and layouts) and the state to resume "
                  "it beside it (CKPT.train.safetensors)");
  cmd->add_option("--save-every", f->save_every, "also save every N epochs (needs --save)")->check(kInt)->check(kPositive);
  auto* init = cmd->add_option("--init", f->init, "start from the weights of a checkpoint (minigrad's or PyTorch's)")
                   ->check(CLI::ExistingFile);
  cmd->add_option("--resume", f->resume,
                  "continue the run saved in a checkpoint (its settings, weights, optimiser state, step, epoch and "
                  "seed) up to --epochs; the result equals a run that never stopped")
      ->check(CLI::ExistingFile)->excludes(init);
  cmd->add_option("--metrics", f->metrics, "write each epoch's figures to FILE.csv or FILE.json");
  cmd->add_option("--plot", f->plot, "plot the loss and accuracy per epoch to FILE.png or FILE.svg (gnuplot)");
  cmd->add_flag("--profile", f->profile,
                "compile the steps with a clock read around each kernel (slower) and print, after the run, where a "
                "train step's time goes: each kernel's share, its model line, and M x N x K and GFLOP/s for GEMMs");
  cmd->add_flag("--check-numerics", f->check_numerics,
                "check the state after every step, not only the loss, for a NaN or an infinity (slower; a run stops "
                "at the first non-finite value either way, naming the op that made it)");
  cmd->add_flag("--quiet", f->quiet, "print only the summary");
  cmd->add_flag("--json", f->json, "print only a JSON summary (settings and results) on standard output");
  add_target_flags(cmd, f->target);
  cmd->callback([f, cmd] {
    check_host_only(f->target, "train");
    run_train(*f, cmd);
  });
}

}  // namespace minigrad::tools
