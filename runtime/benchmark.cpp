// Benchmarks of one run's program; see benchmark.h.
#include "runtime/benchmark.h"

#include <algorithm>
#include <filesystem>
#include <tuple>

#include <fmt/format.h>
#include <unistd.h>

#include "runtime/batching.h"
#include "runtime/trainer.h"

namespace minigrad::runtime {

Batches some_batches(const Split& s, int64_t batch, int count) {
  Batches out;
  for (int i = 0; i < count; ++i) {
    std::vector<int64_t> idx(static_cast<size_t>(batch));
    for (int64_t j = 0; j < batch; ++j) idx[static_cast<size_t>(j)] = (i * batch + j) % s.rows();
    Buffer x(ir::Type{ir::DType::F32, {batch, s.features()}}), y(ir::Type{ir::DType::I32, {batch}});
    gather(s.x, s.y, idx, x, y);
    out.emplace_back(std::move(x), std::move(y));
  }
  return out;
}

namespace {

// n builds of the program for `c` (the constructor compiles train_step and eval
// at the first batch size).
double build_seconds(const RunConfig& c, const Dataset& d, int64_t n) {
  auto t0 = Clock::now();
  for (int64_t i = 0; i < n; ++i) make_program(c, d);
  return seconds_since(t0);
}

// The step figures run train steps over `batches` in turn from `*next`.
void run_steps(Program& p, const Batches& batches, int64_t n, size_t* next) {
  for (int64_t i = 0; i < n; ++i, *next = (*next + 1) % batches.size())
    p.train_step(batches[*next].first, batches[*next].second);
}

}  // namespace

std::pair<Timing, Timing> time_compiles(const RunConfig& c, const Dataset& d, const TimingOptions& o) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / fmt::format("minigrad_bench_{}", ::getpid());
  RunConfig off = c, cached = c;
  off.jit_cache = "off", cached.jit_cache = dir.string();
  Timing cold = time_iterations([&](int64_t n) { return build_seconds(off, d, n); }, o);
  build_seconds(cached, d, 1);  // fills the cache
  Timing warm = time_iterations([&](int64_t n) { return build_seconds(cached, d, n); }, o);
  fs::remove_all(dir);
  return {cold, warm};
}

Timing time_train_steps(Program& p, const Batches& batches, const TimingOptions& o) {
  size_t next = 0;
  run_steps(p, batches, o.iterations > 0 ? o.iterations / 4 + 1 : 1, &next);  // warm-up
  return time_iterations([&](int64_t n) {
    auto t0 = Clock::now();
    run_steps(p, batches, n, &next);
    return seconds_since(t0);
  }, o);
}

Timing time_epoch(Program& p, const RunConfig& c, const Dataset& d, const TimingOptions& o) {
  TrainOptions t = train_options(c);
  t.epochs = 1, t.eval_every = 1;
  return time_iterations([&](int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += train(p, d, t)[0].train_seconds;
    return s;
  }, o);
}

Timing time_inference(Program& p, const Dataset& d, int64_t eval_batch, const TimingOptions& o) {
  evaluate(p, d.test, eval_batch);  // compiles each batch size the split needs
  return time_iterations([&](int64_t n) {
    auto t0 = Clock::now();
    for (int64_t i = 0; i < n; ++i) evaluate(p, d.test, eval_batch);
    return seconds_since(t0);
  }, o);
}

StepProfile profile_train_steps(Program& p, const Batches& batches, int64_t steps) {
  int64_t batch = batches.at(0).first.type().shape[0];
  size_t next = 0;
  run_steps(p, batches, 1, &next);  // compiled and run once
  const Executable& exe = *p.train_executable(batch);
  std::string what = fmt::format("train_step at batch {}", batch);
  std::vector<JitProfileEntry> before = read_counters(exe, what);
  auto t0 = Clock::now();
  run_steps(p, batches, steps, &next);
  double wall = seconds_since(t0);
  StepProfile prof = step_profile(before, read_counters(exe, what), steps, batch);
  prof.wall_ns = wall * 1e9 / double(steps);
  return prof;
}

BenchFigures benchmark(const RunConfig& config, const PreparedData& data, const BenchOptions& o) {
  const Dataset& d = data.data;
  BenchFigures f;
  f.train_rows = d.train.rows(), f.test_rows = d.test.rows();
  std::tie(f.compile_cold, f.compile_warm) = time_compiles(config, d, o.timing);
  auto p = make_program(config, d);
  Batches batches = some_batches(d.train, std::min(config.batch, d.train.rows()), 32);
  TimingOptions steps = o.timing;
  steps.iterations = o.steps;
  f.step = time_train_steps(*p, batches, steps);
  if (config.profile) f.profile = profile_train_steps(*p, batches, f.step.iterations);
  f.epoch = time_epoch(*p, config, d, o.timing);
  f.inference = time_inference(*p, d, config.eval_batch, o.timing);
  for (int64_t b : p->batch_sizes())
    if (p->train_executable(b)) f.train_batch_sizes.push_back(b);
  return f;
}

}  // namespace minigrad::runtime
