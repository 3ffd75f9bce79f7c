// The pass manager and the pipeline: the order of passes, switching passes off
// (autodiff cannot be), the instrumentation (printing after passes, only after
// changes, a dump directory, timings, node statistics), verification naming the
// pass that broke the module, and the fused nodes of the seed model (each kind
// present, its body following docs/fusion-kinds.md, its locations kept).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <unistd.h>

#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "passes/fusion.h"
#include "passes/fusion_contract.h"
#include "passes/memory_plan.h"
#include "passes/pass_manager.h"
#include "passes/plan_memory.h"
#include "passes/registry.h"
#include "tests/passes/models.h"

namespace minigrad::passes {
namespace {

using testing::ModelCase;

ir::Module seed(int64_t batch = 8) { return testing::trace_case({"seed", "seed_mlp", {{"width", "12"}}}, batch, 6, 4); }

// Runs the pipeline with `o`, its log going to a temporary file; returns the log.
std::string run_logged(ir::Module& m, PipelineOptions o, Stage until = Stage::Planned) {
  std::FILE* log = std::tmpfile();
  o.log = log;
  run_pipeline(m, o, until);
  std::fflush(log);
  std::rewind(log);
  std::string text;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, log)) > 0;) text.append(buf, n);
  std::fclose(log);
  return text;
}

std::map<std::string, int> kinds(const ir::Function& f) {
  std::map<std::string, int> k;
  for (size_t i = 0; i < f.size(); ++i)
    if (f.node(i).op == ir::Op::Fused) ++k[f.node(i).attrs.s("kind")];
  return k;
}

TEST(Pipeline, OrderIsTheDesignsAndEveryPassIsRegistered) {
  std::vector<std::string> names;
  for (const PipelineEntry& e : default_pipeline()) {
    names.emplace_back(e.pass);
    EXPECT_NE(find_pass(e.pass), nullptr) << e.pass;
    EXPECT_FALSE(e.reason.empty()) << e.pass;
  }
  auto at = [&](const char* n) { return std::find(names.begin(), names.end(), n) - names.begin(); };
  EXPECT_LT(at("canonicalize"), at("fuse-softmax-xent"));
  EXPECT_LT(at("fuse-softmax-xent"), at("autodiff"));
  EXPECT_LT(at("autodiff"), at("cse"));
  EXPECT_LT(at("dce"), at("fuse-elementwise"));
  EXPECT_EQ(names.back(), "plan-memory");
  EXPECT_EQ(names.size(), all_passes().size());
}

TEST(Pipeline, SeedModelGetsEveryFusedKind) {
  ir::Module m = seed();
  run_pipeline(m);
  std::map<std::string, int> k = kinds(*m.find_func("train_step"));
  EXPECT_EQ(k["loss_grad"], 1);
  EXPECT_EQ(k["bn_act"], 1);
  EXPECT_EQ(k["bn_act_grad"], 1);
  EXPECT_EQ(k["matmul"], 2);          // both layers' x W + b
  EXPECT_EQ(k["matmul_update"], 2);   // both weights' Adam updates in their gradients' GEMMs
  EXPECT_GE(k["elementwise"], 6);     // 6 parameter updates, bias corrections, running statistics
  EXPECT_TRUE(m.find_func("train_step")->nodes_of(ir::Op::Grad).empty());
  check_fusion_contract(m);
}

TEST(Pipeline, FusedNodesKeepTheLocationsOfTheirParts) {
  ir::Module m = seed();
  run_pipeline(m);
  for (const ir::Function& f : m.funcs)
    for (size_t i = 0; i < f.size(); ++i) {
      const ir::Node& n = f.node(i);
      if (n.op != ir::Op::Fused) continue;
      EXPECT_FALSE(n.locs.empty());
      std::set<std::string> have;
      for (const ir::SourceLoc& l : n.locs) EXPECT_TRUE(have.insert(ir::to_string(l)).second) << "duplicate location";
      for (size_t j = 0; j < n.body->size(); ++j)
        for (const ir::SourceLoc& l : n.body->node(j).locs)
          EXPECT_TRUE(have.count(ir::to_string(l))) << ir::to_string(l) << " of a part is missing";
    }
}

TEST(Pipeline, AutodiffCannotBeDisabled) {
  ir::Module m = seed();
  PipelineOptions o;
  o.disabled = {"autodiff"};
  try {
    run_pipeline(m, o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("autodiff cannot be disabled"), std::string::npos) << e.what();
  }
}

TEST(Pipeline, UnknownNamesAreErrorsListingThePasses) {
  PipelineOptions o;
  o.disabled = {"fuse-everything"};
  EXPECT_THROW(check_options(o), Error);
  o.disabled.clear();
  o.print_after = {"nope"};
  try {
    check_options(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fuse-elementwise"), std::string::npos) << e.what();
  }
}

TEST(Pipeline, DisabledPassesDoNotRun) {
  ir::Module m = seed();
  PipelineOptions o;
  o.disabled = {"fuse-bn-leaky-relu", "fuse-loss-grad"};
  run_pipeline(m, o);
  std::map<std::string, int> k = kinds(*m.find_func("train_step"));
  EXPECT_EQ(k.count("bn_act") + k.count("bn_act_grad") + k.count("loss_grad"), 0u);
  EXPECT_GE(k["matmul"], 1);

  ir::Module none = seed();
  o.disabled = {"all"};
  run_pipeline(none, o);
  EXPECT_TRUE(kinds(*none.find_func("train_step")).empty());
  EXPECT_TRUE(none.find_func("train_step")->nodes_of(ir::Op::Grad).empty()) << "autodiff still ran";
}

TEST(Pipeline, StopsAtAStage) {
  ir::Module m = seed();
  run_pipeline(m, {}, Stage::Fused);
  EXPECT_EQ(m.find_func("train_step")->nodes_of(ir::Op::Grad).size(), 1u);
  run_pipeline(m, {}, Stage::Autodiff);
  EXPECT_TRUE(m.find_func("train_step")->nodes_of(ir::Op::Grad).empty());
  EXPECT_TRUE(kinds(*m.find_func("train_step")).empty());
}

TEST(Instrumentation, PrintAfterNamedPasses) {
  ir::Module m = seed();
  PipelineOptions o;
  o.print_after = {"cse", "plan-memory"};
  std::string log = run_logged(m, o);
  EXPECT_NE(log.find("// ----- IR after cse -----\nmodule @seed_mlp"), std::string::npos) << log.substr(0, 300);
  EXPECT_EQ(log.find("IR after dce"), std::string::npos);
  EXPECT_NE(log.find("// ----- IR after plan-memory (unchanged) -----"), std::string::npos);
  EXPECT_NE(log.find("// @train_step: planned peak"), std::string::npos) << "plan-memory shows its plan";
}

TEST(Instrumentation, PrintChangedPrintsOnlyChanges) {
  ir::Module m = seed();
  PipelineOptions o;
  o.print_changed = true;
  std::string log = run_logged(m, o);
  EXPECT_NE(log.find("IR after autodiff"), std::string::npos);
  EXPECT_NE(log.find("IR after fuse-elementwise"), std::string::npos);
  EXPECT_EQ(log.find("IR after canonicalize"), std::string::npos) << "the seed model has nothing to canonicalise";
  EXPECT_EQ(log.find("IR after plan-memory"), std::string::npos);
}

TEST(Instrumentation, PrintAfterAllSaysWhichPassesAreOff) {
  ir::Module m = seed();
  PipelineOptions o;
  o.print_after_all = true;
  o.disabled = {"cse"};
  std::string log = run_logged(m, o);
  EXPECT_NE(log.find("// ----- cse is disabled -----"), std::string::npos);
  EXPECT_NE(log.find("IR after dce"), std::string::npos);
}

TEST(Instrumentation, DumpDirHasOneParsableFilePerPass) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / fmt::format("minigrad_dump_test_{}", ::getpid());
  std::filesystem::remove_all(dir);
  ir::Module m = seed();
  PipelineOptions o;
  o.dump_dir = dir.string();
  o.disabled = {"cse"};
  run_pipeline(m, o);
  EXPECT_TRUE(std::filesystem::exists(dir / "00-input.mgir"));
  EXPECT_FALSE(std::filesystem::exists(dir / "06-cse.mgir")) << "a disabled pass writes nothing";
  size_t i = 0;
  for (const PipelineEntry& e : default_pipeline()) {
    ++i;
    if (e.pass == "cse") continue;
    std::filesystem::path file = dir / fmt::format("{:02}-{}.mgir", i, e.pass);
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    EXPECT_NO_THROW(ir::parse_module_file(file.string())) << file;
  }
  std::string last = fmt::format("{:02}-plan-memory.mgir", default_pipeline().size());
  EXPECT_EQ(ir::print(ir::parse_module_file((dir / last).string())), ir::print(m));
  std::filesystem::remove_all(dir);
}

TEST(Instrumentation, TimePassesAndStats) {
  ir::Module m = seed();
  PipelineOptions o;
  o.time_passes = true;
  o.stats = true;
  std::string log = run_logged(m, o);
  EXPECT_NE(log.find("===== pass timing ====="), std::string::npos);
  for (const PipelineEntry& e : default_pipeline()) EXPECT_NE(log.find(std::string(e.pass)), std::string::npos);
  EXPECT_NE(log.find("total"), std::string::npos);
  EXPECT_NE(log.find("===== nodes of @train_step by pass ====="), std::string::npos);
  EXPECT_NE(log.find("grad 1->0"), std::string::npos) << log;
  EXPECT_NE(log.find("fused.bn_act 0->1"), std::string::npos) << log;
}

TEST(Instrumentation, DebugFusionExplainsDeclines) {
  // Batch norm followed by sigmoid: fuse-bn-leaky-relu declines and says why.
  ir::Module m = testing::trace_case({"sig", "mlp", {{"depth", "1"}, {"width", "6"}, {"activation", "sigmoid"}}}, 4, 5, 3);
  PipelineOptions o;
  o.debug_fusion = true;
  std::string log = run_logged(m, o);
  EXPECT_NE(log.find("[fuse-bn-leaky-relu] @train_step: not fused:"), std::string::npos) << log;
  EXPECT_NE(log.find("not only by relu or leaky_relu"), std::string::npos) << log;
  EXPECT_NE(log.find("[fuse-matmul-update] @train_step: fused the update of '0.weight'"), std::string::npos) << log;
  EXPECT_NE(log.find("[fuse-optimizer] @train_step: fused the update of '0.bias'"), std::string::npos) << log;
}

// A pass that breaks the module: a second output with the same name.
class Breaker : public Pass {
 public:
  std::string_view name() const override { return "breaker"; }
  bool run(ir::Module& m) override {
    ir::Function& f = m.funcs[0];
    f.append(ir::Op::Output, {f.node(0).result()}, {{"name", std::string("loss")}});
    return true;
  }
};

// A fusion that labels an elementwise group "matmul": against the contract.
class BadFuser : public Pass {
 public:
  std::string_view name() const override { return "bad-fuser"; }
  bool run(ir::Module& m) override {
    ir::Function& f = *m.find_func("train_step");
    for (size_t i = 0; i + 1 < f.size(); ++i)
      if (f.node(i).op == ir::Op::Mul && f.node(i + 1).op == ir::Op::Add &&
          f.node(i + 1).operands[1] == f.node(i).result()) {
        fuse_groups(f, {{{i, i + 1}, ir::FusedKind::Matmul, {}, {}}});
        return true;
      }
    return false;
  }
};

TEST(Instrumentation, FusedNodesAgainstTheirContractAreErrors) {
  ir::Module m = seed();
  PassManager pm({});
  pm.add(make_pass("autodiff"));
  pm.add(std::make_unique<BadFuser>());
  try {
    pm.run(m);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not follow docs/fusion-kinds.md: the first compute node is not matmul"),
              std::string::npos) << e.what();
  }
}

TEST(Instrumentation, VerificationFailureNamesThePass) {
  ir::Module m = seed();
  PassManager pm({});
  pm.add(make_pass("autodiff"));
  pm.add(std::make_unique<Breaker>());
  try {
    pm.run(m);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("after pass breaker: IR verification failed"), std::string::npos) << e.what();
  }
}

TEST(PlanMemory, PlannedPeakIsBelowTheSumAfterTheWholePipeline) {
  ir::Module m = seed(64);
  run_pipeline(m);
  for (const ir::Function& f : m.funcs) {
    MemoryPlan plan = plan_memory(f);
    EXPECT_GT(plan.arena_bytes, 0);
    EXPECT_LT(plan.arena_bytes, plan.unplanned_bytes) << f.name();
  }
}

TEST(PlanMemory, InPlaceResultsOnlyOverElementwiseOperandsOfTheirType) {
  for (const ModelCase& c : testing::model_cases()) {
    ir::Module m = testing::trace_case(c, 16, 6, 4);
    run_pipeline(m);
    for (const ir::Function& f : m.funcs) {
      MemoryPlan plain = plan_memory(f), in_place = plan_memory(f, {.in_place = true});
      EXPECT_NO_THROW(check_plan(f, in_place)) << c.label;
      EXPECT_LE(in_place.arena_bytes, plain.arena_bytes) << c.label;
      EXPECT_EQ(in_place.unplanned_bytes, plain.unplanned_bytes);
      for (ir::ValueId v = 0; v < f.num_values(); ++v) {
        EXPECT_EQ(plain.reuses[size_t(v)], -1);
        ir::ValueId r = in_place.reuses[size_t(v)];
        if (r < 0) continue;
        const ir::Node& n = *f.value(v).def;
        EXPECT_TRUE(n.info().has(ir::kElementwise) || (n.op == ir::Op::Fused && n.attrs.s("kind") == "elementwise"));
        EXPECT_EQ(f.type(r), f.type(v));
        EXPECT_EQ(in_place.offset[size_t(r)], in_place.offset[size_t(v)]);
        EXPECT_NE(std::find(n.operands.begin(), n.operands.end(), r), n.operands.end());
      }
    }
  }
}

TEST(PlanMemory, CheckPlanFindsOverlaps) {
  ir::Module m = seed();
  run_pipeline(m);
  const ir::Function& f = *m.find_func("train_step");
  MemoryPlan plan = plan_memory(f);
  for (int64_t& o : plan.offset)
    if (o >= 0) o = 0;  // everything at one place
  EXPECT_THROW(check_plan(f, plan), Error);
}

}  // namespace
}  // namespace minigrad::passes
