// The JIT's disk object cache: a second compile of the same function loads the
// object instead of compiling it, and the object runs as the compiled one did.
// (What every Executable does is tests/backend/executable_contract_test.cpp.)
#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include "tests/backend/interp_helpers.h"
#include "tests/backend/jit_helpers.h"

namespace minigrad::testing {
namespace {

TEST(JitObjectCache, ASecondCompileLoadsTheCachedObject) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / fmt::format("minigrad_jit_cache_{}", ::getpid());
  std::filesystem::remove_all(dir);
  ir::Module m = ir::parse_module(kCounterModule);
  auto compile = [&] {
    StateStore state(m);
    auto backend = make_jit_backend({dir.string()});
    std::unique_ptr<Executable> exe = backend->compile(m, "f", state);
    Buffer a(ir::Type{ir::DType::F32, {2}}), b = a;
    TensorView out[] = {a.view(), b.view()};
    exe->run_checked({}, out);
    EXPECT_EQ(values<float>(state.get("s")), (std::vector<float>{1, 1}));
    return *jit_stats(*exe);
  };
  JitCompileStats first = compile(), second = compile();
  EXPECT_FALSE(first.from_cache);
  EXPECT_TRUE(second.from_cache);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace minigrad::testing
