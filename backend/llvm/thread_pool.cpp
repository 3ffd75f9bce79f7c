// The thread pool; see thread_pool.h. Tasks are handed out through one atomic
// word, next_ = generation (24 bits) | tasks (20 bits) | next index (20 bits): a
// worker that observed run g takes index i with a compare-and-swap that succeeds
// only while the word still names run g and i < its task count, so a worker late
// from an earlier run can never take a task of a later one, and fn_ and arg_ are
// read only after such a success (while run g, which set them, is still going).
//
// Sleeping: a worker counts itself in sleepers_ before it checks generation_ one
// last time under the mutex; run() bumps generation_ before it reads sleepers_
// (both sequentially consistent), so either the worker sees the new run or run()
// sees the sleeper and notifies under the mutex, after the worker waits.
#include "backend/llvm/thread_pool.h"

#include <algorithm>
#include <chrono>

#include "backend/fp_env.h"
#include "backend/llvm/cpu_relax.h"
#include "backend/llvm/run_context.h"

namespace minigrad::jit {
namespace {

constexpr int kIndexBits = 20, kTasksBits = 20;
constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1, kTasksMask = (uint64_t{1} << kTasksBits) - 1;
// Pauses before a worker sleeps: about 100 us (a pause is 10-40 ns), well over the
// gaps between the split kernels of a step, so that a worker sleeps only between
// steps that are far apart, and does not hold a core while the caller does other
// work (gathering batches, evaluating, writing files).
constexpr int kSpins = 4000;
// One run in kExplore of a task function goes the slower way (thread_pool.h);
// one in kExploreRarely when the split way is the faster by a clear margin (its
// runs at least kClearGain times as fast): a GEMM split over two cores takes
// about twice as long alone, so an exploration every 16 runs cost it 6% of its
// time. Such a split way is timed at every run, so a loaded machine that slows
// it down below the alone way's last time is still seen at once.
constexpr int64_t kExplore = 16;
constexpr int64_t kExploreRarely = 256;
constexpr double kClearGain = 1.4;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

uint64_t word(uint64_t generation, uint64_t tasks, uint64_t index) {
  return (generation << (kIndexBits + kTasksBits)) | (tasks << kIndexBits) | index;
}

}  // namespace

ThreadPool::ThreadPool(int threads, bool denormals_as_zero) {
  for (int i = 1; i < threads; ++i)
    workers_.emplace_back([this, i, denormals_as_zero] {
      DenormalsAsZero mode(denormals_as_zero);
      work(i);
    });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wakeup_.notify_all();
  }
  for (std::thread& t : workers_) t.join();
}

// The first run of fn is split and not counted (it may be the first to touch its
// memory); the next two go one way each; after that the faster way runs, and one
// run in kExplore (kExploreRarely: a split way that is clearly faster) the other;
// an alone run before a split one wakes sleeping workers when it ends.
void ThreadPool::run(TaskFn fn, void* arg, int64_t tasks) {
  if (tasks <= 0) return;
  Timing* t = workers_.empty() || tasks == 1 ? nullptr : timing_slot(fn);
  if (!t) {
    if (workers_.empty() || tasks == 1) {
      for (int64_t i = 0; i < tasks; ++i) fn(arg, i, tasks, 0);
    } else {
      run_split(fn, arg, tasks);
    }
    return;
  }
  int64_t call = t->calls++;
  if (call == 0) return run_split(fn, arg, tasks);
  int way = t->way(call);
  int64_t t0 = now_ns();
  if (way == 1) {
    run_split(fn, arg, tasks);
  } else {
    for (int64_t i = 0; i < tasks; ++i) fn(arg, i, tasks, 0);
  }
  t->add(way, now_ns() - t0);
  // Workers asleep through a long alone run would wake late for a split one.
  if (way == 0 && t->way(call + 1) == 1) publish(nullptr, nullptr, 0);
}

int ThreadPool::Timing::way(int64_t call) const {
  if (call <= 2) return int(call - 1);
  int best = ns(1) <= ns(0) ? 1 : 0;
  bool clear = best == 1 && double(ns(1)) * kClearGain <= double(ns(0));
  int64_t explore = clear ? kExploreRarely : kExplore;
  return call % explore == explore - 1 ? 1 - best : best;
}

// The median of the last kSamples times of a way (of fewer, at first).
int64_t ThreadPool::Timing::ns(int way) const {
  int64_t n = std::min<int64_t>(count[way], kSamples);
  int64_t v[kSamples];
  for (int64_t i = 0; i < n; ++i) {  // insertion sort of a few samples
    int64_t j = i;
    for (; j > 0 && v[j - 1] > last[way][i]; --j) v[j] = v[j - 1];
    v[j] = last[way][i];
  }
  return n == 0 ? 0 : v[n / 2];
}

void ThreadPool::Timing::add(int way, int64_t ns) { last[way][count[way]++ % kSamples] = ns; }

void ThreadPool::run_split(TaskFn fn, void* arg, int64_t tasks) {
  publish(fn, arg, tasks);
  take_tasks(0);
  while (done_.load(std::memory_order_acquire) < tasks) cpu_relax();
}

ThreadPool::Timing* ThreadPool::timing_slot(TaskFn fn) {
  for (Timing& t : timings_) {
    if (t.fn == fn) return &t;
    if (!t.fn) {
      t.fn = fn;
      return &t;
    }
  }
  return nullptr;
}

const ThreadPool::Timing* ThreadPool::timing(TaskFn fn) const {
  for (const Timing& t : timings_)
    if (t.fn == fn) return &t;
  return nullptr;
}

// Starts run g + 1 of `tasks` tasks (none: only wakes the workers).
void ThreadPool::publish(TaskFn fn, void* arg, int64_t tasks) {
  uint32_t g = generation_.load(std::memory_order_relaxed) + 1;
  fn_ = fn, arg_ = arg;
  done_.store(0, std::memory_order_relaxed);
  next_.store(word(g & ((uint32_t{1} << 24) - 1), uint64_t(tasks) & kTasksMask, 0), std::memory_order_release);
  generation_.store(g);
  wake();
}

// Takes and runs tasks of the run that next_ names until none is left.
void ThreadPool::take_tasks(int64_t thread) {
  uint64_t w = next_.load(std::memory_order_acquire);
  for (;;) {
    uint64_t index = w & kIndexMask, tasks = (w >> kIndexBits) & kTasksMask;
    if (index >= tasks) return;
    if (!next_.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel))
      continue;  // w now holds the current word
    fn_(arg_, int64_t(index), int64_t(tasks), thread);
    done_.fetch_add(1, std::memory_order_release);
    w = next_.load(std::memory_order_acquire);
  }
}

void ThreadPool::wake() {
  if (sleepers_.load() == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  wakeup_.notify_all();
}

void ThreadPool::work(int64_t thread) {
  // The generation the pool was built with: a worker that starts late must still
  // see every run, and the destructor's bump, as news.
  uint32_t seen = 0;
  for (;;) {
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen) {
      if (++spins < kSpins) {
        cpu_relax();
        continue;
      }
      sleepers_.fetch_add(1);
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wakeup_.wait(lock, [&] { return generation_.load() != seen; });
      }
      sleepers_.fetch_sub(1);
    }
    seen = generation_.load();
    if (stop_.load()) return;
    take_tasks(thread);
  }
}

extern "C" void mg_parallel_for(void* pool, TaskFn fn, void* arg, int64_t tasks) {
  static_cast<ThreadPool*>(pool)->run(fn, arg, tasks);
}

}  // namespace minigrad::jit
