// The threads a compiled step splits its large kernels over. run() hands out
// `tasks` task indices to the calling thread and the pool's workers, and returns
// when every task has run. Workers wait for work by spinning briefly (a step's
// parallel kernels follow each other within microseconds) and then sleeping on a
// condition variable, so an idle pool costs nothing. Nothing is allocated after
// construction: a step stays allocation-free.
//
// Generated code calls it through mg_parallel_for (run_context.h), with a task
// function that runs its slice of a kernel; a kernel's slices write disjoint
// parts of its results, so the result does not depend on the number of threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace minigrad::jit {

using TaskFn = void (*)(void* arg, int64_t task, int64_t tasks);

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads - 1 workers; the caller is the last
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return int(workers_.size()) + 1; }
  void run(TaskFn fn, void* arg, int64_t tasks);

 private:
  void work();
  void take_tasks();

  std::vector<std::thread> workers_;
  void wake();

  std::atomic<uint32_t> generation_{0};  // bumped for each run(); workers watch it
  std::atomic<int> sleepers_{0};         // workers asleep or about to be
  std::mutex mutex_;
  std::condition_variable wakeup_;
  std::atomic<uint64_t> next_{0};        // run, task count and next task index (thread_pool.cpp)
  std::atomic<int64_t> done_{0};         // tasks finished in this run
  std::atomic<bool> stop_{false};
  TaskFn fn_ = nullptr;
  void* arg_ = nullptr;
};

}  // namespace minigrad::jit
