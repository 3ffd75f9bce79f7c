// minigrad-opt: the driver of tools/opt.h, for pass tests (see tests/passes/*.mgir).
// Registration of the flags and the one place where errors become a message and a
// non-zero exit status.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "ir/error.h"
#include "tools/opt.h"

int main(int argc, char** argv) {
  CLI::App app{"minigrad-opt: run passes over an IR text file and print the result"};
  minigrad::tools::OptFlags flags;
  minigrad::tools::add_opt_flags(&app, flags);
  try {
    app.parse(argc, argv);
    return minigrad::tools::run_opt(flags);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "minigrad-opt: error: {}\n", e.what());
    return 1;
  }
}
