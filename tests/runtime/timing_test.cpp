// Calibrated timing (runtime/timing.h) with a simulated clock: run(n) reports n
// times a fixed cost, so the iteration counts and repeats are exact.
#include "runtime/timing.h"

#include <gtest/gtest.h>

#include "ir/error.h"

namespace minigrad::runtime {
namespace {

struct Simulated {
  double per_iteration;
  std::vector<int64_t> calls;
  double operator()(int64_t n) {
    calls.push_back(n);
    return per_iteration * double(n);
  }
};

Timing time_with(Simulated& s, const TimingOptions& o) {
  return time_iterations([&](int64_t n) { return s(n); }, o);
}

TEST(Timing, GrowsTheCountGeometricallyUntilARepeatTakesItsShare) {
  Simulated s{1e-3, {}};
  Timing t = time_with(s, TimingOptions{1.0, 5, 0});  // a repeat: at least 0.2 s = 200 iterations
  EXPECT_EQ(s.calls.front(), 1);
  EXPECT_GE(t.iterations, 200);
  EXPECT_LE(t.iterations, 2000);
  for (size_t i = 1; i < s.calls.size(); ++i) EXPECT_LE(s.calls[i], 10 * s.calls[i - 1]);
  EXPECT_EQ(t.repeats, 5);
  EXPECT_DOUBLE_EQ(t.seconds, 1e-3);
  int64_t total = 0;
  for (int64_t n : s.calls) total += n;
  EXPECT_EQ(t.runs_total, total);
  // The calibration's last run is the first repeat: 4 more runs of the final count.
  ASSERT_GE(s.calls.size(), 5u);
  for (size_t i = s.calls.size() - 5; i < s.calls.size(); ++i) EXPECT_EQ(s.calls[i], t.iterations);
}

TEST(Timing, AnIterationLongerThanTheBudgetRunsOnce) {
  Simulated s{3.0, {}};
  Timing t = time_with(s, TimingOptions{2.0, 5, 0});
  EXPECT_EQ(s.calls, (std::vector<int64_t>{1}));
  EXPECT_EQ(t.iterations, 1);
  EXPECT_EQ(t.repeats, 1);
  EXPECT_DOUBLE_EQ(t.seconds, 3.0);
}

TEST(Timing, SingleIterationsRepeatUntilTheBudgetIsSpent) {
  Simulated s{0.7, {}};  // over the 0.4 s a repeat needs, so one iteration a run: 0.7, 1.4, 2.1 s
  Timing t = time_with(s, TimingOptions{2.0, 5, 0});
  EXPECT_EQ(t.iterations, 1);
  EXPECT_EQ(t.repeats, 3);
}

TEST(Timing, AFixedCountRunsEveryRepeatWithoutAProbe) {
  Simulated s{5.0, {}};
  Timing t = time_with(s, TimingOptions{0.1, 3, 10});
  EXPECT_EQ(s.calls, (std::vector<int64_t>{10, 10, 10}));
  EXPECT_EQ(t.iterations, 10);
  EXPECT_EQ(t.repeats, 3);
  EXPECT_EQ(t.runs_total, 30);
}

TEST(Timing, MedianAndBadOptions) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(median({}), 0);
  Simulated s{1, {}};
  EXPECT_THROW(time_with(s, TimingOptions{1, 0, 0}), Error);
  EXPECT_THROW(time_with(s, TimingOptions{0, 5, 0}), Error);
  EXPECT_TRUE(s.calls.empty());
}

}  // namespace
}  // namespace minigrad::runtime
