// Timing a figure for as long as it takes to be worth a median, as Google
// Benchmark does: a probe runs one iteration, and the count per run grows
// geometrically (by 1.5 times the ratio of the target to the time taken, at most
// 10x a round) until one run of `iterations` takes at least min_seconds / repeats.
// That run is the first repeat, and `repeats` runs of that count are timed in
// all; but when a single iteration already outlasts the target, runs stop as soon
// as together they have taken min_seconds (an epoch of 15 s is measured once, not
// `repeats` times, under a budget of 2 s). The figure
// is the median of the repeats' seconds per iteration. With a fixed iteration count
// there is no probe and every one of the `repeats` runs is timed.
// minigradc bench and bench/jit_bench time every figure this way.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

namespace minigrad::runtime {

struct TimingOptions {
  double min_seconds = 2;  // per figure, the repeats together
  int repeats = 5;         // at most this many runs of the calibrated count
  int64_t iterations = 0;  // > 0: this many iterations a run, no calibration
};

struct Timing {
  double seconds = 0;      // median seconds per iteration
  int64_t iterations = 0;  // iterations per repeat
  int repeats = 0;         // runs of `iterations` timed
  int64_t runs_total = 0;  // iterations run, the calibration's included
};

// run(n) performs n iterations and returns the seconds they took (it may leave
// out its own setup); called with n >= 1.
Timing time_iterations(const std::function<double(int64_t)>& run, const TimingOptions& options);

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The median of `v` (the mean of the middle two for an even count); 0 if empty.
double median(std::vector<double> v);

}  // namespace minigrad::runtime
