// The speed of one run's program, as `minigradc bench` reports it: the time to
// build it (trace, passes, and compiling train_step and eval at the batch size:
// for the JIT, code generation, LLVM's optimisation and machine code; cold, with
// the JIT's object cache off, and warm, from it), microseconds per train step on
// batches gathered beforehand, seconds per epoch (shuffle, gather and steps, as
// training runs them), and the time to evaluate the test split. Each figure is
// timed for at least a minimum time and is the median of repeats (runtime/timing.h),
// since a shared machine is noisy. With RunConfig::profile (jit) the program is a
// profiling build (slower) and the figures come with the step's profile
// (runtime/profile.h). bench/jit_bench times the seed model with the same pieces.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/experiment.h"
#include "runtime/profile.h"
#include "runtime/timing.h"

namespace minigrad::runtime {

struct BenchOptions {
  TimingOptions timing;  // min_seconds and repeats, for every figure
  int64_t steps = 0;     // > 0: train steps per repeat, fixed (no calibration)
};

struct BenchFigures {
  Timing compile_cold;  // program built, both functions compiled, object cache off
  Timing compile_warm;  // the same from the object cache (jit; the same work as cold for interp)
  Timing step;          // one train step
  Timing epoch;         // one epoch of training (no evaluation)
  Timing inference;     // the test split, in batches of config.eval_batch
  int64_t train_rows = 0, test_rows = 0;
  // The batch sizes whose train_step the program compiled: the batch alone, or with
  // config.mask_rows off and a partial last batch, that batch's size too.
  std::vector<int64_t> train_batch_sizes;
  std::optional<StepProfile> profile;  // with config.profile: train steps as many as one repeat of `step`
};

BenchFigures benchmark(const RunConfig& config, const PreparedData& data, const BenchOptions& options = {});

// The pieces, for benchmarks of their own (bench/jit_bench).
using Batches = std::vector<std::pair<Buffer, Buffer>>;
// The first `count` batches of `batch` rows of a split, in order (wrapping), gathered once.
Batches some_batches(const Split& s, int64_t batch, int count);
// make_program(c, d), cold (c.jit_cache "off") and warm (from a private cache
// directory that a first, untimed build fills, removed afterwards).
std::pair<Timing, Timing> time_compiles(const RunConfig& c, const Dataset& d, const TimingOptions& o);
// Train steps over `batches` in turn, after a warm-up; o.iterations fixes the steps per repeat.
Timing time_train_steps(Program& p, const Batches& batches, const TimingOptions& o);
// One epoch of rt::train (its train_seconds: shuffle, gather, steps).
Timing time_epoch(Program& p, const RunConfig& c, const Dataset& d, const TimingOptions& o);
// rt::evaluate over the test split in batches of `eval_batch`, after a warm-up pass.
Timing time_inference(Program& p, const Dataset& d, int64_t eval_batch, const TimingOptions& o);
// A profile of `steps` train steps over `batches` (a program built with
// RunConfig::profile), with the wall time per step.
StepProfile profile_train_steps(Program& p, const Batches& batches, int64_t steps);

}  // namespace minigrad::runtime
