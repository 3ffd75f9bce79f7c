// minigradc: the command-line driver. Registration of the subcommands and the one
// place where errors become a message and a non-zero exit status.
//
// Under mpirun (or with --distributed) the process joins the run's world of ranks
// (runtime/distributed) before anything else; an error on any rank then ends every
// rank, with the failing rank's number and message, instead of leaving the others
// waiting in a collective.
#include <cstdio>
#include <cstring>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/distributed/world.h"
#include "tools/commands.h"
#include "tools/opt.h"

namespace {

bool asks_for_world(int argc, char** argv) {
  if (minigrad::runtime::launched_by_mpirun()) return true;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--distributed") == 0) return true;
  return false;
}

int report(const char* message) {
  if (minigrad::runtime::World* w = minigrad::runtime::World::current(); w && w->size() > 1) w->fail_all(message);
  std::fflush(stdout);
  fmt::print(stderr, "minigradc: error: {}\n", message);
  return 1;
}

}  // namespace

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
    if (asks_for_world(argc, argv)) minigrad::runtime::World::start();
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (minigrad::runtime::world_ranks() > 1 && e.get_exit_code() != 0) return report(e.what());
    return app.exit(e);
  } catch (const std::exception& e) {
    return report(e.what());
  }
  if (minigrad::runtime::World* w = minigrad::runtime::World::current()) w->finish();
  return 0;
}
