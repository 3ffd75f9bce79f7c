// The threads a compiled step splits its large kernels over. run() hands out
// `tasks` task indices to the calling thread and the pool's workers, and returns
// when every task has run. Workers wait for work by spinning briefly (a step's
// parallel kernels follow each other within microseconds) and then sleeping on a
// condition variable, so an idle pool costs nothing. Nothing is allocated after
// construction: a step stays allocation-free.
//
// Generated code calls it through mg_parallel_for (run_context.h), with a task
// function that runs its slice of a kernel; a kernel's slices write disjoint
// parts of its results, so the result does not depend on the number of threads,
// nor on which thread runs a slice.
//
// Splitting pays only when the workers run at once: on a machine with more
// runnable threads than cores (other programs, or the caller's own core taken by
// a spinning worker), a worker can be switched out in the middle of its slice,
// and the caller waits for it for a whole scheduler time slice (milliseconds,
// against kernels of microseconds). So the pool times, for each task function
// (each split kernel), its runs both ways, split across the threads and run by
// the caller alone, and runs it the way whose recent runs were faster (the
// median of the last three, which ignores a run that the system held up); one
// run in kExplore (thread_pool.cpp) goes the other way to keep that current,
// waking the workers at the end of an alone run before a split one; where the
// split way is clearly the faster (a large GEMM: about twice as fast on two
// cores), one run in kExploreRarely, as each alone run then costs as much as a
// split one. Either way the same slices run, so the results are the same. Two threads are then not slower
// than one beyond the cost of that exploration.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace minigrad::jit {

// Runs task `task` of `tasks` on thread `thread` (0 is the caller, 1.. the
// workers), which no other task runs on at the same time: a task may use the
// thread's own scratch.
using TaskFn = void (*)(void* arg, int64_t task, int64_t tasks, int64_t thread);

class ThreadPool {
 public:
  // threads - 1 workers; the caller is the last. denormals_as_zero: the workers
  // flush subnormals to zero all their life (backend/fp_env.h).
  explicit ThreadPool(int threads, bool denormals_as_zero = false);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return int(workers_.size()) + 1; }
  void run(TaskFn fn, void* arg, int64_t tasks);

  // What the pool knows of one task function: its last run times in ns, run
  // alone [0] and split [1], and its calls so far.
  static constexpr int64_t kSamples = 3;
  struct Timing {
    TaskFn fn = nullptr;
    int64_t last[2][kSamples] = {};
    int64_t count[2] = {0, 0};
    int64_t calls = 0;
    int64_t ns(int way) const;  // the median of the last runs of a way; 0 before any
    void add(int way, int64_t ns);
    // The way call `call` (>= 1; call 0 runs split, untimed) goes: 0 alone, 1 split.
    int way(int64_t call) const;
  };
  // The timing of fn, or null if it never ran with more than one task.
  const Timing* timing(TaskFn fn) const;

 private:
  void work(int64_t thread);
  void publish(TaskFn fn, void* arg, int64_t tasks);
  void take_tasks(int64_t thread);
  void run_split(TaskFn fn, void* arg, int64_t tasks);
  Timing* timing_slot(TaskFn fn);

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
  static constexpr int kTimings = 64;  // task functions timed; more run split, untimed
  Timing timings_[kTimings];           // the caller's own (one run at a time)
};

}  // namespace minigrad::jit
