// The speed of one run's program, as `minigradc bench` reports it: the time to
// compile it (trace, passes, code generation, and for the JIT LLVM's optimisation
// and machine code; cold, with the JIT's object cache off, and warm, from it),
// microseconds per train step on batches gathered beforehand, seconds per epoch
// (shuffle, gather and steps, as training runs them), and the time to evaluate the
// test split. Each figure is the median of `repeats` measurements, since a shared
// machine is noisy. bench/ holds the benchmarks beside PyTorch; this is the same
// measurement for any model and settings.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/experiment.h"

namespace minigrad::runtime {

struct BenchOptions {
  int repeats = 5;
  int64_t steps = 2000;  // train steps per timed repeat
};

struct BenchFigures {
  double compile_cold_seconds = 0;  // program built and both functions compiled, object cache off
  double compile_warm_seconds = 0;  // the same from the object cache (jit; = cold for interp)
  double step_micros = 0;
  double epoch_seconds = 0;
  double inference_seconds = 0;  // the test split, in batches of config.eval_batch
  int64_t train_rows = 0, test_rows = 0;
};

BenchFigures benchmark(const RunConfig& config, const PreparedData& data, const BenchOptions& options = {});

}  // namespace minigrad::runtime
