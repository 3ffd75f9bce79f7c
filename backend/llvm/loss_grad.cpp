// The loss_grad kernel: the softmax cross-entropy backward of a batch, with the
// loss and the count of correct rows when its body holds them; see fused.h and
// losses.h for the algebra.
#include "backend/llvm/fused_body.h"
#include "backend/llvm/fused_forms.h"
#include "backend/llvm/losses.h"
#include "backend/llvm/rowwise.h"
#include "backend/llvm/vmath.h"

namespace minigrad::jit {
namespace {

using ir::Op;
using llvm::Value;

// Where a loss_grad kernel writes: the body's [N, C] outputs (computed at each
// point), and the loss and the count of correct rows if the body has them.
struct LossGradOutputs {
  std::vector<ir::ValueId> roots;
  std::vector<Value*> root_ptrs;
  Value *loss = nullptr, *count = nullptr;
};

LossGradOutputs loss_grad_outputs(const Kernel& k, const ir::Function& body, const ir::Node* xent,
                                  const ir::Node* hits) {
  LossGradOutputs o;
  BodyShape s = shape_of(body);
  for (size_t j = 0; j < s.outputs.size(); ++j) {
    ir::ValueId v = s.outputs[j]->operands[0];
    const ir::Node& def = *body.value(v).def;
    if (def.op == Op::MaskRows) v = def.operands[0];  // computed unmasked, then zeroed from row n on
    if (xent && v == xent->result()) o.loss = k.out[j].ptr;
    else if (hits && v == hits->result()) o.count = k.out[j].ptr;
    else o.roots.push_back(v), o.root_ptrs.push_back(k.out[j].ptr);
  }
  return o;
}

}  // namespace

// Per row: m = max, s = sum exp(x - m); then p = exp(x - m) / s and the one-hot
// row (1 where the column is the label) go into the body's elementwise tail. The
// loss (softmax_xent) and the count of correct rows, when the body has them, use
// the same m and s: the row's shift is m + log s (losses.h), and the sums are
// those of the softmax_xent and correct kernels, term for term.
// Short rows (rowwise.h) get m and 1 / s by columns first, into scratch, so the
// row pass has no horizontal reduction left; the loss and the count are summed
// in that first pass.
// Masked (a mask_rows(grad, n) output, docs/ir.md "Partial batches"): every row is
// computed (padding rows hold finite zeros), but the loss and the count take rows
// r < n only, the loss's mean divides by n, and the gradient is 0 from row n on:
// the values of mask_rows(grad, n), softmax_xent(x, labels, n), correct(x, labels, n).
void emit_loss_grad(Kernel& k) {
  const ir::Function& body = *k.node.body;
  const ir::Node& sm = special_node(body, Op::Softmax);
  const ir::Node& oh = special_node(body, Op::OneHot);
  const ir::Node* xent = find_special(body, Op::SoftmaxXent);
  const ir::Node* hits = find_special(body, Op::Correct);
  const ir::Shape& shape = body.type(sm.result()).shape;
  int64_t rows = shape[0], classes = shape[1];
  ir::DType d = body.type(sm.result()).dtype, hot = body.type(oh.result()).dtype;
  Value* x = operand_of(k, body, sm.operands[0]).ptr;
  Value* labels = operand_of(k, body, oh.operands[0]).ptr;
  int64_t site = k.sites->add(xent ? *xent : hits ? *hits : oh, Check::Label, classes);
  double ls = xent ? xent->attrs.f("label_smoothing") : 0;
  LossGradOutputs outs = loss_grad_outputs(k, body, xent, hits);
  BodyAtPoint point(k, body, shape, outs.roots, {sm.result(), oh.result()}, false);
  point.prologue();
  Emitter& e = k.e;
  auto& b = e.b();
  const ir::Node* mask = find_special(body, Op::MaskRows);
  Value* n = mask ? checked_row_count(k, operand_of(k, body, mask->operands[1]).ptr, rows) : nullptr;
  check_labels(k, labels, e.idx(rows), classes, site);  // all of them, in row order, before x is read at a label
  bool columns = by_columns(e, d, classes);
  Value* max_at = k.scratch;
  Value* inv_at = e.at(d, k.scratch, e.idx(rows));
  Value* zero = llvm::ConstantFP::get(b.getDoubleTy(), 0.0);
  Values totals{zero, b.getInt32(0)};  // the loss's sum (f64), the count (i32)
  if (columns) {
    unsigned w = e.width(d);
    Values init{e.splat(zero, w), e.constant(ir::DType::I32, 0.0, w)};
    Values sums = e.vector_loop_carry(rows, w, init, [&](Value* r0, unsigned lanes, const Values& t) {
      Values cols = block_columns(e, d, x, r0, classes, lanes);
      Value* m = columns_max(e, cols);
      Value* sum = columns_sum_exp(e, d, x, r0, classes, lanes, m);
      e.store(d, m, max_at, r0);
      e.store(d, b.CreateFDiv(e.constant(d, 1.0, lanes), sum), inv_at, r0);
      Values next = t;
      if (!xent && !hits) return next;
      Value* y = block_labels(e, labels, r0, lanes);
      Value* valid = n ? rows_below(e, r0, n, w) : nullptr;
      auto only_valid = [&](Value* v) { return valid ? b.CreateSelect(valid, v, llvm::Constant::getNullValue(v->getType())) : v; };
      if (xent) {
        Value* loss = columns_class_loss(e, d, x, r0, classes, cols, y, b.CreateFAdd(m, vlog(e, sum)), ls);
        next[0] = b.CreateFAdd(t[0], only_valid(loss));
      }
      if (hits) next[1] = b.CreateAdd(t[1], only_valid(columns_hits(e, cols, y, w)));
      return next;
    });
    totals = {e.reduce_add(sums[0]), e.reduce_add(sums[1])};
  }
  totals = e.loop_carry(0, rows, 1, totals, [&](Value* r, const Values& t) {
    Value* base = b.CreateMul(r, e.idx(classes));
    Value* label = b.CreateSExt(e.load(ir::DType::I32, 1, labels, r), e.i64());
    Value *m = nullptr, *inv = nullptr;
    Values next = t;
    if (columns) {
      m = e.load(d, 1, max_at, r), inv = e.load(d, 1, inv_at, r);
    } else {
      m = row_max(e, d, x, base, classes);
      Value* sum = row_sum_exp(e, d, x, base, classes, m, nullptr);
      inv = b.CreateFDiv(e.constant(d, 1.0), sum);
      if (xent) next[0] = row_class_loss(e, d, x, base, classes, label, b.CreateFAdd(m, vlog(e, sum)), ls, t[0]);
      if (hits) next[1] = b.CreateAdd(t[1], row_hit(e, d, x, base, classes, label));
      if (n)
        for (size_t i = 0; i < next.size(); ++i) next[i] = b.CreateSelect(b.CreateICmpSLT(r, n), next[i], t[i]);
    }
    Value* keep = n ? b.CreateICmpSLT(r, n) : nullptr;  // the row is below n: its gradient is not masked
    e.vector_loop(classes, e.width(d), [&](Value* c, unsigned lanes) {
      Value* ex = vexp(e, b.CreateFSub(e.load(d, lanes, x, b.CreateAdd(base, c)), e.splat(m, lanes)));
      Value* p = b.CreateFMul(ex, e.splat(inv, lanes));
      Value* cols = e.splat(c, lanes);
      if (lanes > 1) {
        std::vector<uint64_t> iota(lanes);
        for (unsigned i = 0; i < lanes; ++i) iota[i] = i;
        cols = b.CreateAdd(cols, llvm::ConstantDataVector::get(e.ctx(), iota));
      }
      Value* is_label = b.CreateICmpEQ(cols, e.splat(label, lanes));
      Value* onehot = b.CreateSelect(is_label, e.constant(hot, 1.0, lanes), e.constant(hot, 0.0, lanes));
      std::vector<bool> contiguous;
      Values off = point.offsets_2d(r, c, &contiguous);
      Values out = point.at(off, contiguous, lanes, {{sm.result(), p}, {oh.result(), onehot}});
      for (size_t j = 0; j < out.size(); ++j) {
        Value* v = keep ? b.CreateSelect(keep, out[j], llvm::Constant::getNullValue(out[j]->getType())) : out[j];
        e.store(body.type(outs.roots[j]).dtype, v, outs.root_ptrs[j], b.CreateAdd(base, c));
      }
    });
    return next;
  });
  if (xent) {
    Value* count = n ? b.CreateSIToFP(n, b.getDoubleTy()) : llvm::ConstantFP::get(b.getDoubleTy(), double(rows));
    Value* mean = b.CreateFDiv(totals[0], count);
    e.store(d, b.CreateFPCast(mean, e.scalar(d)), outs.loss, e.idx(0));
  }
  if (hits) e.store(ir::DType::I32, totals[1], outs.count, e.idx(0));
}

}  // namespace minigrad::jit
