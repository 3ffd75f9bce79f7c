// Memory planning: values whose lifetimes overlap never share bytes, and the
// seed model's train step needs less than the sum of its values.
#include <gtest/gtest.h>

#include "frontend/dsl.h"
#include "frontend/tracer.h"
#include "ir/error.h"
#include "ir/parser.h"
#include "passes/autodiff.h"
#include "passes/memory_plan.h"

namespace minigrad::passes {
namespace {

ir::Module seed_module(int64_t batch) {
  ModelArgs args;
  args.in_features = 128, args.num_classes = 10;
  nn::Model model = builtin_models().at("seed_mlp").build(args);
  nn::CrossEntropyLoss loss(0.3);
  optim::Adam adam(1e-3, 1e-3);
  ir::Module m = trace(*model.net, loss, adam, {"seed_mlp", batch, 128, 10});
  Autodiff().run(m);
  return m;
}

TEST(MemoryPlan, LiveValuesNeverOverlap) {
  ir::Module m = seed_module(64);
  for (const ir::Function& f : m.funcs) {
    MemoryPlan plan = plan_memory(f);
    std::vector<size_t> def(static_cast<size_t>(f.num_values())), last(static_cast<size_t>(f.num_values()));
    for (size_t i = 0; i < f.size(); ++i) {
      for (ir::ValueId r : f.node(i).results) def[size_t(r)] = last[size_t(r)] = i;
      for (ir::ValueId v : f.node(i).operands) last[size_t(v)] = i;
    }
    for (ir::ValueId a = 0; a < f.num_values(); ++a)
      for (ir::ValueId b = a + 1; b < f.num_values(); ++b) {
        int64_t oa = plan.offset[size_t(a)], ob = plan.offset[size_t(b)];
        if (oa < 0 || ob < 0) continue;
        bool live_together = def[size_t(a)] <= last[size_t(b)] && def[size_t(b)] <= last[size_t(a)];
        bool share = oa < ob + int64_t(f.type(b).bytes()) && ob < oa + int64_t(f.type(a).bytes());
        EXPECT_FALSE(live_together && share) << "%" << a << " and %" << b << " in @" << f.name();
        EXPECT_LE(oa + int64_t(f.type(a).bytes()), plan.arena_bytes);
      }
    EXPECT_LT(plan.arena_bytes, plan.unplanned_bytes) << f.name();
  }
}

TEST(MemoryPlan, SourcesAreNotPlanned) {
  ir::Module m = seed_module(8);
  const ir::Function& f = *m.find_func("train_step");
  MemoryPlan plan = plan_memory(f);
  for (size_t i = 0; i < f.size(); ++i)
    if (f.node(i).info().has(ir::kSource)) {
      EXPECT_EQ(plan.offset[size_t(f.node(i).result())], -1);
    }
}

// Four live values of 2^61 bytes each: legal IR, but the arena would be 2^63
// bytes, which no int64_t offset holds. Checked arithmetic makes it an Error
// rather than offsets that wrap to negative numbers.
TEST(MemoryPlan, AnArenaLargerThan64BitsIsAnError) {
  ir::Module m = ir::parse_module(R"(module @m {
  func @f {
    %x: f32[576460752303423488] = input {name="x"}
    %a: f32[576460752303423488] = exp(%x)
    %b: f32[576460752303423488] = exp(%x)
    %c: f32[576460752303423488] = exp(%x)
    %d: f32[576460752303423488] = exp(%x)
    %ab: f32[576460752303423488] = add(%a, %b)
    %cd: f32[576460752303423488] = add(%c, %d)
    %y: f32[576460752303423488] = add(%ab, %cd)
    output(%y) {name="y"}
  }
})");
  try {
    plan_memory(*m.find_func("f"));
    ADD_FAILURE() << "no error";
  } catch (const minigrad::Error& e) {
    EXPECT_NE(std::string(e.what()).find("memory plan: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("does not fit a 64-bit integer"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace minigrad::passes
