// minigradc compile MODEL -o DIR [--data DIR | --features F --classes C] [train's
// settings] [--target TRIPLE --cpu CPU] [--name NAME]: the model's training step,
// evaluation and initialisation compiled ahead of time into DIR/NAME.o,
// DIR/libNAME.a and the C header DIR/NAME.h, plus DIR/NAME.prep (the fitted
// preprocessing) with --data and DIR/libNAME.so with --shared (runtime/aot_bundle.h, docs/aot.md).
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/aot_bundle.h"
#include "tools/commands.h"
#include "tools/run_flags.h"
#include "tools/target_flags.h"

namespace minigrad::tools {
namespace {

struct CompileFlags {
  RunFlags run;
  TargetFlags target;
  std::string out, name;
  int64_t features = 0, classes = 0;
  bool shared = false;
};

void run_compile(const CompileFlags& f) {
  runtime::RunConfig c = f.run.finish();
  int64_t features = f.features, classes = f.classes;
  std::optional<runtime::FittedPreprocessing> prep;
  if (!c.data_dir.empty()) {
    if (features > 0 || classes > 0) fail("compile: --data gives the data shape; --features and --classes are for compiling without data");
    runtime::PreparedData p = runtime::prepare_data(c);
    features = p.data.train.features(), classes = p.data.num_classes, prep = p.preprocessing;
  } else if (features <= 0 || classes <= 0) {
    fail("compile: give the data shape: --data DIR, or --features F and --classes C");
  }
  runtime::AotBundle b = runtime::write_aot_bundle(c, features, classes, prep, {f.out, f.name, f.target.spec(), f.shared});
  fmt::print("compiled {} for {} (cpu {}): batch {}, {} features, {} classes; state {} bytes, arena {} bytes\n", b.name,
             b.library.triple, b.library.cpu, b.library.batch, b.library.features, b.library.classes,
             b.library.state_bytes, b.library.arena_bytes);
  for (const auto& file : b.files) fmt::print("  {}\n", file.string());
}

}  // namespace

void add_compile_command(CLI::App& app) {
  auto f = std::make_shared<CompileFlags>();
  CLI::App* cmd = app.add_subcommand(
      "compile", "compile a model's training step, evaluation and initialisation ahead of time into a C library");
  add_run_flags(cmd, f->run, /*data_required=*/false);
  cmd->add_option("-o,--output", f->out, "the directory to write NAME.o, libNAME.a, NAME.h (and NAME.prep) into")->required();
  cmd->add_option("--name", f->name, "the library's name, which prefixes every symbol (default: the model's name)");
  cmd->add_option("--features", f->features, "input features when no --data is given")->check(kInt64)->check(kPositive);
  cmd->add_option("--classes", f->classes, "classes when no --data is given")->check(kInt64)->check(kPositive);
  cmd->add_flag("--shared", f->shared, "also link libNAME.so with the system C compiler (this machine's target only)");
  add_target_flags(cmd, f->target);
  cmd->callback([f] { run_compile(*f); });
}

}  // namespace minigrad::tools
