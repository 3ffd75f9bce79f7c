// The thread pool that split kernels run on: every task of a run runs exactly
// once, on the caller or a worker, run after run, whatever the task count.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "backend/llvm/thread_pool.h"

namespace minigrad::jit {
namespace {

struct Counts {
  std::vector<std::atomic<int>> hits = std::vector<std::atomic<int>>(64);
  std::atomic<int64_t> wrong_total{0};
};

void count(void* arg, int64_t task, int64_t tasks) {
  auto* c = static_cast<Counts*>(arg);
  c->hits[size_t(task)].fetch_add(1);
  if (tasks < 1 || task >= tasks) c->wrong_total.fetch_add(1);
}

TEST(ThreadPool, EveryTaskRunsExactlyOncePerRun) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (int run = 0; run < 2000; ++run) {
      int64_t tasks = 1 + run % 37;
      Counts c;
      pool.run(count, &c, tasks);
      for (int64_t t = 0; t < 64; ++t) ASSERT_EQ(c.hits[size_t(t)].load(), t < tasks ? 1 : 0) << "run " << run << " task " << t;
      ASSERT_EQ(c.wrong_total.load(), 0);
    }
  }
}

}  // namespace
}  // namespace minigrad::jit
