// minigradc sweep EXPERIMENT.toml: runs every configuration of a sweep file (see
// runtime/sweep.h) and writes the results table, per-run metrics and plots.
#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/distributed/world.h"
#include "runtime/progress.h"
#include "runtime/sweep.h"
#include "tools/commands.h"
#include "tools/run_flags.h"

namespace minigrad::tools {
namespace {

struct SweepFlags {
  std::string file, output, data, backend;
  std::vector<std::string> overrides;  // key=value
  int jobs = 1;
  bool dry_run = false, quiet = false;
};

// "epochs=2" -> {"epochs": 2}; the value is read as JSON when it is JSON, else as text.
nlohmann::json overrides_of(const SweepFlags& f) {
  nlohmann::json out = nlohmann::json::object();
  for (const std::string& kv : f.overrides) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) fail("--override {}: expected key=value", kv);
    std::string value = kv.substr(eq + 1);
    nlohmann::json v = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
    out[kv.substr(0, eq)] = v.is_discarded() || v.is_object() || v.is_array() ? nlohmann::json(value) : v;
  }
  if (!f.data.empty()) out["data"] = f.data;
  if (!f.backend.empty()) out["backend"] = f.backend;
  return out;
}

std::string outcome(const runtime::SweepResult& r) {
  if (!r.ok) return "FAILED: " + r.error;
  const runtime::RunSummary& s = r.summary;
  return fmt::format("test acc {:.2f}% (loss {:.4f}), train acc {:.2f}%, {:.1f} s training", 100 * s.test_accuracy,
                     s.test_loss, 100 * s.train_accuracy, s.train_seconds);
}

void run_sweep_command(const SweepFlags& f) {
  runtime::SweepPlan plan = runtime::read_sweep(f.file, overrides_of(f));
  size_t n = plan.runs.size();
  auto name = [&](size_t i) {
    const runtime::SweepRun& r = plan.runs[i];
    return fmt::format("[{}/{}] {}{}", i + 1, n, r.group.empty() ? "" : r.group + ": ", r.label);
  };
  if (f.dry_run) {
    for (size_t i = 0; i < n; ++i) fmt::print("{}\n", name(i));
    return;
  }
  std::string out = f.output.empty() ? "results/" + plan.name : f.output;
  bool lines = f.jobs == 1 && !f.quiet;  // one run at a time: its name, then its bar on a terminal
  bool bar = lines && runtime::progress_mode(stdout, false) == runtime::ProgressMode::Bar;
  std::unique_ptr<runtime::Progress> progress;
  runtime::SweepOptions o;
  o.jobs = f.jobs;
  o.on_start = [&](size_t i) {
    if (lines) fmt::print("{}\n", name(i)), std::fflush(stdout);
    if (bar)
      progress = std::make_unique<runtime::Progress>(runtime::ProgressMode::Bar, 1, plan.runs[i].config.epochs, stdout,
                                                     /*epoch_lines=*/false);
  };
  if (bar) {
    o.on_step = [&](size_t, int64_t done, int64_t total) { progress->step(done, total); };
    o.on_epoch = [&](size_t, const runtime::EpochStats& e) { progress->epoch(e); };
  }
  o.on_done = [&](size_t i, const runtime::SweepResult& r) {
    if (progress) progress->clear();
    fmt::print("{} {}\n", lines ? "  ->" : name(i) + ":", outcome(r));
    std::fflush(stdout);
  };
  auto t0 = std::chrono::steady_clock::now();
  std::vector<runtime::SweepResult> results = runtime::run_sweep(plan, o);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!runtime::is_root()) return;  // under mpirun, rank 0 writes the report of every rank's runs
  runtime::write_sweep_report(plan, results, {wall, f.jobs}, out);
  size_t failed = std::count_if(results.begin(), results.end(), [](const auto& r) { return !r.ok; });
  fmt::print("{} runs in {}; results in {}/results.md\n", n, runtime::format_duration(wall), out);
  if (failed == n) {  // nothing trained: the runs' own errors are the message
    std::string errors;
    for (size_t i = 0; i < n; ++i) errors += fmt::format("\n  {}: {}", name(i), results[i].error);
    fail("every run of sweep {} failed (no plot):{}", plan.name, errors);
  }
  if (failed > 0) fail("{} of {} runs failed (see {}/results.md)", failed, n, out);
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto f = std::make_shared<SweepFlags>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "train every configuration of a sweep file (a grid or a list of runs) and report them in a table");
  cmd->add_option("experiment", f->file, "the sweep file (TOML: [base], [grid] and/or [[runs]])")
      ->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", f->output, "directory for the results (default: results/NAME)");
  cmd->add_option("--jobs", f->jobs, "configurations trained at the same time (threads)")->check(kInt)->check(kPositive)
      ->capture_default_str();
  cmd->add_option("--data", f->data, "data directory for every run (instead of the file's)");
  cmd->add_option("--backend", f->backend, "backend for every run (instead of the file's)");
  repeatable(cmd->add_option("--override", f->overrides, "a setting or model parameter for every run, key=value (repeatable)"));
  cmd->add_flag("--dry-run", f->dry_run, "list the runs and stop");
  cmd->add_flag("--quiet", f->quiet, "one line per finished run");
  cmd->callback([f] { run_sweep_command(*f); });
}

}  // namespace minigrad::tools
