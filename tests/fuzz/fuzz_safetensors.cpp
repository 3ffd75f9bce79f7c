// libFuzzer target: the safetensors reader (runtime/safetensors.h).
#include "ir/error.h"
#include "runtime/safetensors.h"
#include "tests/fuzz/fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace minigrad;
  std::filesystem::path p = fuzz::input_file(data, size, "input.safetensors");
  try {
    runtime::read_safetensors(p);
  } catch (const Error&) {
  }
  return 0;
}
