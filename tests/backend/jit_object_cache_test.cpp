// The JIT's disk object cache: a second compile of the same function loads the
// object instead of compiling it, and the object runs as the compiled one did;
// compiles of one module on several threads at once leave one whole object.
// (What every Executable does is tests/backend/executable_contract_test.cpp.)
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>
#include <unistd.h>

#include "tests/backend/interp_helpers.h"
#include "backend/llvm/object_key.h"
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

CounterRun compile_and_run(const ir::Module& m, const std::filesystem::path& dir, JitBackendOptions o = {}) {
  StateStore state(m);
  o.cache_dir = dir.string();
  auto backend = make_jit_backend(o);
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

// A damaged entry (a byte changed, or cut short) is not loaded: it is dropped and
// compiled again, and the rewritten entry loads on the next compile.
TEST(JitObjectCache, ADamagedEntryIsRemovedAndRebuilt) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / fmt::format("minigrad_jit_cache_heal_{}", ::getpid());
  std::filesystem::remove_all(dir);
  ir::Module m = ir::parse_module(kCounterModule);
  ASSERT_EQ(compile_and_run(m, dir), (CounterRun{true, false}));
  for (bool truncate : {false, true}) {
    std::filesystem::path entry = std::filesystem::directory_iterator(dir)->path();
    if (truncate) {
      std::filesystem::resize_file(entry, 40);
    } else {
      std::fstream f(entry, std::ios::in | std::ios::out | std::ios::binary);
      auto middle = static_cast<std::streamoff>(std::filesystem::file_size(entry) / 2);
      f.seekg(middle);
      char c = static_cast<char>(f.get());
      f.seekp(middle);
      f.put(static_cast<char>(c ^ 1));
    }
    EXPECT_EQ(compile_and_run(m, dir), (CounterRun{true, false})) << "truncated: " << truncate;
    EXPECT_EQ(compile_and_run(m, dir), (CounterRun{true, true})) << "truncated: " << truncate;
  }
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

// Each input of code generation is in the key: changing any one of them gives
// another key, so an object built under other settings is never loaded.
TEST(JitObjectCache, EveryInputOfCodeGenerationChangesTheKey) {
  const jit::ObjectKeyInputs base{"v1", "", "19.1.0", "x86_64-pc-linux-gnu", "znver3", "+avx2", 256, 1, false};
  const std::string ir = "define void @f() { ret void }";
  std::vector<std::pair<const char*, jit::ObjectKeyInputs>> changed;
  auto with = [&](const char* what, auto edit) {
    jit::ObjectKeyInputs in = base;
    edit(in);
    changed.emplace_back(what, in);
  };
  with("code generator version", [](auto& in) { in.codegen_version = "v2"; });
  with("pipeline", [](auto& in) { in.pipeline = "default<O1>"; });
  with("LLVM version", [](auto& in) { in.llvm_version = "19.1.1"; });
  with("target triple", [](auto& in) { in.triple = "aarch64-unknown-linux-gnu"; });
  with("CPU", [](auto& in) { in.cpu = "skylake"; });
  with("CPU features", [](auto& in) { in.features = "+avx2,+avx512f"; });
  with("vector width", [](auto& in) { in.vector_bits = 512; });
  with("threads", [](auto& in) { in.threads = 2; });
  with("profile", [](auto& in) { in.profile = true; });
  const std::string key = jit::object_key(base, ir);
  EXPECT_EQ(jit::object_key(base, ir), key) << "the key is a function of its inputs";
  EXPECT_NE(jit::object_key(base, ir + " "), key) << "the LLVM IR";
  for (const auto& [what, in] : changed) EXPECT_NE(jit::object_key(in, ir), key) << what;
}

// An object compiled under a custom pass pipeline is stored under its own key: a
// later run with the default pipeline (or threads, or profiling) misses and
// compiles its own object, rather than loading the other.
TEST(JitObjectCache, APipelineThreadsOrProfileOtherThanTheCachedObjectsMiss) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("minigrad_jit_cache_key_{}", ::getpid());
  std::filesystem::remove_all(dir);
  ir::Module m = ir::parse_module(kCounterModule);
  ::setenv("MINIGRAD_JIT_PIPELINE", "default<O1>", 1);
  EXPECT_EQ(compile_and_run(m, dir), (CounterRun{true, false}));
  EXPECT_EQ(compile_and_run(m, dir), (CounterRun{true, true})) << "the same pipeline hits";
  ::unsetenv("MINIGRAD_JIT_PIPELINE");
  EXPECT_EQ(compile_and_run(m, dir), (CounterRun{true, false})) << "the default pipeline misses";
  EXPECT_EQ(compile_and_run(m, dir), (CounterRun{true, true}));
  JitBackendOptions threads;
  threads.threads = 2;
  EXPECT_EQ(compile_and_run(m, dir, threads), (CounterRun{true, false})) << "two threads miss";
  JitBackendOptions profile;
  profile.profile = true;
  EXPECT_EQ(compile_and_run(m, dir, profile), (CounterRun{true, false})) << "profiling misses";
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 4);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace minigrad::testing
