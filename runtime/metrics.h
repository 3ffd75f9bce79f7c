// What a run produced, as figures a person reads or a script loads: the per-epoch
// history of one run as CSV or JSON (`minigradc train --metrics`), the summary of a
// run in the seed's columns (final train loss and accuracy, test loss and accuracy,
// training time, inference time), and tables of summaries as Markdown and CSV (the
// results of a sweep).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/trainer.h"

namespace minigrad::runtime {

// One run in the seed's columns. Train figures are those measured during the last
// epoch; test figures come from the last evaluation; training time is the sum of
// the epochs' training seconds; inference time is the last evaluation's seconds
// (the whole test split in evaluation mode).
struct RunSummary {
  int epochs = 0;
  double train_loss = 0, train_accuracy = 0;
  double test_loss = 0, test_accuracy = 0;
  bool evaluated = false;
  double train_seconds = 0, inference_seconds = 0;
};

RunSummary summarize(const std::vector<EpochStats>& history);
nlohmann::json to_json(const RunSummary& s);

// The history as CSV (one row per epoch; test columns empty where the epoch was not
// evaluated) or JSON (the checkpoint's history format).
std::string metrics_csv(const std::vector<EpochStats>& history);
// Writes `path` atomically as .csv or .json by its extension; Error for another one.
void write_metrics(const std::filesystem::path& path, const std::vector<EpochStats>& history);
// Error unless `path` ends in .csv or .json (checked before a run starts).
void check_metrics_path(const std::filesystem::path& path);

// A row of a results table: a configuration and its summary, or why it failed.
struct ResultRow {
  std::string group, label;
  bool ok = true;
  std::string error;
  RunSummary summary;
};

// The seed's columns: Configuration, Train loss, Train accuracy, Test loss, Test
// accuracy, Training time (s), Inference time (s); accuracies in percent in
// Markdown, as fractions in CSV (with a leading group column).
std::string results_markdown(const std::vector<ResultRow>& rows);
std::string results_csv(const std::vector<ResultRow>& rows);

// A CSV field, quoted when it holds a comma, quote or newline.
std::string csv_field(const std::string& s);

}  // namespace minigrad::runtime
