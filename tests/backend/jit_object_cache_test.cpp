// The JIT's disk object cache: a second compile of the same function loads the
// object instead of compiling it, and the object runs as the compiled one did;
// compiles of one module on several threads at once leave one whole object.
// (What every Executable does is tests/backend/executable_contract_test.cpp.)
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>
#include <unistd.h>

#include "tests/backend/interp_helpers.h"
#include "tests/backend/jit_helpers.h"

namespace minigrad::testing {
namespace {

// Compiles the counter module with a fresh backend over the object cache `dir`
// and runs it once: whether it counted (its state went from 0 to 1) and whether
// its object came from the cache.
struct CounterRun {
  bool counted, from_cache;
  bool operator==(const CounterRun&) const = default;
};

CounterRun compile_and_run(const ir::Module& m, const std::filesystem::path& dir) {
  StateStore state(m);
  auto backend = make_jit_backend({dir.string()});
  std::unique_ptr<Executable> exe = backend->compile(m, "f", state);
  Buffer a(ir::Type{ir::DType::F32, {2}}), b = a;
  TensorView out[] = {a.view(), b.view()};
  exe->run_checked({}, out);
  return {values<float>(state.get("s")) == std::vector<float>{1, 1}, jit_stats(*exe)->from_cache};
}

TEST(JitObjectCache, ASecondCompileLoadsTheCachedObject) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / fmt::format("minigrad_jit_cache_{}", ::getpid());
  std::filesystem::remove_all(dir);
  ir::Module m = ir::parse_module(kCounterModule);
  CounterRun first = compile_and_run(m, dir), second = compile_and_run(m, dir);
  EXPECT_TRUE(first.counted);
  EXPECT_TRUE(second.counted);
  EXPECT_FALSE(first.from_cache);
  EXPECT_TRUE(second.from_cache);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
  std::filesystem::remove_all(dir);
}

// The threads of a sweep (--jobs) may compile one module at once: each write goes
// to a file of its own before its rename, so the cache ends with one whole object
// (no partial or temporary file), which a later compile loads and runs.
TEST(JitObjectCache, ConcurrentCompilesOfOneModuleLeaveOneWholeObject) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("minigrad_jit_cache_threads_{}", ::getpid());
  std::filesystem::remove_all(dir);
  ir::Module m = ir::parse_module(kCounterModule);
  for (int round = 0; round < 3; ++round) {
    std::filesystem::remove_all(dir);
    std::atomic<int> right{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back([&] { right += compile_and_run(m, dir).counted ? 1 : 0; });
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(right.load(), 4);
    ASSERT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
    EXPECT_EQ(compile_and_run(m, dir), (CounterRun{true, true})) << "the object in the cache loads and runs";
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace minigrad::testing
