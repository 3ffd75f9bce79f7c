// The pass pipeline; see pipeline.h. The list below is the order of DESIGN.md:
// canonicalise, fuse softmax + cross-entropy, autodiff, simplify, the other
// fusions, memory planning.
#include "passes/pipeline.h"

#include "ir/error.h"
#include "ir/verifier.h"
#include "passes/pass_manager.h"
#include "passes/registry.h"

namespace minigrad::passes {

const std::vector<PipelineEntry>& default_pipeline() {
  static const std::vector<PipelineEntry> kPipeline = {
      {"canonicalize", "one form per computation (constants second, log_softmax), so the patterns below match once",
       Stage::Fused},
      {"fuse-softmax-xent", "before autodiff, so the backward is the stable (softmax - target) / N", Stage::Fused},
      {"all-reduce-grads", "a data-parallel step's gradients summed over the ranks before the update reads them; "
                           "before autodiff, which fills in what they sum; required", Stage::Fused},
      {"autodiff", "writes the backward graph; required", Stage::Autodiff},
      {"constant-fold", "folds the scalars that autodiff and the optimiser write (g/N, 1 - beta)", Stage::Optimized},
      {"algebraic-simplify", "removes the identities VJP rules leave (x*1, x+0, neg(neg x)) after folding",
       Stage::Optimized},
      {"cse", "shares repeated constants and subexpressions, so fusion sees one producer", Stage::Optimized},
      {"dce", "drops what the simplifications left unused, before fusion counts uses", Stage::Optimized},
      {"lower-batch-norm-eval", "evaluation-mode batch norm as elementwise arithmetic, so the matmul epilogue takes "
                                "it and its activation", Stage::Optimized},
      {"fuse-loss-grad", "the softmax-xent VJP as one row-wise kernel, before elementwise fusion splits it",
       Stage::Optimized},
      {"fuse-bn-leaky-relu", "batch norm and its activation, forward and backward, before the matmul epilogues take "
                             "the activation", Stage::Optimized},
      {"fuse-matmul-update", "a weight's update into its gradient's GEMM, before fuse-optimizer makes the update a "
                             "loop of its own", Stage::Optimized},
      {"fuse-optimizer", "one loop per parameter update, before the matmul epilogues take its first nodes",
       Stage::Optimized},
      {"fuse-matmul-epilogue", "bias and activation into the matmul, before elementwise fusion takes them",
       Stage::Optimized},
      {"fuse-elementwise", "the remaining elementwise chains, last, so it only takes what nothing better took",
       Stage::Optimized},
      {"overlap-all-reduce", "the gradient sums started as the backward produces them and waited for where the "
                             "update reads them; on the final graph, after fusion, so nothing moves them again",
       Stage::Optimized},
      {"plan-memory", "liveness-based buffer reuse over the final graph", Stage::Planned},
  };
  return kPipeline;
}

std::string_view stage_name(Stage s) {
  switch (s) {
    case Stage::Traced: return "traced";
    case Stage::Fused: return "fused";
    case Stage::Autodiff: return "autodiff";
    case Stage::Optimized: return "optimized";
    case Stage::Planned: return "planned";
  }
  return "?";
}

std::optional<Stage> parse_stage(std::string_view name) {
  for (Stage s : {Stage::Traced, Stage::Fused, Stage::Autodiff, Stage::Optimized, Stage::Planned})
    if (stage_name(s) == name) return s;
  return std::nullopt;
}

void check_options(const PipelineOptions& options) {
  for (const std::string& d : options.disabled) {
    if (d == "all") continue;
    const PassInfo* info = find_pass(d);
    if (info == nullptr) fail("--disable-pass={}: no such pass (passes: {})", d, pass_names());
    if (info->required)
      fail("--disable-pass={}: {} cannot be disabled: {}", d, d,
           d == "autodiff" ? "the backends need the backward graph it writes"
                           : "without it each rank of a data-parallel run would train on its own shard alone");
  }
  for (const std::string& p : options.print_after)
    if (find_pass(p) == nullptr) fail("--print-after={}: no such pass (passes: {})", p, pass_names());
}

void run_pipeline(ir::Module& m, const PipelineOptions& options, Stage until) {
  check_options(options);
  ir::verify(m);
  PassManager pm(options);
  for (const PipelineEntry& e : default_pipeline())
    if (e.stage <= until) pm.add(make_pass(e.pass));
  pm.run(m);
}

}  // namespace minigrad::passes
