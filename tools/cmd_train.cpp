// minigradc train MODEL --data DIR [flags]: trains and reports every epoch.
#include <memory>

#include <fmt/format.h>

#include "runtime/experiment.h"
#include "tools/commands.h"
#include "tools/run_flags.h"

namespace minigrad::tools {
namespace {

void print_epoch(const runtime::EpochStats& s, int epochs) {
  std::string test = s.evaluated ? fmt::format("test loss {:.4f} acc {:6.2f}%", s.test_loss, 100 * s.test_accuracy)
                                 : std::string(29, ' ');
  fmt::print("epoch {:>3}/{}  train loss {:.4f} acc {:6.2f}%  {}  {:.2f} s\n", s.epoch, epochs, s.train_loss,
             100 * s.train_accuracy, test, s.train_seconds);
  std::fflush(stdout);
}

void run_train(const runtime::RunConfig& c) {
  runtime::PreparedData p = runtime::prepare_data(c);
  const runtime::Dataset& d = p.data;
  fmt::print("data: {} ({} train, {} test rows, {} features, {} classes)\n", d.source, d.train.rows(), d.test.rows(),
             d.train.features(), d.num_classes);
  auto program = runtime::make_program(c, d);
  fmt::print("model: {} on {}, batch {}, {} epochs\n", c.model, c.backend, c.batch, c.epochs);
  std::vector<runtime::EpochStats> history =
      runtime::train(*program, d, runtime::train_options(c), [&](const runtime::EpochStats& s) { print_epoch(s, c.epochs); });
  double seconds = 0;
  for (const auto& s : history) seconds += s.train_seconds;
  const runtime::EpochStats& last = history.back();
  fmt::print("final: test accuracy {:.2f}% (loss {:.4f}), {:.2f} s training, {:.3f} s per epoch\n",
             100 * last.test_accuracy, last.test_loss, seconds, seconds / static_cast<double>(history.size()));
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand("train", "train a model on a data directory and report each epoch");
  add_run_flags(cmd, *flags, /*data_required=*/true);
  cmd->callback([flags] { run_train(flags->finish()); });
}

}  // namespace minigrad::tools
