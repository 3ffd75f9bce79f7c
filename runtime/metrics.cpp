// Metrics files and results tables; see metrics.h.
#include "runtime/metrics.h"

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/atomic_file.h"
#include "runtime/checkpoint.h"

namespace minigrad::runtime {

RunSummary summarize(const std::vector<EpochStats>& history) {
  RunSummary s;
  if (history.empty()) return s;
  const EpochStats& last = history.back();
  s.epochs = last.epoch;
  s.train_loss = last.train_loss, s.train_accuracy = last.train_accuracy;
  for (const EpochStats& e : history) {
    s.train_seconds += e.train_seconds;
    if (e.evaluated) {
      s.evaluated = true;
      s.test_loss = e.test_loss, s.test_accuracy = e.test_accuracy, s.inference_seconds = e.eval_seconds;
    }
  }
  return s;
}

nlohmann::json to_json(const RunSummary& s) {
  nlohmann::json j{{"epochs", s.epochs},
                   {"train_loss", s.train_loss},
                   {"train_accuracy", s.train_accuracy},
                   {"train_seconds", s.train_seconds}};
  if (s.evaluated) {
    j["test_loss"] = s.test_loss, j["test_accuracy"] = s.test_accuracy;
    j["inference_seconds"] = s.inference_seconds;
  }
  return j;
}

std::string metrics_csv(const std::vector<EpochStats>& history) {
  std::string out = "epoch,train_loss,train_accuracy,test_loss,test_accuracy,train_seconds,eval_seconds,steps\n";
  for (const EpochStats& e : history) {
    std::string test = e.evaluated ? fmt::format("{},{}", e.test_loss, e.test_accuracy) : ",";
    std::string eval = e.evaluated ? fmt::format("{}", e.eval_seconds) : "";
    out += fmt::format("{},{},{},{},{},{},{}\n", e.epoch, e.train_loss, e.train_accuracy, test, e.train_seconds, eval,
                       e.steps);
  }
  return out;
}

void check_metrics_path(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  if (ext != ".csv" && ext != ".json") fail("--metrics {}: expected a .csv or .json file name", path.string());
}

void write_metrics(const std::filesystem::path& path, const std::vector<EpochStats>& history) {
  check_metrics_path(path);
  if (path.extension() == ".csv") write_file_atomic(path, metrics_csv(history));
  else write_file_atomic(path, history_to_json(history).dump(2) + "\n");
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string results_markdown(const std::vector<ResultRow>& rows) {
  std::string out =
      "| Configuration | Train loss | Train accuracy | Test loss | Test accuracy | Training time (s) | Inference time (s) |\n"
      "|---|---:|---:|---:|---:|---:|---:|\n";
  for (const ResultRow& r : rows) {
    std::string label = r.label;
    for (size_t at = 0; (at = label.find('|', at)) != std::string::npos; at += 2) label.replace(at, 1, "\\|");
    const RunSummary& s = r.summary;
    if (!r.ok) {
      out += fmt::format("| {} | failed: {} | | | | | |\n", label, r.error.substr(0, r.error.find('\n')));
      continue;
    }
    std::string test = s.evaluated ? fmt::format("{:.4f} | {:.2f}%", s.test_loss, 100 * s.test_accuracy) : "- | -";
    std::string infer = s.evaluated ? fmt::format("{:.4f}", s.inference_seconds) : "-";
    out += fmt::format("| {} | {:.4f} | {:.2f}% | {} | {:.2f} | {} |\n", label, s.train_loss, 100 * s.train_accuracy, test,
                       s.train_seconds, infer);
  }
  return out;
}

std::string results_csv(const std::vector<ResultRow>& rows) {
  std::string out =
      "Group,Configuration,Train loss,Train accuracy,Test loss,Test accuracy,Training time (seconds),"
      "Inference time (seconds),Error\n";
  for (const ResultRow& r : rows) {
    const RunSummary& s = r.summary;
    std::string head = csv_field(r.group) + "," + csv_field(r.label);
    if (!r.ok) {
      out += head + ",,,,,,," + csv_field(r.error) + "\n";
      continue;
    }
    std::string test = s.evaluated ? fmt::format("{},{}", s.test_loss, s.test_accuracy) : ",";
    std::string infer = s.evaluated ? fmt::format("{}", s.inference_seconds) : "";
    out += fmt::format("{},{},{},{},{},{},\n", head, s.train_loss, s.train_accuracy, test, s.train_seconds, infer);
  }
  return out;
}

}  // namespace minigrad::runtime
