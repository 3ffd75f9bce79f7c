// What the generated entry function receives besides its buffers: one record
// per executable, shared with the code the JIT generates (codegen.cpp reads its
// fields by these offsets). The error record is filled by a failing kernel; the
// profile counters, when profiling is compiled in, accumulate the nanoseconds
// spent at each call site of the entry; the pool runs kernels split across
// threads.
#pragma once

#include <cstddef>
#include <cstdint>

namespace minigrad::jit {

struct RunContext {
  int64_t err[3] = {0, 0, 0};    // site, a, b (kernel.h)
  uint64_t* profile = nullptr;   // nanoseconds per call site, or null
  void* pool = nullptr;          // ThreadPool*, or null for one thread
};

// The layout the generated code reads, and that ahead-of-time wrappers (aot.cpp)
// zero as a block: a change here is a change of both, and of kPipelineVersion.
static_assert(sizeof(RunContext) == 40 && offsetof(RunContext, err) == 0, "RunContext's layout is read by generated code");

inline constexpr uint64_t kProfileOffset = offsetof(RunContext, profile);
inline constexpr uint64_t kPoolOffset = offsetof(RunContext, pool);

// Host functions the generated code calls, by these names.
inline constexpr const char* kClockSymbol = "mg_clock_ns";  // int64_t(): steady clock, ns
// void(void* pool, void (*task)(void* arg, int64_t t, int64_t tasks, int64_t thread), void* arg, int64_t tasks)
inline constexpr const char* kParallelSymbol = "mg_parallel_for";
// void(i32 dtype, const void* in, void* out, i64 n): an all_reduce (collective.cpp)
inline constexpr const char* kAllReduceSymbol = "mg_all_reduce";
// void(i64 bucket, i32 dtype, i64 k, ptr in[k], ptr out[k], ptr i64 counts[k]): the
// halves all_reduce_start and all_reduce_wait (collective.cpp)
inline constexpr const char* kAllReduceStartSymbol = "mg_all_reduce_start";
inline constexpr const char* kAllReduceWaitSymbol = "mg_all_reduce_wait";
// void(): lets the sums in flight advance, called between kernels while one is
inline constexpr const char* kCollectiveProgressSymbol = "mg_collective_progress";

extern "C" int64_t mg_clock_ns();
extern "C" void mg_all_reduce(int32_t dtype, const void* in, void* out, int64_t n);
extern "C" void mg_all_reduce_start(int64_t bucket, int32_t dtype, int64_t k, const void* const* in, void* const* out,
                                    const int64_t* counts);
extern "C" void mg_all_reduce_wait(int64_t bucket, int32_t dtype, int64_t k, const void* const* in, void* const* out,
                                   const int64_t* counts);
extern "C" void mg_collective_progress();
extern "C" void mg_parallel_for(void* pool, void (*task)(void*, int64_t, int64_t, int64_t), void* arg, int64_t tasks);

}  // namespace minigrad::jit
