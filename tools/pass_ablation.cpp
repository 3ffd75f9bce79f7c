// minigrad-pass-ablation MODEL --data DIR [run flags] [--steps N] [--repeats R]:
// the per-step training time of a model with the whole pipeline, with each pass
// switched off in turn, with every fusion off and with every optional pass off,
// measured in one run: every configuration is compiled first, then the repeats
// go round the configurations in turn (so that a slow moment of a shared machine
// falls on all of them), and each figure is the median over the repeats of the
// mean time of N steps on the same pre-gathered batches. --also a,b adds a
// configuration with passes a and b off together. Prints a Markdown table.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "ir/error.h"
#include "passes/pipeline.h"
#include "runtime/batching.h"
#include "tools/run_flags.h"

namespace minigrad::tools {
namespace {

struct Config {
  std::string label;
  std::vector<std::string> disabled;
  std::unique_ptr<runtime::Program> program;
  std::vector<double> ms;  // per repeat: mean milliseconds per step
};

std::vector<Config> configurations(const std::vector<std::string>& extra) {
  std::vector<Config> out;
  out.push_back({"all passes", {}, nullptr, {}});
  std::vector<std::string> fusions;
  for (const passes::PipelineEntry& e : passes::default_pipeline()) {
    std::string name(e.pass);
    if (name == "autodiff" || name == "plan-memory") continue;
    out.push_back({"without " + name, {name}, nullptr, {}});
    if (name.rfind("fuse-", 0) == 0) fusions.push_back(name);
  }
  out.push_back({"without any fusion", fusions, nullptr, {}});
  out.push_back({"without any optional pass", {"all"}, nullptr, {}});
  for (const std::string& e : extra) {  // "a,b": a and b off together
    Config c{"without " + e, {}, nullptr, {}};
    std::stringstream ss(e);
    for (std::string name; std::getline(ss, name, ',');) c.disabled.push_back(name);
    out.push_back(std::move(c));
  }
  return out;
}

struct Batches {
  std::vector<Buffer> x, y;
};

Batches gather_batches(const runtime::Dataset& d, int64_t batch, int count) {
  Batches b;
  runtime::EpochBatches epoch(d.train.rows(), {batch, true, true, 0}, 0);
  std::span<const int64_t> rows;
  for (int i = 0; i < count && epoch.next(&rows); ++i) {
    b.x.emplace_back(ir::Type{ir::DType::F32, {batch, d.train.features()}});
    b.y.emplace_back(ir::Type{ir::DType::I32, {batch}});
    runtime::gather(d.train.x, d.train.y, rows, b.x.back(), b.y.back());
  }
  if (b.x.empty()) fail("the training split has fewer than {} rows", batch);
  return b;
}

double time_steps(runtime::Program& p, const Batches& b, int steps) {
  auto start = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) {
    size_t i = static_cast<size_t>(s) % b.x.size();
    p.train_step(b.x[i].view(), b.y[i].view());
  }
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / steps;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

void run(const RunFlags& flags, int steps, int repeats, const std::vector<std::string>& extra) {
  runtime::RunConfig base = flags.finish();
  runtime::PreparedData p = runtime::prepare_data(base);
  Batches batches = gather_batches(p.data, base.batch, 50);
  std::vector<Config> configs = configurations(extra);
  for (Config& c : configs) {
    runtime::RunConfig rc = base;
    rc.pipeline.disabled = c.disabled;
    c.program = runtime::make_program(rc, p.data);
    time_steps(*c.program, batches, std::max(5, steps / 10));  // warm up
  }
  for (int r = 0; r < repeats; ++r)
    for (Config& c : configs) c.ms.push_back(time_steps(*c.program, batches, steps));
  double full = median(configs[0].ms);
  fmt::print("{} on {}, batch {}: median of {} repeats of {} training steps\n\n", base.model, base.backend, base.batch,
             repeats, steps);
  fmt::print("| configuration | ms per step | vs all passes |\n|---|---:|---:|\n");
  for (const Config& c : configs) {
    double m = median(c.ms);
    fmt::print("| {} | {:.4f} | {:.2f}x |\n", c.label, m, m / full);
  }
}

}  // namespace
}  // namespace minigrad::tools

int main(int argc, char** argv) {
  CLI::App app{"minigrad-pass-ablation: per-step training time with each pass switched off in turn"};
  minigrad::tools::RunFlags flags;
  int steps = 100, repeats = 5;
  std::vector<std::string> extra;
  minigrad::tools::add_run_flags(&app, flags, /*data_required=*/true);
  app.add_option("--steps", steps, "training steps per measurement")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--repeats", repeats, "measurements per configuration (the median is shown)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  minigrad::tools::repeatable(
      app.add_option("--also", extra, "one more configuration: these passes off together, a,b (repeatable)"));
  try {
    app.parse(argc, argv);
    minigrad::tools::run(flags, steps, repeats, extra);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "minigrad-pass-ablation: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
