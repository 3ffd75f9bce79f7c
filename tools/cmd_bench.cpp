// minigradc bench MODEL --data DIR [train's flags] [--min-time S] [--repeats R]
// [--steps N] [--profile] [--no-mask-rows] [--json]: how fast this machine trains and evaluates the
// model with these settings: compile time (cold and from the JIT's object cache),
// microseconds per train step, seconds per epoch, and the time to evaluate the
// test split, each timed for at least --min-time seconds (runtime/benchmark.h,
// runtime/timing.h); with --profile, where a step's time goes (runtime/profile.h).
// bench/run.sh compares the seed model with PyTorch.
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
  bool profile = false, json = false, mask_rows = true;
};

nlohmann::json counts(const runtime::Timing& t) { return {{"iterations", t.iterations}, {"repeats", t.repeats}}; }

void print_json(const runtime::RunConfig& c, const BenchFlags& f, const runtime::BenchFigures& b) {
  nlohmann::json j{{"model", c.model},          {"backend", c.backend},
                   {"threads", c.threads},      {"batch", c.batch},
                   {"compile_cold_seconds", b.compile_cold.seconds},
                   {"compile_warm_seconds", b.compile_warm.seconds},
                   {"step_micros", 1e6 * b.step.seconds}, {"epoch_seconds", b.epoch.seconds},
                   {"inference_seconds", b.inference.seconds}, {"train_rows", b.train_rows},
                   {"test_rows", b.test_rows}, {"profiling_build", c.profile},
                   {"mask_rows", c.mask_rows},  {"train_batch_sizes", b.train_batch_sizes}};
  j["timing"] = {{"min_time_seconds", f.options.timing.min_seconds},
                 {"max_repeats", f.options.timing.repeats},
                 {"compile_cold", counts(b.compile_cold)},
                 {"compile_warm", counts(b.compile_warm)},
                 {"step", counts(b.step)},
                 {"epoch", counts(b.epoch)},
                 {"inference", counts(b.inference)}};
  if (b.profile) j["profile"] = runtime::to_json(*b.profile);
  fmt::print("{}\n", j.dump());
}

// "5 x 2,048 steps": how many runs of how many iterations a figure is the median of.
std::string used(const runtime::Timing& t, const char* one, const char* many) {
  return fmt::format("{} x {} {}", t.repeats, t.iterations, t.iterations == 1 ? one : many);
}

void print_text(const runtime::RunConfig& c, const BenchFlags& f, const runtime::BenchFigures& b) {
  std::string how = f.options.steps > 0 ? fmt::format("{} steps a repeat (--steps)", f.options.steps)
                                        : fmt::format("each figure timed for at least {:g} s", f.options.timing.min_seconds);
  fmt::print("{}, batch {}, backend {} ({} thread{}); medians of up to {} repeats, {}{}{}\n", c.model, c.batch, c.backend,
             c.threads, c.threads == 1 ? "" : "s", f.options.timing.repeats, how,
             c.mask_rows ? "" : "; a partial batch runs a step compiled for its size (--no-mask-rows)",
             c.profile ? "; a profiling build (--profile: a clock read around each kernel), slower than a plain one" : "");
  fmt::print("  compile     {:9.1f} ms cold ({}), {:.1f} ms from the object cache ({})\n",
             1e3 * b.compile_cold.seconds, used(b.compile_cold, "build", "builds"), 1e3 * b.compile_warm.seconds,
             used(b.compile_warm, "build", "builds"));
  fmt::print("  train step  {:9.1f} us ({})\n", 1e6 * b.step.seconds, used(b.step, "step", "steps"));
  fmt::print("  epoch       {:9.4f} s  ({} rows; {})\n", b.epoch.seconds, b.train_rows, used(b.epoch, "epoch", "epochs"));
  fmt::print("  inference   {:9.2f} ms ({} test rows; {})\n", 1e3 * b.inference.seconds, b.test_rows,
             used(b.inference, "pass", "passes"));
  if (b.profile) fmt::print("{}", runtime::format_profile(*b.profile));
}

void run_bench(const BenchFlags& f) {
  runtime::RunConfig c = f.run.finish();
  c.profile = f.profile;
  c.mask_rows = f.mask_rows;
  runtime::PreparedData data = runtime::prepare_data(c);
  runtime::BenchFigures b = runtime::benchmark(c, data, f.options);
  if (f.json) return print_json(c, f, b);
  print_text(c, f, b);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto f = std::make_shared<BenchFlags>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "time a model's compile, train step, epoch and test-set evaluation with the given settings");
  add_run_flags(cmd, f->run, /*data_required=*/true);
  cmd->add_option("--min-time", f->options.timing.min_seconds,
                  "seconds to spend on each figure: the iterations per repeat grow from one until a repeat takes "
                  "min-time / repeats")
      ->check(CLI::Range(0.001, 3600.0))->capture_default_str();
  cmd->add_option("--repeats", f->options.timing.repeats, "measurements per figure (the median is shown)")
      ->check(CLI::Range(1, 1000))->capture_default_str();
  cmd->add_option("--steps", f->options.steps, "train steps per measurement, instead of calibrating by --min-time")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  cmd->add_flag("--profile", f->profile,
                "compile the steps with a clock read around each kernel (slower) and print where a step's time goes");
  add_mask_rows_flag(cmd, f->mask_rows);
  cmd->add_flag("--json", f->json, "print one JSON object");
  cmd->callback([f] {
    single_process("bench");
    run_bench(*f);
  });
}

}  // namespace minigrad::tools
