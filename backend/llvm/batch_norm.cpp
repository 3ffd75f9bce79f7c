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
#include "backend/llvm/batch_norm.h"

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

// Sums over rows n of terms(n) for a block of features, `count` sums at once.
Values column_sums(Emitter& e, DType d, int64_t rows, unsigned lanes, size_t count,
                   const std::function<Values(Value*)>& terms) {
  Values init(count, e.constant(d, 0.0, lanes));
  return e.loop_carry(0, rows, 1, init, [&](Value* n, const Values& acc) {
    Values t = terms(n);
    Values next;
    for (size_t i = 0; i < count; ++i) next.push_back(e.b().CreateFAdd(acc[i], t[i]));
    return next;
  });
}

}  // namespace

void emit_bn_train(Emitter& e, const BnTrain& bn) {
  auto& b = e.b();
  DType d = bn.dtype;
  auto at = [&](Value* n, Value* f0) { return b.CreateAdd(b.CreateMul(n, e.idx(bn.features)), f0); };
  e.vector_loop_range(bn.features, e.width(d), bn.begin, bn.end, [&](Value* f0, unsigned lanes) {
    Value* rows = e.constant(d, double(bn.rows), lanes);
    Value* sum = column_sums(e, d, bn.rows, lanes, 1, [&](Value* n) { return Values{e.load(d, lanes, bn.x, at(n, f0))}; })[0];
    Value* mean = b.CreateFDiv(sum, rows);
    Value* sq = column_sums(e, d, bn.rows, lanes, 1, [&](Value* n) {
      Value* dev = b.CreateFSub(e.load(d, lanes, bn.x, at(n, f0)), mean);
      return Values{b.CreateFMul(dev, dev)};
    })[0];
    Value* var = b.CreateFDiv(sq, rows);
    Value* scale = b.CreateFMul(inverse_std(e, d, bn.eps, var, lanes), e.load(d, lanes, bn.gamma, f0));
    Value* beta = e.load(d, lanes, bn.beta, f0);
    e.loop(0, bn.rows, 1, [&](Value* n) {
      Value* y = e.fma(b.CreateFSub(e.load(d, lanes, bn.x, at(n, f0)), mean), scale, beta);
      if (bn.store_y) bn.store_y(y, n, f0);
      else e.store(d, y, bn.y, at(n, f0));
    });
    e.store(d, mean, bn.mean, f0);
    e.store(d, var, bn.var, f0);
  });
}

void emit_bn_grad(Emitter& e, const BnGrad& bn) {
  auto& b = e.b();
  DType d = bn.dtype;
  auto at = [&](Value* n, Value* f0) { return b.CreateAdd(b.CreateMul(n, e.idx(bn.features)), f0); };
  e.vector_loop_range(bn.features, e.width(d), bn.begin, bn.end, [&](Value* f0, unsigned lanes) {
    Value* mean = e.load(d, lanes, bn.mean, f0);
    Value* inv = inverse_std(e, d, bn.eps, e.load(d, lanes, bn.var, f0), lanes);
    auto xhat = [&](Value* n) { return b.CreateFMul(b.CreateFSub(e.load(d, lanes, bn.x, at(n, f0)), mean), inv); };
    Values sums = column_sums(e, d, bn.rows, lanes, 2, [&](Value* n) {
      Value* g = bn.dy(n, f0, lanes);
      return Values{g, b.CreateFMul(g, xhat(n))};
    });
    Value *sum_dy = sums[0], *sum_dy_xhat = sums[1];
    Value* rows = e.constant(d, double(bn.rows), lanes);
    Value* a = b.CreateFDiv(b.CreateFMul(e.load(d, lanes, bn.gamma, f0), inv), rows);
    e.loop(0, bn.rows, 1, [&](Value* n) {
      Value* t = b.CreateFSub(b.CreateFMul(rows, bn.dy(n, f0, lanes)), sum_dy);
      t = b.CreateFSub(t, b.CreateFMul(xhat(n), sum_dy_xhat));
      e.store(d, b.CreateFMul(a, t), bn.dx, at(n, f0));
    });
    e.store(d, sum_dy_xhat, bn.dgamma, f0);
    e.store(d, sum_dy, bn.dbeta, f0);
  });
}

void emit_batch_norm_train(Kernel& k) {
  BnTrain bn;
  bn.rows = k.shape(0)[0], bn.features = k.shape(0)[1], bn.dtype = k.dtype(0), bn.eps = k.node.attrs.f("eps");
  bn.x = k.in[0].ptr, bn.gamma = k.in[1].ptr, bn.beta = k.in[2].ptr;
  bn.y = k.out[0].ptr, bn.mean = k.out[1].ptr, bn.var = k.out[2].ptr;
  bn.begin = k.begin, bn.end = k.end;
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
