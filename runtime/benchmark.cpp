// Benchmarks of one run's program; see benchmark.h.
#include "runtime/benchmark.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "runtime/batching.h"
#include "runtime/trainer.h"

namespace minigrad::runtime {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The first `count` batches of the training split, in order, gathered once.
std::vector<std::pair<Buffer, Buffer>> some_batches(const Split& s, int64_t batch, int count) {
  std::vector<std::pair<Buffer, Buffer>> out;
  for (int i = 0; i < count; ++i) {
    std::vector<int64_t> idx(static_cast<size_t>(batch));
    for (int64_t j = 0; j < batch; ++j) idx[static_cast<size_t>(j)] = (i * batch + j) % s.rows();
    Buffer x(ir::Type{ir::DType::F32, {batch, s.features()}}), y(ir::Type{ir::DType::I32, {batch}});
    gather(s.x, s.y, idx, x, y);
    out.emplace_back(std::move(x), std::move(y));
  }
  return out;
}

// Builds the program and runs a train step and an evaluation batch, which compiles
// everything a run needs (programs compile a function when first run).
double compile_seconds(const RunConfig& c, const Dataset& d, const std::pair<Buffer, Buffer>& b) {
  auto t0 = Clock::now();
  auto p = make_program(c, d);
  p->train_step(b.first, b.second);
  evaluate(*p, d.test, c.eval_batch);
  return seconds_since(t0);
}

void time_compiles(const RunConfig& c, const Dataset& d, const BenchOptions& o, BenchFigures& f) {
  auto b = some_batches(d.train, std::min(c.batch, d.train.rows()), 1);
  std::vector<double> cold, warm;
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / fmt::format("minigrad_bench_{}", ::getpid());
  RunConfig off = c, cached = c;
  off.jit_cache = "off", cached.jit_cache = dir.string();
  for (int r = 0; r < o.repeats; ++r) cold.push_back(compile_seconds(off, d, b[0]));
  compile_seconds(cached, d, b[0]);  // fills the cache
  for (int r = 0; r < o.repeats; ++r) warm.push_back(compile_seconds(cached, d, b[0]));
  fs::remove_all(dir);
  f.compile_cold_seconds = median(cold), f.compile_warm_seconds = median(warm);
}

}  // namespace

BenchFigures benchmark(const RunConfig& config, const PreparedData& data, const BenchOptions& o) {
  const Dataset& d = data.data;
  BenchFigures f;
  f.train_rows = d.train.rows(), f.test_rows = d.test.rows();
  time_compiles(config, d, o, f);
  auto p = make_program(config, d);
  int64_t batch = std::min(config.batch, d.train.rows());
  auto batches = some_batches(d.train, batch, 32);
  auto step = [&](int64_t i) { p->train_step(batches[size_t(i % 32)].first, batches[size_t(i % 32)].second); };
  for (int64_t i = 0; i < o.steps / 4 + 1; ++i) step(i);  // warm-up
  std::vector<double> steps, epochs, infer;
  for (int r = 0; r < o.repeats; ++r) {
    auto t0 = Clock::now();
    for (int64_t i = 0; i < o.steps; ++i) step(i);
    steps.push_back(seconds_since(t0) * 1e6 / static_cast<double>(o.steps));
  }
  TrainOptions t = train_options(config);
  t.epochs = 1, t.eval_every = 1;
  for (int r = 0; r < o.repeats; ++r) {
    epochs.push_back(train(*p, d, t)[0].train_seconds);
    auto t0 = Clock::now();
    evaluate(*p, d.test, config.eval_batch);
    infer.push_back(seconds_since(t0));
  }
  f.step_micros = median(steps), f.epoch_seconds = median(epochs), f.inference_seconds = median(infer);
  return f;
}

}  // namespace minigrad::runtime
