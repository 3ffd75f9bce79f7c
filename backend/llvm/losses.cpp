// Losses and metrics over a batch of N rows and C classes; labels are i32 class
// indices, each checked against [0, C) (an Error naming the row and the value,
// as in the interpreter). The loss terms of a row are losses.h's; shift is the
// row's log-sum-exp (softmax_xent) or 0 (nll), so that -inf away from the label
// gives no NaN. Rows are computed in the element type and the mean over rows in
// double. Rows shorter than a vector are computed by columns, a block of rows at a
// time (rowwise.h), with every label checked first, in row order.
// mse = mean of (a - b)^2, accumulated in f64 vectors. argmax takes the first
// index of the row max (a NaN counts as the max); correct counts rows whose argmax
// is the label. Masked (a row count n as the last operand, docs/ir.md "Partial
// batches"): only rows r < n are read (so only their labels are checked), and the
// mean divides by n (mse: by n times the row length). By columns, the blocks run
// while r0 < n, the lanes at rows >= n masked (rowwise.h): each lane adds what it
// would for a batch of exactly n rows (whose last block is narrower, padded with
// zeros), so the masked loss and count have that batch's bits.
#include "backend/llvm/losses.h"

#include <functional>

#include "backend/llvm/rowwise.h"
#include "backend/llvm/vmath.h"

namespace minigrad::jit {
namespace {

using ir::DType;
using llvm::Value;

// The label of `row` as i64, after checking 0 <= label < classes.
Value* checked_label(Kernel& k, Value* labels, Value* row, int64_t classes, int64_t site) {
  auto& b = k.e.b();
  Value* label = b.CreateSExt(k.e.load(DType::I32, 1, labels, row), k.e.i64());
  k.fail_if(b.CreateICmpUGE(label, k.e.idx(classes)), site, row, label);
  return label;
}

// sum_j (x_j - shift) over a row, in the element type.
Value* row_sum_shifted(Emitter& e, DType d, Value* x, Value* base, int64_t n, Value* shift) {
  unsigned w = e.width(d);
  auto& b = e.b();
  Value* zero = e.constant(d, 0.0);
  Values acc = e.vector_loop_carry(n, w, {e.splat(zero, w)}, [&](Value* i, unsigned lanes, const Values& a) {
    Value* v = b.CreateFSub(e.load(d, lanes, x, b.CreateAdd(base, i)), e.splat(shift, lanes));
    return Values{b.CreateFAdd(a[0], pad_lanes(e, v, w, zero))};
  });
  return e.reduce_add(acc[0]);
}

// The first index of the row max; NaN is the max (the scan stops at the first).
Value* row_argmax(Emitter& e, DType d, Value* x, Value* base, int64_t n) {
  auto& b = e.b();
  Value* first = e.load(d, 1, x, base);
  Values best = e.loop_carry(1, n, 1, {e.idx(0), first}, [&](Value* j, const Values& c) {
    Value* v = e.load(d, 1, x, b.CreateAdd(base, j));
    Value* better = ir::is_float(d)
                        ? b.CreateAnd(b.CreateNot(e.is_nan(c[1])), b.CreateOr(e.is_nan(v), b.CreateFCmpOGT(v, c[1])))
                        : b.CreateICmpSGT(v, c[1]);
    return Values{b.CreateSelect(better, j, c[0]), b.CreateSelect(better, v, c[1])};
  });
  return best[0];
}

// Blocks of the register width over rows [0, n) (n: i64), each with its valid
// lanes, or over all `rows` (n null) with a narrower last block, as
// vector_loop_carry walks them.
Values column_blocks(Emitter& e, unsigned w, int64_t rows, Value* n, const Values& init,
                     const std::function<Values(Value*, unsigned, Value*, const Values&)>& block) {
  if (!n) return e.vector_loop_carry(rows, w, init, [&](Value* r0, unsigned lanes, const Values& t) {
    return block(r0, lanes, nullptr, t);
  });
  return e.loop_carry(e.idx(0), n, int64_t(w), init, [&](Value* r0, const Values& t) {
    return block(r0, w, rows_below(e, r0, n, w), t);
  });
}

// The loss by columns: each lane is one row's term, accumulated in f64 lanes.
void class_loss_by_columns(Kernel& k, bool from_logits, double ls, int64_t site, Value* n) {
  Emitter& e = k.e;
  auto& b = e.b();
  DType d = k.dtype(0);
  int64_t rows = k.shape(0)[0], classes = k.shape(0)[1];
  Value *x = k.in[0].ptr, *labels = k.in[1].ptr;
  check_labels(k, labels, n ? n : e.idx(rows), classes, site);
  unsigned w = e.width(d);
  Value* zero = llvm::ConstantFP::get(b.getDoubleTy(), 0.0);
  auto block = [&](Value* r0, unsigned lanes, Value* valid, const Values& t) {
    Values cols = block_columns(e, d, x, r0, classes, lanes, valid);
    Value* shift = e.constant(d, 0.0, lanes);
    if (from_logits) {
      Value* m = columns_max(e, cols);
      shift = b.CreateFAdd(m, vlog(e, columns_sum_exp(e, d, x, r0, classes, lanes, m, valid)));
    }
    Value* y = block_labels(e, labels, r0, lanes, valid);
    return Values{b.CreateFAdd(t[0], columns_class_loss(e, d, x, r0, classes, cols, y, shift, ls, valid))};
  };
  Values total = column_blocks(e, w, rows, n, {e.splat(zero, w)}, block);
  Value* count = n ? b.CreateSIToFP(n, b.getDoubleTy()) : llvm::ConstantFP::get(b.getDoubleTy(), double(rows));
  Value* mean = b.CreateFDiv(e.reduce_add(total[0]), count);
  e.store(d, b.CreateFPCast(mean, e.scalar(d)), k.out[0].ptr, e.idx(0));
}

// correct by columns: per lane, whether the row's argmax is its label.
void correct_by_columns(Kernel& k, int64_t site, Value* n) {
  Emitter& e = k.e;
  auto& b = e.b();
  DType d = k.dtype(0);
  int64_t rows = k.shape(0)[0], classes = k.shape(0)[1];
  Value *x = k.in[0].ptr, *labels = k.in[1].ptr;
  check_labels(k, labels, n ? n : e.idx(rows), classes, site);
  unsigned w = e.width(d);
  auto block = [&](Value* r0, unsigned lanes, Value* valid, const Values& c) {
    Values cols = block_columns(e, d, x, r0, classes, lanes, valid);
    return Values{b.CreateAdd(c[0], columns_hits(e, cols, block_labels(e, labels, r0, lanes, valid), w, valid))};
  };
  Values count = column_blocks(e, w, rows, n, {e.constant(DType::I32, 0.0, w)}, block);
  e.store(DType::I32, e.reduce_add(count[0]), k.out[0].ptr, e.idx(0));
}

// mse over the first n rows, one element at a time: sum (a - b)^2 in double / (n row).
void masked_mse(Kernel& k) {
  Emitter& e = k.e;
  auto& b = e.b();
  DType d = k.dtype(0);
  int64_t rows = k.shape(0).rank() == 0 ? 1 : k.shape(0)[0], row = k.in[0].type.numel() / rows;
  Value* count = b.CreateMul(checked_row_count(k, k.in[2].ptr, rows), e.idx(row));
  Value* zero = llvm::ConstantFP::get(b.getDoubleTy(), 0.0);
  Values acc = e.loop_carry(e.idx(0), count, 1, {zero}, [&](Value* i, const Values& a) {
    Value* diff = b.CreateFSub(e.load(d, 1, k.in[0].ptr, i), e.load(d, 1, k.in[1].ptr, i));
    Value* wide = b.CreateFPCast(diff, b.getDoubleTy());
    return Values{b.CreateFAdd(a[0], b.CreateFMul(wide, wide))};
  });
  Value* mean = b.CreateFDiv(acc[0], b.CreateSIToFP(count, b.getDoubleTy()));
  e.store(d, b.CreateFPCast(mean, e.scalar(d)), k.out[0].ptr, e.idx(0));
}

}  // namespace

void check_labels(Kernel& k, Value* labels, Value* rows, int64_t classes, int64_t site) {
  k.e.loop(k.e.idx(0), rows, 1, [&](Value* r) { checked_label(k, labels, r, classes, site); });
}

Value* block_labels(Emitter& e, Value* labels, Value* r0, unsigned lanes, Value* valid) {
  auto& b = e.b();
  auto* i64s = e.type(DType::I32, lanes)->getWithNewBitWidth(64);
  if (!valid) return b.CreateSExt(e.load(DType::I32, lanes, labels, r0), i64s);
  Value* loaded = b.CreateMaskedLoad(e.type(DType::I32, lanes), e.at(DType::I32, labels, r0), llvm::Align(4), valid,
                                     e.constant(DType::I32, 0.0, lanes));
  return b.CreateSExt(loaded, i64s);
}

Value* columns_class_loss(Emitter& e, DType d, Value* x, Value* r0, int64_t classes, const Values& cols,
                          Value* labels64, Value* shift, double ls, Value* valid) {
  auto& b = e.b();
  unsigned lanes = e.lanes_of(shift);
  auto* wide = e.type(DType::F64, lanes);
  Value* zero = llvm::ConstantFP::get(b.getDoubleTy(), 0.0);
  Value* loss = e.splat(zero, lanes);
  if (ls < 1) {
    Value* xl = b.CreateFSub(gather_at(e, d, x, r0, classes, labels64, valid), shift);
    loss = b.CreateFSub(loss, b.CreateFMul(llvm::ConstantFP::get(wide, 1 - ls), b.CreateFPExt(xl, wide)));
  }
  if (ls > 0) {
    Value* sum = b.CreateFPCast(columns_sum_shifted(e, cols, shift), wide);
    loss = b.CreateFSub(loss, b.CreateFMul(llvm::ConstantFP::get(wide, ls / double(classes)), sum));
  }
  if (valid) loss = b.CreateSelect(valid, loss, e.splat(zero, lanes));
  return pad_lanes(e, loss, e.width(d), zero);
}

Value* columns_hits(Emitter& e, const Values& cols, Value* labels64, unsigned width, Value* valid) {
  auto& b = e.b();
  unsigned lanes = e.lanes_of(labels64);
  Value* is_hit = b.CreateICmpEQ(columns_argmax(e, cols), labels64);
  if (valid) is_hit = b.CreateAnd(is_hit, valid);
  Value* hit = b.CreateZExt(is_hit, e.type(DType::I32, lanes));
  return pad_lanes(e, hit, width, b.getInt32(0));
}

Value* row_class_loss(Emitter& e, DType d, Value* x, Value* base, int64_t classes, Value* label, Value* shift,
                      double ls, Value* total) {
  auto& b = e.b();
  Value* loss = total;
  if (ls < 1) {
    Value* xl = b.CreateFSub(e.load(d, 1, x, b.CreateAdd(base, label)), shift);
    loss = b.CreateFSub(loss, b.CreateFMul(llvm::ConstantFP::get(b.getDoubleTy(), 1 - ls), b.CreateFPExt(xl, b.getDoubleTy())));
  }
  if (ls > 0) {
    Value* sum = b.CreateFPCast(row_sum_shifted(e, d, x, base, classes, shift), b.getDoubleTy());
    loss = b.CreateFSub(loss, b.CreateFMul(llvm::ConstantFP::get(b.getDoubleTy(), ls / double(classes)), sum));
  }
  return loss;
}

Value* row_hit(Emitter& e, DType d, Value* x, Value* base, int64_t classes, Value* label) {
  auto& b = e.b();
  return b.CreateZExt(b.CreateICmpEQ(row_argmax(e, d, x, base, classes), label), e.i32());
}

void emit_class_loss(Kernel& k, bool from_logits) {
  Emitter& e = k.e;
  auto& b = e.b();
  DType d = k.dtype(0);
  int64_t rows = k.shape(0)[0], classes = k.shape(0)[1];
  double ls = k.node.attrs.f("label_smoothing");
  int64_t site = k.sites->add(k.node, Check::Label, classes);
  Value* n = checked_row_count(k, row_count_ptr(k, 2), rows);
  if (by_columns(e, d, classes)) return class_loss_by_columns(k, from_logits, ls, site, n);
  Value* x = k.in[0].ptr;
  Value* zero = llvm::ConstantFP::get(b.getDoubleTy(), 0.0);
  auto row = [&](Value* r, const Values& t) {
    Value* label = checked_label(k, k.in[1].ptr, r, classes, site);
    Value* base = b.CreateMul(r, e.idx(classes));
    Value* shift = from_logits ? row_log_sum_exp(e, d, x, base, classes) : e.constant(d, 0.0);
    return Values{row_class_loss(e, d, x, base, classes, label, shift, ls, t[0])};
  };
  Values total = n ? e.loop_carry(e.idx(0), n, 1, {zero}, row) : e.loop_carry(0, rows, 1, {zero}, row);
  Value* count = n ? b.CreateSIToFP(n, b.getDoubleTy()) : llvm::ConstantFP::get(b.getDoubleTy(), double(rows));
  Value* mean = b.CreateFDiv(total[0], count);
  e.store(d, b.CreateFPCast(mean, e.scalar(d)), k.out[0].ptr, e.idx(0));
}

void emit_mse(Kernel& k) {
  Emitter& e = k.e;
  auto& b = e.b();
  DType d = k.dtype(0);
  unsigned w = e.width(d);
  int64_t n = k.in[0].type.numel();
  auto* acc_type = e.type(DType::F64, w);
  if (row_count_ptr(k, 2)) return masked_mse(k);
  Values acc = e.vector_loop_carry(n, w, {llvm::ConstantFP::get(acc_type, 0.0)}, [&](Value* i, unsigned lanes, const Values& a) {
    Value* diff = b.CreateFSub(e.load(d, lanes, k.in[0].ptr, i), e.load(d, lanes, k.in[1].ptr, i));
    Value* wide = b.CreateFPCast(diff, e.type(DType::F64, lanes));
    Value* sq = pad_lanes(e, b.CreateFMul(wide, wide), w, llvm::ConstantFP::get(b.getDoubleTy(), 0.0));
    return Values{b.CreateFAdd(a[0], sq)};
  });
  Value* mean = b.CreateFDiv(e.reduce_add(acc[0]), llvm::ConstantFP::get(b.getDoubleTy(), double(n)));
  e.store(d, b.CreateFPCast(mean, e.scalar(d)), k.out[0].ptr, e.idx(0));
}

void emit_one_hot(Kernel& k) {
  Emitter& e = k.e;
  auto& b = e.b();
  DType d = k.out[0].type.dtype;
  int64_t rows = k.out[0].type.shape[0], classes = k.out[0].type.shape[1];
  int64_t site = k.sites->add(k.node, Check::Label, classes);
  e.fill(d, k.out[0].ptr, rows * classes, e.constant(d, 0.0));
  e.loop(0, rows, 1, [&](Value* r) {
    Value* label = checked_label(k, k.in[0].ptr, r, classes, site);
    e.store(d, e.constant(d, 1.0), k.out[0].ptr, b.CreateAdd(b.CreateMul(r, e.idx(classes)), label));
  });
}

void emit_argmax(Kernel& k) {
  Emitter& e = k.e;
  auto& b = e.b();
  int64_t rows = k.shape(0)[0], cols = k.shape(0)[1];
  e.loop(0, rows, 1, [&](Value* r) {
    Value* best = row_argmax(e, k.dtype(0), k.in[0].ptr, b.CreateMul(r, e.idx(cols)), cols);
    e.store(DType::I32, b.CreateTrunc(best, e.i32()), k.out[0].ptr, r);
  });
}

void emit_correct(Kernel& k) {
  Emitter& e = k.e;
  auto& b = e.b();
  int64_t rows = k.shape(0)[0], classes = k.shape(0)[1];
  int64_t site = k.sites->add(k.node, Check::Label, classes);
  Value* n = checked_row_count(k, row_count_ptr(k, 2), rows);
  if (by_columns(e, k.dtype(0), classes)) return correct_by_columns(k, site, n);
  auto row = [&](Value* r, const Values& c) {
    Value* label = checked_label(k, k.in[1].ptr, r, classes, site);
    return Values{b.CreateAdd(c[0], row_hit(e, k.dtype(0), k.in[0].ptr, b.CreateMul(r, e.idx(classes)), classes, label))};
  };
  Values count = n ? e.loop_carry(e.idx(0), n, 1, {b.getInt32(0)}, row) : e.loop_carry(0, rows, 1, {b.getInt32(0)}, row);
  e.store(DType::I32, count[0], k.out[0].ptr, e.idx(0));
}

}  // namespace minigrad::jit
