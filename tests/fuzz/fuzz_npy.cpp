// libFuzzer target: the .npy reader (runtime/npy.h), and the conversion of what it
// read to each dtype minigrad uses, as the data loader does.
#include "ir/error.h"
#include "runtime/npy.h"
#include "tests/fuzz/fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace minigrad;
  std::filesystem::path p = fuzz::input_file(data, size, "input.npy");
  try {
    runtime::NpyArray a = runtime::read_npy(p);
    runtime::to_buffer(a, ir::DType::F32, "input.npy");
    runtime::to_buffer(a, ir::DType::I32, "input.npy");
  } catch (const Error&) {
  }
  return 0;
}
