// minigradc: the command-line driver. Registration of the subcommands and the one
// place where errors become a message and a non-zero exit status.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "ir/error.h"
#include "tools/commands.h"
#include "tools/opt.h"

int main(int argc, char** argv) {
  CLI::App app{"minigradc: train, evaluate and inspect models compiled by minigrad"};
  app.require_subcommand(1);
  minigrad::tools::add_train_command(app);
  minigrad::tools::add_dump_ir_command(app);
  minigrad::tools::add_eval_command(app);
  minigrad::tools::add_predict_command(app);
  minigrad::tools::add_sweep_command(app);
  minigrad::tools::add_bench_command(app);
  minigrad::tools::add_compile_command(app);
  minigrad::tools::add_opt_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const minigrad::Error& e) {
    std::fflush(stdout);
    fmt::print(stderr, "minigradc: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "minigradc: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
