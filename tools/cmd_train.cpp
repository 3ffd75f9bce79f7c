// minigradc train MODEL --data DIR [flags]: trains and reports every epoch; saves,
// starts from or resumes checkpoints; writes metrics and a plot of the curves.
// Under mpirun with N > 1 ranks it trains data-parallel (runtime/distributed):
// every rank loads the data and runs the same steps on its shard of each global
// batch; rank 0 alone prints and writes files.
#include <filesystem>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/atomic_file.h"
#include "runtime/distributed/world.h"
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
  bool distributed = false, sync_batchnorm = true, mask_rows = true;
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
  if (!f.save.empty()) runtime::check_output_path(f.save, "--save");
  if (!f.save.empty()) runtime::check_output_path(runtime::training_state_path(f.save), "--save's resume state");
  if (!f.metrics.empty()) runtime::check_output_path(f.metrics, "--metrics");
  if (!f.plot.empty()) runtime::check_output_path(f.plot, "--plot");
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
  if (c.data_parallel)
    fmt::print("ranks: {} (data-parallel: each trains its shard of every batch of {}; batch norm over {})\n",
               runtime::world_ranks(), c.batch, c.sync_batchnorm ? "the global batch" : "each rank's rows");
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

int c_ranks(const runtime::Session& s) { return s.config.data_parallel ? runtime::world_ranks() : 1; }

// The data every rank loaded must be the same (on several machines each reads its
// own copy): a 64-bit FNV-1a hash of the preprocessed splits, compared with rank
// 0's. The first rank that differs ends the run, naming itself.
uint64_t data_hash(const runtime::Dataset& d) {
  uint64_t h = 1469598103934665603ULL;
  auto add = [&](const void* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<const unsigned char*>(p)[i]) * 1099511628211ULL;
  };
  for (const runtime::Split* s : {&d.train, &d.test}) {
    add(s->x.data(), s->x.type().bytes());
    add(s->y.data(), s->y.size() * sizeof(int32_t));
  }
  return h;
}

void check_same_data(const runtime::Session& s) {
  const runtime::Dataset& d = s.data.data;
  std::string mine = fmt::format("{} train and {} test rows of {} features, {} classes, hash {:016x}", d.train.rows(),
                                 d.test.rows(), d.train.features(), d.num_classes, data_hash(d));
  std::vector<std::string> all = runtime::World::current()->all_gather(mine);
  for (size_t r = 1; r < all.size(); ++r) {
    if (all[r] == all[0]) continue;
    if (static_cast<int>(r) == runtime::world_rank())
      runtime::World::current()->fail_all(
          fmt::format("its data ({}: {}) differs from rank 0's ({})", d.source, mine, all[0]));
    runtime::World::current()->barrier();  // rank r ends the run
  }
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
  if (const Collectives* w = runtime::World::current(); w && c_ranks(s) > 1 && sum.train_seconds > 0)
    fmt::print("communication: {:.3f} s in {} all_reduce calls on rank 0, {:.1f}% of the training time (blocking "
               "all_reduce {:.3f} s; overlapped: all_reduce_start {:.3f} s, all_reduce_wait {:.3f} s, {} progress "
               "calls between kernels {:.3f} s)\n",
               w->seconds, w->calls, 100 * w->seconds / sum.train_seconds, w->blocking_seconds, w->start_seconds,
               w->wait_seconds, w->progress_calls, w->progress_seconds);
}

// Every rank runs this; only rank 0 (root) prints and writes files. The ranks
// hold the same state after every step, so rank 0's checkpoint is the run's.
void run_train(const TrainFlags& f, const CLI::App* cmd) {
  bool root = runtime::is_root();
  if (root) check_outputs(f);
  runtime::RunConfig c = resolve_config(f, cmd);
  c.profile = f.profile;
  c.data_parallel = runtime::world_ranks() > 1;
  c.sync_batchnorm = f.sync_batchnorm;
  c.mask_rows = f.mask_rows;
  runtime::Session s = runtime::start_session(c, {f.init, f.resume});
  if (c.data_parallel) check_same_data(s);
  bool quiet = f.quiet || f.json || !root;
  if (!quiet) print_header(s);
  runtime::Progress progress(runtime::progress_mode(stdout, quiet), s.epochs_done() + 1, c.epochs);
  runtime::train_session(s, [&](const runtime::EpochStats& e) {
    progress.epoch(e);
    if (!root) return;
    if (!f.metrics.empty()) runtime::write_metrics(f.metrics, s.history);
    if (f.save_every > 0 && e.epoch % f.save_every == 0 && e.epoch < c.epochs) runtime::save_session(s, f.save);
  }, [&](int64_t done, int64_t total) { progress.step(done, total); }, f.check_numerics);
  if (!root) return;
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
  cmd->add_flag("--distributed", f->distributed,
                "join the ranks of mpirun (implied when mpirun started the process): with N > 1 ranks, train "
                "data-parallel, each rank on its shard of every --batch-size rows, gradients summed in the step");
  cmd->add_flag("--sync-batchnorm,!--no-sync-batchnorm", f->sync_batchnorm,
                "data-parallel runs: batch norm over the global batch (the default; the same model as one process) "
                "or, with --no-sync-batchnorm, over each rank's rows");
  add_mask_rows_flag(cmd, f->mask_rows);
  cmd->add_flag("--quiet", f->quiet, "print only the summary");
  cmd->add_flag("--json", f->json, "print only a JSON summary (settings and results) on standard output");
  add_target_flags(cmd, f->target);
  cmd->callback([f, cmd] {
    check_host_only(f->target, "train");
    run_train(*f, cmd);
  });
}

}  // namespace minigrad::tools

namespace minigrad::tools {

void single_process(const char* command) {
  if (runtime::world_ranks() > 1)
    fail("{} runs in one process, but this is one of {} ranks: under mpirun only train and sweep share work between "
         "ranks (run {} without mpirun)", command, runtime::world_ranks(), command);
}

}  // namespace minigrad::tools
