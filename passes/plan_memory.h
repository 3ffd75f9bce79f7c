// plan-memory: the memory planning stage. For every function it computes the
// liveness-based buffer plan of passes/memory_plan.h (first fit over live
// intervals in one arena), checks it (no two values live at once share a byte,
// every value fits in the arena; the same for the in-place plan), and shows it: --print-after=plan-memory,
// --dump-dir and `dump-ir --stage planned` print each function's planned peak
// against the unplanned sum and every value's offset, size and live range as
// comments after the IR (which still parses back).
// It applies last, to the final graph (planning before fusion would plan buffers
// that fusion removes); a backend calls plan_memory() itself. It does not change
// the IR, plan sources or fused bodies' internals, or reorder nodes to lower the
// peak.
#pragma once

#include <string>

#include "passes/memory_plan.h"
#include "passes/pass.h"

namespace minigrad::passes {

class PlanMemory : public Pass {
 public:
  std::string_view name() const override { return "plan-memory"; }
  bool run(ir::Module& m) override;
  std::string print(const ir::Module& m, const ir::PrintOptions& opts) const override;
};

// Error if two values live at the same time share bytes or a value overruns the
// arena; names both values.
void check_plan(const ir::Function& f, const MemoryPlan& plan);

// The plan as comment lines: a summary ("// @train_step: planned peak N bytes,
// unplanned sum M bytes, ...") and, if `values`, one line per planned value.
std::string describe_plan(const ir::Function& f, const MemoryPlan& plan, bool values = true);

// The default plan described with every value, then the peak the in-place
// option would give.
std::string describe_plans(const ir::Function& f);

}  // namespace minigrad::passes
