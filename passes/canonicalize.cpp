// Canonical forms; see canonicalize.h.
#include "passes/canonicalize.h"

#include "passes/fusion.h"
#include "passes/rewriter.h"

namespace minigrad::passes {
namespace {

bool defined_by(const ir::Function& f, ir::ValueId v, ir::Op op) {
  const ir::Node* d = f.value(v).def;
  return d != nullptr && d->op == op;
}

// c + x -> x + c, c * x -> x * c: an exact swap (commutative in IEEE arithmetic).
bool constant_second(ir::Function& f, ir::Node& n) {
  if (n.op != ir::Op::Add && n.op != ir::Op::Mul) return false;
  if (!defined_by(f, n.operands[0], ir::Op::Constant) || defined_by(f, n.operands[1], ir::Op::Constant)) return false;
  std::swap(n.operands[0], n.operands[1]);
  return true;
}

// log(softmax(x)) -> log_softmax(x): log(e^x_i / sum_j e^x_j) = x_i - log sum_j e^x_j.
bool stable_log_softmax(Rewriter& rw, size_t i) {
  ir::Function& f = rw.function();
  const ir::Node& n = f.node(i);
  if (n.op != ir::Op::Log || !defined_by(f, n.operands[0], ir::Op::Softmax)) return false;
  ir::ValueId x = f.value(n.operands[0]).def->operands[0];
  ir::Builder b = rw.before(i);
  ir::ValueId ls = b.unary(ir::Op::LogSoftmax, x);
  rw.replace(n, ls);
  return true;
}

// The softmax a rewrite above left without a use goes too (DCE would, later).
void remove_dead_softmax(ir::Function& f) {
  std::vector<int> uses = f.use_counts();
  std::vector<bool> keep(f.size(), true);
  for (size_t i = 0; i < f.size(); ++i)
    if (f.node(i).op == ir::Op::Softmax && uses[static_cast<size_t>(f.node(i).result())] == 0) keep[i] = false;
  f.remove_nodes(keep);
  f.renumber();
}

bool canonicalize(ir::Function& f) {
  Rewriter rw(f);
  for (size_t i = 0; i < f.size(); ++i) {
    if (constant_second(f, f.node(i))) rw.mark_changed();
    size_t before = f.size();
    if (stable_log_softmax(rw, i)) i += f.size() - before;
  }
  bool changed = rw.finish();
  if (changed) remove_dead_softmax(f);
  return changed;
}

}  // namespace

bool Canonicalize::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs) changed = canonicalize(f) || changed;
  return changed;
}

}  // namespace minigrad::passes
