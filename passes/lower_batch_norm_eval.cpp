// Batch normalisation in evaluation mode as elementwise arithmetic; see
// lower_batch_norm_eval.h.
#include "passes/lower_batch_norm_eval.h"

#include "passes/fusion.h"
#include "passes/rewriter.h"

namespace minigrad::passes {
namespace {

// Operands of batch_norm_eval: x [B,F] or [B,F,H,W], gamma, beta, running_mean, running_var [F].
enum Operand { kX, kGamma, kBeta, kMean, kVar };

// (x - mean) * (gamma * rsqrt(var + eps)) + beta, built before node `pos`.
ir::ValueId lower(Rewriter& rw, size_t pos) {
  const ir::Node& n = rw.function().node(pos);
  ir::Builder b = rw.before(pos);
  auto in = [&](Operand o) { return n.operands[static_cast<size_t>(o)]; };
  ir::ValueId scale = b.mul(in(kGamma), b.unary(ir::Op::Rsqrt, b.add(in(kVar), n.attrs.f("eps"))));
  // Images: the [F] vectors as [F, 1, 1], so that they broadcast along the channels.
  const ir::Shape& xs = rw.function().type(in(kX)).shape;
  auto per_channel = [&](ir::ValueId v) { return xs.rank() == 4 ? b.reshape(v, ir::Shape{xs[1], 1, 1}) : v; };
  ir::ValueId mean = per_channel(in(kMean));
  ir::ValueId centred = b.sub(in(kX), mean);
  ir::ValueId scaled = b.mul(centred, per_channel(scale));
  return b.add(scaled, per_channel(in(kBeta)));
}

}  // namespace

bool LowerBatchNormEval::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs) {
    Rewriter rw(f);
    for (size_t i = 0; i < f.size(); ++i) {
      if (f.node(i).op != ir::Op::BatchNormEval) continue;
      note("@{}: lowered {} to elementwise arithmetic", f.name(), describe(f, f.node(i)));
      size_t before = f.size();
      ir::ValueId y = lower(rw, i);
      i += f.size() - before;  // the node itself, past what was inserted before it
      rw.replace(f.node(i), y);
    }
    changed = rw.finish() || changed;
  }
  return changed;
}

}  // namespace minigrad::passes
