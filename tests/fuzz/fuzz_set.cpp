// libFuzzer target: model parameters given as `--set name=value` (one per line of
// the input): the split into name and value (tools/run_flags.cpp) and the parsing of
// the value as each type a model file may ask for (frontend/model.h).
#include <sstream>
#include <string>

#include "frontend/model.h"
#include "ir/error.h"
#include "tools/run_flags.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace minigrad;
  std::istringstream lines(std::string(reinterpret_cast<const char*>(data), size));
  tools::RunFlags flags;
  for (std::string line; std::getline(lines, line);) flags.set.push_back(line);
  try {
    runtime::RunConfig c = flags.finish();
    for (const auto& [name, value] : c.set) {
      ModelArgs args;
      args.set(name, value);
      for (auto get : {+[](ModelArgs& a, const std::string& n) { a.get_int(n, 1); },
                       +[](ModelArgs& a, const std::string& n) { a.get_double(n, 1.0); },
                       +[](ModelArgs& a, const std::string& n) { a.get_bool(n, false); },
                       +[](ModelArgs& a, const std::string& n) { a.get_string(n, ""); }}) {
        try {
          get(args, name);
        } catch (const Error&) {
        }
      }
      args.unused();
    }
  } catch (const Error&) {
  }
  return 0;
}
