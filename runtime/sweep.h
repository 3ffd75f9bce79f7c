// Sweeps: many training runs described by one TOML file, run one after another or
// in parallel, reported as a results table (Markdown and CSV, the seed's columns),
// per-run metrics and plots of the training curves.
//
// The file (examples/experiments/*.toml are complete examples):
//
//   name = "hyperparameters"            # optional; the file's stem otherwise
//   description = "..."                 # optional; heads the report
//   [base]                              # settings every run starts from
//   model = "mlp"                       # run settings: the names of the train flags
//   data = "../../data/mnist10k"        #   without dashes (runtime/run_config_json.h);
//   pca = 128                           #   a relative data path is relative to this file
//   width = 192                         # any other key is a model parameter (--set);
//   [base.set]                          #   or put model parameters in a set table
//   activation = "relu"
//
//   [grid]                              # a grid: every combination of the lists
//   lr = [0.1, 0.01, 0.001]
//   batch_size = [32, 64]
//
//   [[runs]]                            # and/or runs listed one by one; a list
//   group = "depth"                     #   expands here too (a grid per entry)
//   label = "{depth} hidden layers"     # "{key}" is replaced by the run's value
//   depth = [0, 1, 2]
//
// Runs with a group are reported and plotted together; a run's label defaults to
// "key=value" for the keys its entry lists. Each run is independent: a run that
// fails is reported with its error and the others go on.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/experiment.h"
#include "runtime/metrics.h"

namespace minigrad::runtime {

struct SweepRun {
  std::string group, label;
  RunConfig config;
};

struct SweepPlan {
  std::string name, description;
  std::filesystem::path file;
  nlohmann::json base;  // the [base] settings as written, for the report
  std::vector<SweepRun> runs;
};

// Reads a sweep file. `overrides` (settings or model parameters, as in [base]) are
// applied to every run after the file, with relative data paths left relative to
// the working directory. Error naming the file and the entry on any bad setting.
SweepPlan read_sweep(const std::filesystem::path& file, const nlohmann::json& overrides = nlohmann::json::object());

struct SweepResult {
  bool ok = false;
  std::string error;
  std::vector<EpochStats> history;
  RunSummary summary;
};

struct SweepOptions {
  int jobs = 1;  // runs in parallel (threads; each run has its own program and data)
  // Called (under a lock, so never concurrently) as runs start, train and finish.
  std::function<void(size_t run)> on_start;
  std::function<void(size_t run, const EpochStats&)> on_epoch;
  std::function<void(size_t run, int64_t done, int64_t total)> on_step;
  std::function<void(size_t run, const SweepResult&)> on_done;
};

// Runs every configuration; results are in the plan's order.
std::vector<SweepResult> run_sweep(const SweepPlan& plan, const SweepOptions& options);

// Writes into `dir`: results.md, results.csv, results.json (settings, summary and
// history of every run), runs/NN-label.csv (each run's epochs) and one plot per
// group (GROUP.png; curves.png when no run has a group).
struct SweepReport {
  double wall_seconds = 0;
  int jobs = 1;
};
void write_sweep_report(const SweepPlan& plan, const std::vector<SweepResult>& results, const SweepReport& report,
                        const std::filesystem::path& dir);

// "1 hidden layer, lr=0.01" -> "1-hidden-layer-lr-0.01": a file-name-safe form.
std::string slug(const std::string& text);

}  // namespace minigrad::runtime
