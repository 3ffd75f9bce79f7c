// minigradc dump-ir MODEL --stage traced|fused|autodiff|optimized|planned
// [--format text|dot]: the IR of a model at one stage of the pipeline, for the data
// shape of --data or of --features/--classes. The planned stage adds, after each
// function, its memory plan: the planned peak against the unplanned sum, and every
// value's offset and live range (as comments, so the text still parses).
#include <cstdio>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "frontend/tracer.h"
#include "ir/dot.h"
#include "ir/error.h"
#include "ir/printer.h"
#include "passes/memory_plan.h"
#include "passes/pipeline.h"
#include "passes/plan_memory.h"
#include "runtime/experiment.h"
#include "tools/commands.h"
#include "tools/run_flags.h"

namespace minigrad::tools {
namespace {

struct DumpFlags {
  RunFlags run;
  std::string stage = "traced", format = "text", output;
  int64_t features = 128, classes = 10;
  bool no_locs = false;
};

ir::Module build(const DumpFlags& f) {
  runtime::RunConfig c = f.run.finish();
  int64_t features = f.features, classes = f.classes;
  if (!c.data_dir.empty()) {
    runtime::PreparedData p = runtime::prepare_data(c);
    features = p.data.train.features(), classes = p.data.num_classes;
  }
  runtime::ModelSource src = runtime::load_model(c.model);
  runtime::ModelParts parts = runtime::build_model(c, src, features, classes);
  ir::Module m = trace(*parts.net, *parts.loss, *parts.optimizer, TraceSpec{src.name, c.batch, features, classes, false});
  passes::Stage stage = *passes::parse_stage(f.stage);
  if (stage != passes::Stage::Traced) passes::run_pipeline(m, c.pipeline, stage);
  return m;
}

// The memory plan of every function, as comments: with every value after text,
// only the summary before DOT.
std::string plans(const ir::Module& m, bool values) {
  std::string s;
  for (const ir::Function& fn : m.funcs)
    s += values ? passes::describe_plans(fn) : passes::describe_plan(fn, passes::plan_memory(fn), false);
  return s;
}

void run_dump(const DumpFlags& f) {
  ir::Module m = build(f);
  bool planned = f.stage == "planned";
  std::string text = f.format == "dot" ? (planned ? plans(m, false) : "") + ir::to_dot(m)
                                       : ir::print(m, {!f.no_locs}) + (planned ? plans(m, true) : "");
  if (f.output.empty()) {
    fmt::print("{}", text);
    return;
  }
  std::ofstream out(f.output);
  if (!(out << text)) fail("{}: cannot write", f.output);
}

}  // namespace

void add_dump_ir_command(CLI::App& app) {
  auto f = std::make_shared<DumpFlags>();
  CLI::App* cmd = app.add_subcommand("dump-ir", "print a model's IR at one stage of the pipeline");
  add_run_flags(cmd, f->run, /*data_required=*/false);
  cmd->add_option("--stage", f->stage, passes::kStageNames)
      ->check(CLI::IsMember({"traced", "fused", "autodiff", "optimized", "planned"}))
      ->capture_default_str();
  cmd->add_option("--format", f->format, "text or dot")->check(CLI::IsMember({"text", "dot"}))->capture_default_str();
  cmd->add_option("--features", f->features, "input features when no --data is given")->check(kPositive)->capture_default_str();
  cmd->add_option("--classes", f->classes, "classes when no --data is given")->check(kPositive)->capture_default_str();
  cmd->add_flag("--no-locs", f->no_locs, "leave out the source locations");
  cmd->add_option("-o,--output", f->output, "write to this file instead of standard output");
  cmd->callback([f] { run_dump(*f); });
}

}  // namespace minigrad::tools
