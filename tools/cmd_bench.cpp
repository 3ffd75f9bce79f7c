// minigradc bench MODEL --data DIR [train's flags] [--repeats R] [--steps N]
// [--json]: how fast this machine trains and evaluates the model with these
// settings: compile time (cold and from the JIT's object cache), microseconds per
// train step, seconds per epoch, and the time to evaluate the test split
// (runtime/benchmark.h). bench/run.sh compares the seed model with PyTorch.
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/benchmark.h"
#include "tools/commands.h"
#include "tools/run_flags.h"

namespace minigrad::tools {
namespace {

struct BenchFlags {
  RunFlags run;
  runtime::BenchOptions options;
  bool json = false;
};

void run_bench(const BenchFlags& f) {
  runtime::RunConfig c = f.run.finish();
  runtime::PreparedData data = runtime::prepare_data(c);
  runtime::BenchFigures b = runtime::benchmark(c, data, f.options);
  if (f.json) {
    nlohmann::json j{{"model", c.model},          {"backend", c.backend},
                     {"threads", c.threads},      {"batch", c.batch},
                     {"compile_cold_seconds", b.compile_cold_seconds},
                     {"compile_warm_seconds", b.compile_warm_seconds},
                     {"step_micros", b.step_micros}, {"epoch_seconds", b.epoch_seconds},
                     {"inference_seconds", b.inference_seconds}, {"train_rows", b.train_rows},
                     {"test_rows", b.test_rows}};
    return fmt::print("{}\n", j.dump());
  }
  fmt::print("{}, batch {}, backend {} ({} thread{}); medians of {} repeats\n", c.model, c.batch, c.backend, c.threads,
             c.threads == 1 ? "" : "s", f.options.repeats);
  fmt::print("  compile     {:9.1f} ms cold, {:.1f} ms from the object cache\n", 1e3 * b.compile_cold_seconds,
             1e3 * b.compile_warm_seconds);
  fmt::print("  train step  {:9.1f} us\n", b.step_micros);
  fmt::print("  epoch       {:9.4f} s  ({} rows)\n", b.epoch_seconds, b.train_rows);
  fmt::print("  inference   {:9.2f} ms ({} test rows)\n", 1e3 * b.inference_seconds, b.test_rows);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto f = std::make_shared<BenchFlags>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "time a model's compile, train step, epoch and test-set evaluation with the given settings");
  add_run_flags(cmd, f->run, /*data_required=*/true);
  cmd->add_option("--repeats", f->options.repeats, "measurements per figure (the median is shown)")
      ->check(CLI::Range(1, 1000))->capture_default_str();
  cmd->add_option("--steps", f->options.steps, "train steps per measurement")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}))->capture_default_str();
  cmd->add_flag("--json", f->json, "print one JSON object");
  cmd->callback([f] { run_bench(*f); });
}

}  // namespace minigrad::tools
