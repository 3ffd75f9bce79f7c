// minigradc dump-ir MODEL --stage traced|fused|autodiff|optimized|planned|llvm|asm
// [--format text|dot|svg|png] [--function NAME]: the IR of a model at one stage of
// the pipeline, for the data shape of --data or of --features/--classes; svg and png
// are the DOT graph drawn by graphviz (--collapse-fused for large steps). The
// planned stage adds, after each function, its memory plan: the planned peak
// against the unplanned sum, and every value's offset and live range (as comments,
// so the text still parses); --plan-chart FILE.svg draws that plan. The llvm and asm stages go past the pipeline into the JIT: the
// LLVM IR the backend generates for each function, after LLVM's O3 pipeline for
// this CPU, or the host assembly it compiles to; with --target TRIPLE [--cpu CPU],
// for that machine instead (tools/target_flags.h), which the JIT never runs.
#include <cstdio>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "frontend/tracer.h"
#include "ir/dot.h"
#include "ir/error.h"
#include "runtime/atomic_file.h"
#include "ir/printer.h"
#include "backend/llvm/jit_backend.h"
#include "passes/memory_plan.h"
#include "passes/pipeline.h"
#include "passes/plan_chart.h"
#include "passes/plan_memory.h"
#include "runtime/experiment.h"
#include "tools/commands.h"
#include "tools/graphviz.h"
#include "tools/run_flags.h"
#include "tools/target_flags.h"

namespace minigrad::tools {
namespace {

struct DumpFlags {
  RunFlags run;
  TargetFlags target;  // the llvm and asm stages: the machine to generate code for
  std::string stage = "traced", format = "text", output, function, plan_chart;
  int64_t features = 128, classes = 10;
  int ranks = 1, rank = 0;
  bool no_locs = false, collapse_fused = false, no_sync_batchnorm = false, no_mask_rows = false;
};

// The stages past the pass pipeline, which the JIT backend produces.
bool backend_stage(const std::string& stage) { return stage == "llvm" || stage == "asm"; }

ir::Module build(const DumpFlags& f) {
  runtime::RunConfig c = f.run.finish();
  int64_t features = f.features, classes = c.num_classes > 0 ? c.num_classes : f.classes;
  if (!c.data_dir.empty()) {
    runtime::PreparedData p = runtime::prepare_data(c);
    features = p.data.train.features(), classes = p.data.num_classes;
  }
  runtime::ModelSource src = runtime::load_model(c.model);
  runtime::probe_model(c, src, features, classes, c.batch);
  runtime::ModelParts parts = runtime::build_model(c, src, features, classes);
  TraceSpec spec{src.name, c.batch, features, classes, false, {}};
  spec.masked_rows = !f.no_mask_rows && f.ranks <= 1;  // as train's steps (runtime/program.h)
  if (f.ranks > 1) {  // rank `rank`'s train_step of a data-parallel run (runtime/program.h's shard_of)
    if (f.rank >= f.ranks) fail("--rank {}: ranks are 0 to {}", f.rank, f.ranks - 1);
    if (c.batch < f.ranks) fail("--ranks {}: a batch of {} rows cannot be shared by {} ranks", f.ranks, c.batch, f.ranks);
    runtime::Shard s = runtime::shard_of(c.batch, f.rank, f.ranks);
    spec.batch = s.rows;
    spec.sharding = Sharding{f.ranks, s.rows, c.batch, s.offset, !f.no_sync_batchnorm};
  }
  ir::Module m = trace(*parts.net, *parts.loss, *parts.optimizer, spec);
  passes::Stage stage = backend_stage(f.stage) ? passes::Stage::Planned : *passes::parse_stage(f.stage);
  if (stage != passes::Stage::Traced) passes::run_pipeline(m, c.pipeline, stage);
  return m;
}

// The text to standard output or -o.
void emit(const std::string& text, const DumpFlags& f) {
  if (f.output.empty()) {
    fmt::print("{}", text);
    return;
  }
  runtime::write_file_atomic(f.output, text);
}

// The memory plan of every function, as comments: with every value after text,
// only the summary before DOT.
std::string plans(const ir::Module& m, bool values) {
  std::string s;
  for (const ir::Function& fn : m.funcs)
    s += values ? passes::describe_plans(fn) : passes::describe_plan(fn, passes::plan_memory(fn), false);
  return s;
}

// LLVM IR or assembly of --function, or of every function of the module.
std::string backend_text(const ir::Module& m, const DumpFlags& f) {
  if (f.format != "text") fail("dump-ir: --stage {} has no --format {} (only text)", f.stage, f.format);
  int threads = f.run.config.threads;
  if (!f.function.empty()) return jit_dump(m, f.function, f.stage, f.target.spec(), threads);
  std::string text;
  const char* comment = f.stage == "llvm" ? ";" : "#";
  for (const ir::Function& fn : m.funcs)
    text += fmt::format("{} ===== @{} =====\n{}\n", comment, fn.name(), jit_dump(m, fn.name(), f.stage, f.target.spec(), threads));
  return text;
}

// The module with only --function, if one is given.
ir::Module shown_part(const ir::Module& m, const DumpFlags& f) {
  if (f.function.empty()) return m;
  const ir::Function* fn = m.find_func(f.function);
  if (fn == nullptr) fail("dump-ir: model {} has no function @{}", m.name, f.function);
  ir::Module only = m;
  only.funcs = {*fn};
  return only;
}

// The IR text or DOT of --function, or of the whole module.
std::string ir_text(const ir::Module& shown, const DumpFlags& f) {
  bool planned = f.stage == "planned";
  if (f.format == "text") return ir::print(shown, {!f.no_locs}) + (planned ? plans(shown, true) : "");
  return (planned ? plans(shown, false) : "") + ir::to_dot(shown, {.collapse_fused = f.collapse_fused});
}

// --plan-chart: the memory plan of every function shown, as SVG.
void write_plan_chart(const ir::Module& shown, const DumpFlags& f) {
  if (f.stage != "planned")
    fail("dump-ir: --plan-chart draws the memory plan, which is made at --stage planned (not --stage {})", f.stage);
  if (!f.plan_chart.ends_with(".svg")) fail("dump-ir: --plan-chart {}: the chart is SVG; name a .svg file", f.plan_chart);
  std::vector<passes::PlannedFunction> planned;
  for (const ir::Function& fn : shown.funcs) planned.push_back({&fn, passes::plan_memory(fn)});
  runtime::write_file_atomic(f.plan_chart, passes::plan_chart_svg("Memory plan of " + shown.name, planned));
}

void run_dump(const DumpFlags& f) {
  bool image = f.format == "svg" || f.format == "png";
  if (image && f.output.empty()) fail("dump-ir: --format {} draws an image: give the file with -o FILE.{}", f.format, f.format);
  ir::Module m = build(f);
  if (backend_stage(f.stage)) {
    if (!f.plan_chart.empty()) fail("dump-ir: --plan-chart needs --stage planned (not --stage {})", f.stage);
    return emit(backend_text(m, f), f);
  }
  if (!f.target.spec().is_host())
    fail("dump-ir: --target, --cpu and --target-features choose the machine code of --stage llvm or asm (not --stage {})",
         f.stage);
  ir::Module shown = shown_part(m, f);
  if (!f.plan_chart.empty()) write_plan_chart(shown, f);
  if (image) return render_dot(ir_text(shown, f), f.format, f.output);
  emit(ir_text(shown, f), f);
}

}  // namespace

void add_dump_ir_command(CLI::App& app) {
  auto f = std::make_shared<DumpFlags>();
  CLI::App* cmd = app.add_subcommand("dump-ir", "print a model's IR at one stage of the pipeline");
  add_run_flags(cmd, f->run, /*data_required=*/false);
  cmd->add_option("--stage", f->stage, std::string(passes::kStageNames) + "|llvm|asm (after the JIT's O3)")
      ->check(CLI::IsMember({"traced", "fused", "autodiff", "optimized", "planned", "llvm", "asm"}))
      ->capture_default_str();
  cmd->add_option("--format", f->format, "text, dot, or an image of the DOT graph drawn by graphviz: svg, png (with -o)")
      ->check(CLI::IsMember({"text", "dot", "svg", "png"}))
      ->capture_default_str();
  cmd->add_flag("--collapse-fused", f->collapse_fused, "dot/svg/png: a fused node shows its kind and op count, not its ops");
  cmd->add_option("--plan-chart", f->plan_chart, "with --stage planned: draw the memory plan into this .svg file");
  cmd->add_option("--features", f->features, "input features when no --data is given")->check(kInt64)->check(kPositive)->capture_default_str();
  cmd->add_option("--classes", f->classes, "classes when no --data is given (--num-classes, if given, wins)")->check(kInt64)->check(kPositive)->capture_default_str();
  cmd->add_option("--function", f->function, "only this function (train_step or eval)");
  add_target_flags(cmd, f->target);
  cmd->add_flag("--no-locs", f->no_locs, "leave out the source locations");
  cmd->add_option("--ranks", f->ranks,
                  "show the train_step of one rank of a data-parallel run over N ranks (mpirun -np N train): its "
                  "shard of --batch-size, its all_reduces (no MPI needed)")
      ->check(kInt)->check(kPositive);
  cmd->add_option("--rank", f->rank, "with --ranks: which rank (default 0)")->check(kInt)->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-sync-batchnorm", f->no_sync_batchnorm, "with --ranks: batch norm over each rank's rows");
  cmd->add_flag("--no-mask-rows", f->no_mask_rows,
                "trace for exactly --batch-size rows, without the n_rows input (docs/ir.md, \"Partial batches\")");
  cmd->add_option("-o,--output", f->output, "write to this file instead of standard output");
  cmd->callback([f] {
    single_process("dump-ir");
    run_dump(*f);
  });
}

}  // namespace minigrad::tools
