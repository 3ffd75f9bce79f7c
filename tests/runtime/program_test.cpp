// Program's options that reach its backend: ProgramOptions::jit_cache puts the
// JIT's objects in the directory it names, whatever $MINIGRAD_CACHE_DIR says, and
// "off" writes none.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include <fmt/core.h>

#include "frontend/dsl.h"
#include "runtime/program.h"

namespace minigrad::runtime {
namespace {

namespace fs = std::filesystem;

size_t files_under(const fs::path& dir) {
  if (!fs::exists(dir)) return 0;
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

void build_program(const std::string& jit_cache) {
  ProgramOptions o;
  o.in_features = 4, o.num_classes = 3, o.batch = 8, o.backend = "jit", o.jit_cache = jit_cache;
  ModelParts parts{nn::Sequential{nn::Linear(4, 3)}, std::make_shared<nn::CrossEntropyLoss>(),
                   std::make_shared<optim::SGD>(0.1)};
  Program p(std::move(parts), o);
}

TEST(Program, JitCacheOptionChoosesTheObjectCache) {
  fs::path root = fs::temp_directory_path() / fmt::format("minigrad_program_cache_{}", ::getpid());
  fs::remove_all(root);
  fs::path env_dir = root / "env", chosen = root / "chosen";
  ::setenv("MINIGRAD_CACHE_DIR", env_dir.c_str(), 1);
  build_program("off");
  EXPECT_EQ(files_under(env_dir), 0u);
  EXPECT_EQ(files_under(chosen), 0u);
  build_program(chosen.string());
  EXPECT_EQ(files_under(env_dir), 0u);
  EXPECT_GE(files_under(chosen), 2u);  // train_step and eval
  ::unsetenv("MINIGRAD_CACHE_DIR");
  fs::remove_all(root);
}

}  // namespace
}  // namespace minigrad::runtime
