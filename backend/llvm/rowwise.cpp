// Row-wise kernels along the last axis: softmax and log_softmax, numerically
// stable by subtracting the row max m, which cancels:
//   softmax(x)_j     = exp(x_j - m) / s,        s = sum_k exp(x_k - m)
//   log_softmax(x)_j = x_j - (m + log s)
// Each row is walked in vectors: a pass for m (max_nan, so a NaN row stays NaN),
// a pass that writes exp(x - m) (softmax) and sums it, and a final scaling pass.
// The row helpers are shared with the losses (losses.cpp).
#include "backend/llvm/rowwise.h"

#include <functional>
#include <limits>

#include "backend/llvm/vmath.h"

namespace minigrad::jit {

using llvm::Value;

Value* pad_lanes(Emitter& e, Value* v, unsigned lanes, Value* identity_scalar) {
  unsigned n = e.lanes_of(v);
  if (n == lanes) return v;
  Value* id = e.splat(identity_scalar, lanes);
  if (n == 1) return e.b().CreateInsertElement(id, v, uint64_t(0));
  llvm::SmallVector<int, 16> mask;
  for (unsigned i = 0; i < lanes; ++i) mask.push_back(i < n ? int(i) : int(lanes + i));
  return e.b().CreateShuffleVector(e.resize(v, lanes), id, mask);
}

Value* row_max(Emitter& e, ir::DType d, Value* x, Value* base, int64_t n) {
  unsigned w = e.width(d);
  Value* lowest = e.constant(d, -std::numeric_limits<double>::infinity());
  Values acc = e.vector_loop_carry(n, w, {e.splat(lowest, w)}, [&](Value* i, unsigned lanes, const Values& a) {
    Value* v = e.load(d, lanes, x, e.b().CreateAdd(base, i));
    return Values{e.max_nan(a[0], pad_lanes(e, v, w, lowest))};
  });
  return e.reduce_max(acc[0]);
}

Value* row_sum_exp(Emitter& e, ir::DType d, Value* x, Value* base, int64_t n, Value* m, Value* y) {
  unsigned w = e.width(d);
  auto& b = e.b();
  Value* zero = e.constant(d, 0.0);
  Values acc = e.vector_loop_carry(n, w, {e.splat(zero, w)}, [&](Value* i, unsigned lanes, const Values& a) {
    Value* at = b.CreateAdd(base, i);
    Value* ex = vexp(e, b.CreateFSub(e.load(d, lanes, x, at), e.splat(m, lanes)));
    if (y) e.store(d, ex, y, at);
    return Values{b.CreateFAdd(a[0], pad_lanes(e, ex, w, zero))};
  });
  return e.reduce_add(acc[0]);
}

Value* row_log_sum_exp(Emitter& e, ir::DType d, Value* x, Value* base, int64_t n) {
  Value* m = row_max(e, d, x, base, n);
  Value* s = row_sum_exp(e, d, x, base, n, m, nullptr);
  return e.b().CreateFAdd(m, vlog(e, s));
}

bool by_columns(Emitter& e, ir::DType d, int64_t n) { return n > 1 && n < int64_t(e.width(d)); }

Value* rows_below(Emitter& e, Value* r0, Value* n, unsigned width) {
  std::vector<uint64_t> iota(width);
  for (unsigned i = 0; i < width; ++i) iota[i] = i;
  Value* rows = e.b().CreateAdd(e.splat(r0, width), llvm::ConstantDataVector::get(e.ctx(), iota));
  return e.b().CreateICmpSLT(rows, e.splat(n, width));
}

namespace {
// Elements x[r0 n + offsets_i] of a block (offsets: i32, a scalar for one lane);
// 0 in the lanes that are not `valid` (when given), which read nothing.
Value* gather(Emitter& e, ir::DType d, Value* x, Value* r0, int64_t n, Value* offsets, Value* valid) {
  auto& b = e.b();
  Value* ptrs = b.CreateInBoundsGEP(e.scalar(d), e.at(d, x, b.CreateMul(r0, e.idx(n))), offsets);
  llvm::Align align(ir::dtype_size(d));
  unsigned lanes = e.lanes_of(offsets);
  if (lanes == 1) return b.CreateAlignedLoad(e.scalar(d), ptrs, align);
  if (!valid) return b.CreateMaskedGather(e.type(d, lanes), ptrs, align);
  return b.CreateMaskedGather(e.type(d, lanes), ptrs, align, valid, e.constant(d, 0.0, lanes));
}
}  // namespace

// Lane i of column j reads element i n + j of the block.
Values block_columns(Emitter& e, ir::DType d, Value* x, Value* r0, int64_t n, unsigned lanes, Value* valid) {
  Values cols;
  for (int64_t j = 0; j < n; ++j) {
    std::vector<uint32_t> at(lanes);
    for (unsigned i = 0; i < lanes; ++i) at[i] = uint32_t(int64_t(i) * n + j);
    Value* offsets = lanes == 1 ? e.b().getInt32(uint32_t(j)) : llvm::ConstantDataVector::get(e.ctx(), at);
    cols.push_back(gather(e, d, x, r0, n, offsets, valid));
  }
  return cols;
}

Value* gather_at(Emitter& e, ir::DType d, Value* x, Value* r0, int64_t n, Value* j, Value* valid) {
  unsigned lanes = e.lanes_of(j);
  Value* offsets = e.b().CreateTrunc(j, e.type(ir::DType::I32, lanes));
  std::vector<uint32_t> rows(lanes);
  for (unsigned i = 0; i < lanes; ++i) rows[i] = uint32_t(int64_t(i) * n);
  if (lanes > 1) offsets = e.b().CreateAdd(offsets, llvm::ConstantDataVector::get(e.ctx(), rows));
  return gather(e, d, x, r0, n, offsets, valid);
}

namespace {
// cols[0] op ... op cols[n-1] as a balanced tree.
Value* tree(const Values& v, size_t lo, size_t hi, const std::function<Value*(Value*, Value*)>& op) {
  if (hi - lo == 1) return v[lo];
  size_t mid = (lo + hi) / 2;
  return op(tree(v, lo, mid, op), tree(v, mid, hi, op));
}
}  // namespace

Value* columns_max(Emitter& e, const Values& cols) {
  return tree(cols, 0, cols.size(), [&](Value* a, Value* b) { return e.max_nan(a, b); });
}

// A loop over the columns, each gathered again: the exponential's code once, not n times.
Value* columns_sum_exp(Emitter& e, ir::DType d, Value* x, Value* r0, int64_t n, unsigned lanes, Value* m,
                       Value* valid) {
  auto& b = e.b();
  Values sum = e.loop_carry(0, n, 1, {e.constant(d, 0.0, lanes)}, [&](Value* j, const Values& acc) {
    Value* col = gather_at(e, d, x, r0, n, e.splat(j, lanes), valid);
    return Values{b.CreateFAdd(acc[0], vexp(e, b.CreateFSub(col, m)))};
  });
  return sum[0];
}

Value* columns_sum_shifted(Emitter& e, const Values& cols, Value* shift) {
  Values t;
  for (Value* c : cols) t.push_back(e.b().CreateFSub(c, shift));
  return tree(t, 0, t.size(), [&](Value* a, Value* b) { return e.b().CreateFAdd(a, b); });
}

// best starts at column 0; column j replaces it where best is not NaN and
// (x_j is NaN or x_j > best).
Value* columns_argmax(Emitter& e, const Values& cols) {
  auto& b = e.b();
  unsigned lanes = e.lanes_of(cols[0]);
  Value* best = cols[0];
  Value* index = e.splat(e.idx(0), lanes);
  for (size_t j = 1; j < cols.size(); ++j) {
    Value* v = cols[j];
    Value* better = llvm::isa<llvm::IntegerType>(v->getType()->getScalarType())
                        ? b.CreateICmpSGT(v, best)
                        : b.CreateAnd(b.CreateNot(e.is_nan(best)), b.CreateOr(e.is_nan(v), b.CreateFCmpOGT(v, best)));
    index = b.CreateSelect(better, e.splat(e.idx(int64_t(j)), lanes), index);
    best = b.CreateSelect(better, v, best);
  }
  return index;
}

void emit_softmax(Kernel& k, bool log) {
  Emitter& e = k.e;
  auto& b = e.b();
  const ir::Shape& s = k.shape(0);
  ir::DType d = k.dtype(0);
  int64_t n = s.rank() == 0 ? 1 : s[s.rank() - 1];
  int64_t rows = k.in[0].type.numel() / n;
  Value *x = k.in[0].ptr, *y = k.out[0].ptr;
  e.loop(0, rows, 1, [&](Value* r) {
    Value* base = b.CreateMul(r, e.idx(n));
    Value* m = row_max(e, d, x, base, n);
    // softmax: y = exp(x - m) here, scaled by 1 / s below.
    Value* sum = row_sum_exp(e, d, x, base, n, m, log ? nullptr : y);
    Value* shift = log ? b.CreateFAdd(m, vlog(e, sum)) : b.CreateFDiv(e.constant(d, 1.0), sum);
    e.vector_loop(n, e.width(d), [&](Value* i, unsigned lanes) {
      Value* at = b.CreateAdd(base, i);
      Value* v = log ? b.CreateFSub(e.load(d, lanes, x, at), e.splat(shift, lanes))
                     : b.CreateFMul(e.load(d, lanes, y, at), e.splat(shift, lanes));
      e.store(d, v, y, at);
    });
  });
}

}  // namespace minigrad::jit
