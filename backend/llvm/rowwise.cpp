// Row-wise kernels along the last axis: softmax and log_softmax, numerically
// stable by subtracting the row max m, which cancels:
//   softmax(x)_j     = exp(x_j - m) / s,        s = sum_k exp(x_k - m)
//   log_softmax(x)_j = x_j - (m + log s)
// Each row is walked in vectors: a pass for m (max_nan, so a NaN row stays NaN),
// a pass that writes exp(x - m) (softmax) and sums it, and a final scaling pass.
// The row helpers are shared with the losses (losses.cpp).
#include "backend/llvm/rowwise.h"

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
