// libFuzzer target: the IR text parser (ir/parser.h) and, on what it accepts, the
// verifier (ir/verifier.h), as minigrad-opt reads a .mgir file.
#include <string_view>

#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace minigrad;
  try {
    ir::Module m = ir::parse_module(std::string_view(reinterpret_cast<const char*>(data), size), "input.mgir");
    ir::verify(m);
    ir::parse_module(ir::print(m), "printed.mgir");  // a verified module prints to text that parses
  } catch (const Error&) {
  }
  return 0;
}
