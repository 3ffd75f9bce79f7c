// A train step of the JIT allocates no heap memory after warm-up. This test binary
// replaces malloc, calloc, realloc, aligned_alloc, posix_memalign and memalign
// (which operator new and every library in the process call) with counting
// versions that forward to glibc's own, and counts the allocations made while
// Program::train_step, Program::eval_step and runtime::gather run, from any thread.
// Under AddressSanitizer, its malloc hook counts them instead (see below).
// (The steps take the batch Buffers themselves, as the trainer passes them: a
// TensorView made per step would copy its shape onto the heap.)
#include <gtest/gtest.h>

#include <malloc.h>

#include <atomic>
#include <numeric>
#include <cstdlib>
#include <random>

#include "frontend/dsl.h"
#include "runtime/batching.h"
#include "runtime/program.h"

namespace {
std::atomic<long> allocations{0};
}

// Under AddressSanitizer (tools/test.sh --sanitize) malloc is the sanitizer's and
// cannot be replaced: its allocation hook counts instead (called for every
// malloc, calloc, realloc, memalign and operator new of the process).
#if defined(__SANITIZE_ADDRESS__)
#define MINIGRAD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MINIGRAD_ASAN 1
#endif
#endif

#ifdef MINIGRAD_ASAN
#include <sanitizer/allocator_interface.h>
namespace {
void on_malloc(const volatile void*, size_t) { allocations.fetch_add(1, std::memory_order_relaxed); }
void on_free(const volatile void*) {}
[[maybe_unused]] const int hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}  // namespace
#else
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
}

extern "C" {
void* malloc(size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
void* memalign(size_t align, size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(align, n);
}
void* aligned_alloc(size_t align, size_t n) { return memalign(align, n); }
int posix_memalign(void** out, size_t align, size_t n) {
  *out = memalign(align, n);
  return *out ? 0 : ENOMEM;
}
}
#endif

namespace minigrad {
namespace {

TEST(JitAllocation, TrainAndEvalStepsAllocateNothingAfterWarmUp) {
  for (int threads : {1, 2}) {
    runtime::ProgramOptions o;
    o.in_features = 128, o.num_classes = 10, o.batch = 64, o.backend = "jit", o.threads = threads;
    runtime::ModelParts parts{nn::Sequential{nn::Linear(128, 192), nn::BatchNorm1d(192), nn::LeakyReLU(0.01),
                                             nn::Dropout(0.1), nn::Linear(192, 10)},
                              std::make_shared<nn::CrossEntropyLoss>(0.3), std::make_shared<optim::Adam>(1e-3, 1e-3)};
    runtime::Program p(std::move(parts), o);
    p.init_state(3);
    Buffer data(ir::Type{ir::DType::F32, {256, 128}});
    std::vector<int32_t> labels(256);
    std::mt19937 rng(1);
    for (int64_t i = 0; i < data.numel(); ++i) data.as<float>()[i] = float(rng() % 1000) / 500.0f - 1.0f;
    for (int32_t& l : labels) l = int32_t(rng() % 10);
    Buffer x(ir::Type{ir::DType::F32, {64, 128}}), y(ir::Type{ir::DType::I32, {64}});
    std::vector<int64_t> rows(64);
    auto step = [&](int i) {
      for (int64_t r = 0; r < 64; ++r) rows[size_t(r)] = (i * 64 + r) % 256;
      runtime::gather(data, labels, rows, x, y);
      p.train_step(x, y);
      if (i % 4 == 0) p.eval_step(x, y);
    };
    for (int i = 0; i < 8; ++i) step(i);  // warm-up: compiles, first calls
    long before = allocations.load();
    for (int i = 0; i < 100; ++i) step(i);
    EXPECT_EQ(allocations.load() - before, 0) << "allocations in 100 steps with " << threads << " thread(s)";
  }
}

TEST(JitAllocation, TheCounterSeesAllocations) {
  long before = allocations.load();
  std::vector<int> v(100);
  v[std::size_t(allocations.load() % 100)] = 1;
  EXPECT_GE(allocations.load() - before, 1);
  EXPECT_EQ(std::accumulate(v.begin(), v.end(), 0), 1);
}

}  // namespace
}  // namespace minigrad
