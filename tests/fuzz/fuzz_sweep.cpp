// libFuzzer target: the sweep file loader (runtime/sweep.h: TOML, its settings and
// the expansion of grids and runs), without running anything.
#include "ir/error.h"
#include "runtime/sweep.h"
#include "tests/fuzz/fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace minigrad;
  std::filesystem::path p = fuzz::input_file(data, size, "sweep.toml");
  try {
    runtime::read_sweep(p);
  } catch (const Error&) {
  }
  return 0;
}
