// Batch normalisation of x[N, F] per feature f (a column), vectorised across
// features: a block of one vector of features walks down the rows, so each row
// access is one contiguous vector. With inv = 1 / sqrt(var + eps):
//   train: mean = sum_n x / N, var = sum_n (x - mean)^2 / N (biased, two passes),
//          y = (x - mean) scale + beta, scale = inv gamma (x - mean first: when
//          the variance is tiny, x scale and mean scale would cancel).
//   eval:  the same y with the running mean and variance; scale is computed
//          once into scratch, then rows are walked a vector at a time.
//   grad:  xhat = (x - mean) inv, dgamma = sum_n dy xhat, dbeta = sum_n dy,
//          dx = (gamma inv / N) (N dy - dbeta - xhat dgamma),
//   the VJP of train's y through xhat, mean and var (backend/interp/batch_norm.cpp
//   derives it).
// A per-feature sum down the rows is a chain of dependent additions, one per row;
// train and grad walk a group of feature blocks down the rows together, so that
// their chains run side by side: 4 blocks in train, 2 in grad, whose two passes
// read three [N, F] arrays, so that a group's columns of them stay in L1 from
// the first pass to the second. Each feature's arithmetic, in row order, is the
// same whatever the grouping (and so whatever the threads' slices).
// Masked (n_rows given, docs/ir.md "Partial batches"): N = n_rows at run time;
// the sums walk rows n < n_rows; in rows n >= n_rows train's y is 0 (what a fused
// activation makes of 0 in bn_act) and grad's dx is 0, and no x or dy is read there.
#include "backend/llvm/batch_norm.h"

#include <functional>

#include <llvm/IR/Intrinsics.h>

#include "backend/llvm/kernel.h"

namespace minigrad::jit {
namespace {

using ir::DType;
using llvm::Value;

// 1 / sqrt(var + eps)
Value* inverse_std(Emitter& e, DType d, double eps, Value* var, unsigned lanes) {
  Value* s = e.intrinsic(llvm::Intrinsic::sqrt, e.b().CreateFAdd(var, e.constant(d, eps, lanes)));
  return e.b().CreateFDiv(e.constant(d, 1.0, lanes), s);
}

constexpr int64_t kTrainGroup = 4, kGradGroup = 2;

// f(f0s, lanes) over the feature blocks [begin, end) of vector_loop_range (all of
// them if begin is null): full blocks `size` (a power of 2) at a time, then
// groups of size / 2, size / 4, ... for what is left, then the narrower last
// block on its own.
void feature_groups(Emitter& e, DType d, int64_t features, Value* begin, Value* end, int64_t size,
                    const std::function<void(const Values& f0s, unsigned lanes)>& f) {
  auto& b = e.b();
  unsigned w = e.width(d);
  int64_t full = features / w;
  if (!begin) begin = e.idx(0), end = e.idx(e.vectors(features, w));
  Value* full_end = b.CreateSelect(b.CreateICmpSLT(end, e.idx(full)), end, e.idx(full));
  Value* count = b.CreateSub(full_end, begin);
  count = b.CreateSelect(b.CreateICmpSGT(count, e.idx(0)), count, e.idx(0));
  auto group = [&](Value* v, int64_t g) {
    Values f0s;
    for (int64_t i = 0; i < g; ++i) f0s.push_back(b.CreateMul(b.CreateAdd(v, e.idx(i)), e.idx(w)));
    f(f0s, w);
  };
  Value* at = b.CreateAdd(begin, b.CreateMul(b.CreateSDiv(count, e.idx(size)), e.idx(size)));
  e.loop(begin, at, size, [&](Value* v) { group(v, size); });
  Value* left = b.CreateSRem(count, e.idx(size));
  for (int64_t g = size / 2; g >= 1; g /= 2) {
    Value* has = b.CreateAnd(left, e.idx(g));
    e.if_then(b.CreateICmpNE(has, e.idx(0)), [&] { group(at, g); });
    at = b.CreateAdd(at, has);
  }
  if (features % w != 0)
    e.if_then(b.CreateICmpSGT(end, e.idx(full)), [&] { f(Values{e.idx(full * w)}, unsigned(features % w)); });
}

// Sums over rows n < rows (n < n_rows when masked) of terms(n) for a block of
// features, `count` sums at once.
Values column_sums(Emitter& e, DType d, int64_t rows, Value* n_rows, unsigned lanes, size_t count,
                   const std::function<Values(Value*)>& terms) {
  Values init(count, e.constant(d, 0.0, lanes));
  auto step = [&](Value* n, const Values& acc) {
    Values t = terms(n);
    Values next;
    for (size_t i = 0; i < count; ++i) next.push_back(e.b().CreateFAdd(acc[i], t[i]));
    return next;
  };
  return n_rows ? e.loop_carry(e.idx(0), n_rows, 1, init, step) : e.loop_carry(0, rows, 1, init, step);
}

// N as a vector of the element type: the constant, or n_rows converted at run time.
Value* row_count(Emitter& e, DType d, int64_t rows, Value* n_rows, unsigned lanes) {
  if (!n_rows) return e.constant(d, double(rows), lanes);
  return e.splat(e.b().CreateSIToFP(n_rows, e.scalar(d)), lanes);
}

}  // namespace

void emit_bn_train(Emitter& e, const BnTrain& bn) {
  auto& b = e.b();
  DType d = bn.dtype;
  auto at = [&](Value* n, Value* f0) { return b.CreateAdd(b.CreateMul(n, e.idx(bn.features)), f0); };
  feature_groups(e, d, bn.features, bn.begin, bn.end, kTrainGroup, [&](const Values& f0s, unsigned lanes) {
    size_t g = f0s.size();
    Value* rows = row_count(e, d, bn.rows, bn.n_rows, lanes);
    Values mean = column_sums(e, d, bn.rows, bn.n_rows, lanes, g, [&](Value* n) {
      Values t;
      for (Value* f0 : f0s) t.push_back(e.load(d, lanes, bn.x, at(n, f0)));
      return t;
    });
    for (Value*& m : mean) m = b.CreateFDiv(m, rows);
    Values var = column_sums(e, d, bn.rows, bn.n_rows, lanes, g, [&](Value* n) {
      Values t;
      for (size_t i = 0; i < g; ++i) {
        Value* dev = b.CreateFSub(e.load(d, lanes, bn.x, at(n, f0s[i])), mean[i]);
        t.push_back(b.CreateFMul(dev, dev));
      }
      return t;
    });
    Values scale, beta;
    for (size_t i = 0; i < g; ++i) {
      var[i] = b.CreateFDiv(var[i], rows);
      scale.push_back(b.CreateFMul(inverse_std(e, d, bn.eps, var[i], lanes), e.load(d, lanes, bn.gamma, f0s[i])));
      beta.push_back(e.load(d, lanes, bn.beta, f0s[i]));
    }
    auto put = [&](Value* y, Value* n, size_t i) {
      if (bn.store_y) bn.store_y(y, n, f0s[i]);
      else e.store(d, y, bn.y, at(n, f0s[i]));
    };
    auto y_row = [&](Value* n) {
      for (size_t i = 0; i < g; ++i)
        put(e.fma(b.CreateFSub(e.load(d, lanes, bn.x, at(n, f0s[i])), mean[i]), scale[i], beta[i]), n, i);
    };
    if (!bn.n_rows) {
      e.loop(0, bn.rows, 1, y_row);
    } else {
      e.loop(e.idx(0), bn.n_rows, 1, y_row);
      e.loop(bn.n_rows, e.idx(bn.rows), 1, [&](Value* n) {
        for (size_t i = 0; i < g; ++i) put(e.constant(d, 0.0, lanes), n, i);
      });
    }
    for (size_t i = 0; i < g; ++i) {
      e.store(d, mean[i], bn.mean, f0s[i]);
      e.store(d, var[i], bn.var, f0s[i]);
    }
  });
}

void emit_bn_grad(Emitter& e, const BnGrad& bn) {
  auto& b = e.b();
  DType d = bn.dtype;
  auto at = [&](Value* n, Value* f0) { return b.CreateAdd(b.CreateMul(n, e.idx(bn.features)), f0); };
  feature_groups(e, d, bn.features, bn.begin, bn.end, kGradGroup, [&](const Values& f0s, unsigned lanes) {
    size_t g = f0s.size();
    Values mean, inv;
    for (Value* f0 : f0s) {
      mean.push_back(e.load(d, lanes, bn.mean, f0));
      inv.push_back(inverse_std(e, d, bn.eps, e.load(d, lanes, bn.var, f0), lanes));
    }
    auto xhat = [&](Value* n, size_t i) {
      return b.CreateFMul(b.CreateFSub(e.load(d, lanes, bn.x, at(n, f0s[i])), mean[i]), inv[i]);
    };
    // sums[2i] = sum_n dy, sums[2i + 1] = sum_n dy xhat, for block i.
    Values sums = column_sums(e, d, bn.rows, bn.n_rows, lanes, 2 * g, [&](Value* n) {
      Values t;
      for (size_t i = 0; i < g; ++i) {
        Value* dy = bn.dy(n, f0s[i], lanes);
        t.push_back(dy);
        t.push_back(b.CreateFMul(dy, xhat(n, i)));
      }
      return t;
    });
    Value* rows = row_count(e, d, bn.rows, bn.n_rows, lanes);
    Values a;
    for (size_t i = 0; i < g; ++i) a.push_back(b.CreateFDiv(b.CreateFMul(e.load(d, lanes, bn.gamma, f0s[i]), inv[i]), rows));
    auto dx_row = [&](Value* n) {
      for (size_t i = 0; i < g; ++i) {
        Value* t = b.CreateFSub(b.CreateFMul(rows, bn.dy(n, f0s[i], lanes)), sums[2 * i]);
        t = b.CreateFSub(t, b.CreateFMul(xhat(n, i), sums[2 * i + 1]));
        e.store(d, b.CreateFMul(a[i], t), bn.dx, at(n, f0s[i]));
      }
    };
    if (!bn.n_rows) {
      e.loop(0, bn.rows, 1, dx_row);
    } else {
      e.loop(e.idx(0), bn.n_rows, 1, dx_row);
      e.loop(bn.n_rows, e.idx(bn.rows), 1, [&](Value* n) {
        for (size_t i = 0; i < g; ++i) e.store(d, e.constant(d, 0.0, lanes), bn.dx, at(n, f0s[i]));
      });
    }
    for (size_t i = 0; i < g; ++i) {
      e.store(d, sums[2 * i + 1], bn.dgamma, f0s[i]);
      e.store(d, sums[2 * i], bn.dbeta, f0s[i]);
    }
  });
}

void emit_batch_norm_train(Kernel& k) {
  BnTrain bn;
  bn.rows = k.shape(0)[0], bn.features = k.shape(0)[1], bn.dtype = k.dtype(0), bn.eps = k.node.attrs.f("eps");
  bn.x = k.in[0].ptr, bn.gamma = k.in[1].ptr, bn.beta = k.in[2].ptr;
  bn.y = k.out[0].ptr, bn.mean = k.out[1].ptr, bn.var = k.out[2].ptr;
  bn.begin = k.begin, bn.end = k.end;
  bn.n_rows = checked_row_count(k, row_count_ptr(k, 3), bn.rows);
  k.units = bn_blocks(k.e, bn.dtype, bn.features);
  emit_bn_train(k.e, bn);
}

void emit_batch_norm_grad(Kernel& k) {
  BnGrad bn;
  bn.rows = k.shape(1)[0], bn.features = k.shape(1)[1], bn.dtype = k.dtype(1), bn.eps = k.node.attrs.f("eps");
  Value* dy = k.in[0].ptr;
  Emitter& e = k.e;
  bn.dy = [&e, &bn, dy](Value* n, Value* f0, unsigned lanes) {
    return e.load(bn.dtype, lanes, dy, e.b().CreateAdd(e.b().CreateMul(n, e.idx(bn.features)), f0));
  };
  bn.x = k.in[1].ptr, bn.gamma = k.in[2].ptr, bn.mean = k.in[3].ptr, bn.var = k.in[4].ptr;
  bn.dx = k.out[0].ptr, bn.dgamma = k.out[1].ptr, bn.dbeta = k.out[2].ptr;
  bn.begin = k.begin, bn.end = k.end;
  bn.n_rows = checked_row_count(k, row_count_ptr(k, 5), bn.rows);
  k.units = bn_blocks(k.e, bn.dtype, bn.features);
  emit_bn_grad(k.e, bn);
}

void emit_batch_norm_eval(Kernel& k) {
  Emitter& e = k.e;
  auto& b = e.b();
  int64_t rows = k.shape(0)[0], features = k.shape(0)[1];
  DType d = k.dtype(0);
  double eps = k.node.attrs.f("eps");
  Value* scale_at = k.scratch;
  unsigned w = e.width(d);
  e.vector_loop(features, w, [&](Value* f, unsigned lanes) {
    Value* scale = b.CreateFMul(inverse_std(e, d, eps, e.load(d, lanes, k.in[4].ptr, f), lanes),
                                e.load(d, lanes, k.in[1].ptr, f));
    e.store(d, scale, scale_at, f);
  });
  k.units = rows;
  e.loop(k.begin ? k.begin : e.idx(0), k.end ? k.end : e.idx(rows), 1, [&](Value* n) {
    Value* row = b.CreateMul(n, e.idx(features));
    e.vector_loop(features, w, [&](Value* f, unsigned lanes) {
      Value* at = b.CreateAdd(row, f);
      Value* centred = b.CreateFSub(e.load(d, lanes, k.in[0].ptr, at), e.load(d, lanes, k.in[3].ptr, f));
      Value* v = e.fma(centred, e.load(d, lanes, scale_at, f), e.load(d, lanes, k.in[2].ptr, f));
      e.store(d, v, k.out[0].ptr, at);
    });
  });
}

}  // namespace minigrad::jit
