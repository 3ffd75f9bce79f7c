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

#include "backend/llvm/run_context.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MINIGRAD_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define MINIGRAD_PAUSE() asm volatile("yield")
#else
#define MINIGRAD_PAUSE() ((void)0)
#endif

namespace minigrad::jit {
namespace {

constexpr int kIndexBits = 20, kTasksBits = 20;
constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1, kTasksMask = (uint64_t{1} << kTasksBits) - 1;
constexpr int kSpins = 20000;  // pauses before a worker sleeps: tens of microseconds

uint64_t word(uint64_t generation, uint64_t tasks, uint64_t index) {
  return (generation << (kIndexBits + kTasksBits)) | (tasks << kIndexBits) | index;
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
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

void ThreadPool::run(TaskFn fn, void* arg, int64_t tasks) {
  if (tasks <= 0) return;
  if (workers_.empty() || tasks == 1) {
    for (int64_t t = 0; t < tasks; ++t) fn(arg, t, tasks);
    return;
  }
  uint32_t g = generation_.load(std::memory_order_relaxed) + 1;
  fn_ = fn, arg_ = arg;
  done_.store(0, std::memory_order_relaxed);
  next_.store(word(g & ((uint32_t{1} << 24) - 1), uint64_t(tasks) & kTasksMask, 0), std::memory_order_release);
  generation_.store(g);
  wake();
  take_tasks();
  while (done_.load(std::memory_order_acquire) < tasks) MINIGRAD_PAUSE();
}

// Takes and runs tasks of the run that next_ names until none is left.
void ThreadPool::take_tasks() {
  uint64_t w = next_.load(std::memory_order_acquire);
  for (;;) {
    uint64_t index = w & kIndexMask, tasks = (w >> kIndexBits) & kTasksMask;
    if (index >= tasks) return;
    if (!next_.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel))
      continue;  // w now holds the current word
    fn_(arg_, int64_t(index), int64_t(tasks));
    done_.fetch_add(1, std::memory_order_release);
    w = next_.load(std::memory_order_acquire);
  }
}

void ThreadPool::wake() {
  if (sleepers_.load() == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  wakeup_.notify_all();
}

void ThreadPool::work() {
  // The generation the pool was built with: a worker that starts late must still
  // see every run, and the destructor's bump, as news.
  uint32_t seen = 0;
  for (;;) {
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen) {
      if (++spins < kSpins) {
        MINIGRAD_PAUSE();
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
    take_tasks();
  }
}

extern "C" void mg_parallel_for(void* pool, TaskFn fn, void* arg, int64_t tasks) {
  static_cast<ThreadPool*>(pool)->run(fn, arg, tasks);
}

}  // namespace minigrad::jit
