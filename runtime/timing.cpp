// Calibrated timing; see timing.h.
#include "runtime/timing.h"

#include <algorithm>
#include <cmath>

#include "ir/error.h"

namespace minigrad::runtime {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}

namespace {

constexpr int64_t kMaxIterations = int64_t{1} << 40;

// The next iteration count after a run of n took `seconds`, aiming at `target`:
// n * 1.5 * target / seconds, at least n + 1 and at most 10 n.
int64_t grow(int64_t n, double seconds, double target) {
  double factor = seconds > 0 ? 1.5 * target / seconds : 10.0;
  factor = std::clamp(factor, 1.0, 10.0);
  return std::min(kMaxIterations, std::max(n + 1, static_cast<int64_t>(std::ceil(double(n) * factor))));
}

}  // namespace

Timing time_iterations(const std::function<double(int64_t)>& run, const TimingOptions& o) {
  if (o.repeats < 1) fail("repeats must be >= 1, got {}", o.repeats);
  if (o.iterations < 0) fail("iterations must be >= 0, got {}", o.iterations);
  if (o.iterations == 0 && !(o.min_seconds > 0)) fail("the minimum time must be > 0 s, got {}", o.min_seconds);
  Timing t;
  const bool fixed = o.iterations > 0;
  const double target = o.min_seconds / o.repeats;
  int64_t n = fixed ? o.iterations : 1;
  double s = run(n);
  t.runs_total += n;
  while (!fixed && s < target && n < kMaxIterations) {
    n = grow(n, s, target);
    s = run(n);
    t.runs_total += n;
  }
  std::vector<double> per_iteration{s / double(n)};
  double spent = s;
  // One iteration a run already outlasts the target: repeat only until min_seconds are spent.
  while (int(per_iteration.size()) < o.repeats && (fixed || n > 1 || spent < o.min_seconds)) {
    s = run(n);
    t.runs_total += n;
    spent += s;
    per_iteration.push_back(s / double(n));
  }
  t.seconds = median(per_iteration);
  t.iterations = n;
  t.repeats = int(per_iteration.size());
  return t;
}

}  // namespace minigrad::runtime
