// The registry of passes; see registry.h.
#include "passes/registry.h"

#include "ir/error.h"
#include "passes/algebraic_simplify.h"
#include "passes/all_reduce_grads.h"
#include "passes/autodiff.h"
#include "passes/canonicalize.h"
#include "passes/constant_fold.h"
#include "passes/cse.h"
#include "passes/dce.h"
#include "passes/fuse_bn_leaky_relu.h"
#include "passes/fuse_elementwise.h"
#include "passes/fuse_loss_grad.h"
#include "passes/fuse_matmul_epilogue.h"
#include "passes/fuse_matmul_update.h"
#include "passes/fuse_optimizer.h"
#include "passes/fuse_softmax_xent.h"
#include "passes/lower_batch_norm_eval.h"
#include "passes/overlap_all_reduce.h"
#include "passes/plan_memory.h"

namespace minigrad::passes {
namespace {

template <typename P>
std::unique_ptr<Pass> make() {
  return std::make_unique<P>();
}

}  // namespace

const std::vector<PassInfo>& all_passes() {
  static const std::vector<PassInfo> kPasses = {
      {"canonicalize", "constants second in add/mul; log(softmax) -> log_softmax", false, make<Canonicalize>},
      {"fuse-softmax-xent", "log_softmax + nll -> softmax_xent", false, make<FuseSoftmaxXent>},
      {"all-reduce-grads", "sums each gradient of a data-parallel step over the ranks (all_reduce)", true,
       make<AllReduceGrads>},
      {"autodiff", "expands grad nodes into the backward graph", true, make<Autodiff>},
      {"constant-fold", "ops on constants -> constants", false, make<ConstantFold>},
      {"algebraic-simplify", "x*1, x+0, neg(neg x), ... -> simpler", false, make<AlgebraicSimplify>},
      {"cse", "repeated computations -> one", false, make<Cse>},
      {"dce", "removes unused nodes", false, make<Dce>},
      {"lower-batch-norm-eval", "batch_norm_eval -> (x - mean) * scale + beta", false, make<LowerBatchNormEval>},
      {"fuse-loss-grad", "softmax-xent backward -> fused loss_grad", false, make<FuseLossGrad>},
      {"fuse-bn-leaky-relu", "batch norm + (leaky) relu -> fused bn_act / bn_act_grad", false, make<FuseBnLeakyRelu>},
      {"fuse-matmul-update", "weight-gradient matmul + its parameter's update -> fused matmul_update", false,
       make<FuseMatmulUpdate>},
      {"fuse-optimizer", "each parameter's update -> one fused elementwise loop", false, make<FuseOptimizer>},
      {"fuse-matmul-epilogue", "matmul + bias/activation -> fused matmul", false, make<FuseMatmulEpilogue>},
      {"fuse-elementwise", "elementwise chains -> fused elementwise loops", false, make<FuseElementwise>},
      {"overlap-all-reduce", "a data-parallel step's gradient all_reduces -> bucketed start/wait pairs, each started "
                             "after its gradients", false, make<OverlapAllReduce>},
      {"plan-memory", "liveness-based buffer plan, checked and shown", false, make<PlanMemory>},
  };
  return kPasses;
}

const PassInfo* find_pass(std::string_view name) {
  for (const PassInfo& p : all_passes())
    if (p.name == name) return &p;
  return nullptr;
}

std::unique_ptr<Pass> make_pass(std::string_view name) {
  const PassInfo* p = find_pass(name);
  if (p == nullptr) fail("no pass named '{}' (passes: {})", name, pass_names());
  return p->make();
}

std::string pass_names() {
  std::string s;
  for (const PassInfo& p : all_passes()) s += (s.empty() ? "" : ", ") + std::string(p.name);
  return s;
}

}  // namespace minigrad::passes
