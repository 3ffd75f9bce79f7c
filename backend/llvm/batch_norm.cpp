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
#include <llvm/IR/Intrinsics.h>

#include "backend/llvm/kernel.h"

namespace minigrad::jit {
namespace {

using ir::DType;
using llvm::Value;

struct Batch {
  int64_t rows, features;
  DType d;
  double eps;
};

Batch batch_of(const Kernel& k, size_t x) {
  return {k.shape(x)[0], k.shape(x)[1], k.dtype(x), k.node.attrs.f("eps")};
}

// 1 / sqrt(var + eps)
Value* inverse_std(Emitter& e, const Batch& bt, Value* var, unsigned lanes) {
  Value* s = e.intrinsic(llvm::Intrinsic::sqrt, e.b().CreateFAdd(var, e.constant(bt.d, bt.eps, lanes)));
  return e.b().CreateFDiv(e.constant(bt.d, 1.0, lanes), s);
}

// Sums over rows of f(row offset) for a block of features at f0.
Values column_sums(Emitter& e, const Batch& bt, Value* f0, unsigned lanes, size_t count,
                   const std::function<Values(Value*)>& terms) {
  Values init(count, e.constant(bt.d, 0.0, lanes));
  return e.loop_carry(0, bt.rows, 1, init, [&](Value* n, const Values& acc) {
    Values t = terms(e.b().CreateAdd(e.b().CreateMul(n, e.idx(bt.features)), f0));
    Values next;
    for (size_t i = 0; i < count; ++i) next.push_back(e.b().CreateFAdd(acc[i], t[i]));
    return next;
  });
}

}  // namespace

void emit_batch_norm_train(Kernel& k) {
  Emitter& e = k.e;
  auto& b = e.b();
  Batch bt = batch_of(k, 0);
  Value *x = k.in[0].ptr, *y = k.out[0].ptr;
  e.vector_loop(bt.features, e.width(bt.d), [&](Value* f0, unsigned lanes) {
    Value* rows = e.constant(bt.d, double(bt.rows), lanes);
    Value* sum = column_sums(e, bt, f0, lanes, 1, [&](Value* at) { return Values{e.load(bt.d, lanes, x, at)}; })[0];
    Value* mean = b.CreateFDiv(sum, rows);
    Value* sq = column_sums(e, bt, f0, lanes, 1, [&](Value* at) {
      Value* dev = b.CreateFSub(e.load(bt.d, lanes, x, at), mean);
      return Values{b.CreateFMul(dev, dev)};
    })[0];
    Value* var = b.CreateFDiv(sq, rows);
    Value* scale = b.CreateFMul(inverse_std(e, bt, var, lanes), e.load(bt.d, lanes, k.in[1].ptr, f0));
    Value* beta = e.load(bt.d, lanes, k.in[2].ptr, f0);
    e.loop(0, bt.rows, 1, [&](Value* n) {
      Value* at = b.CreateAdd(b.CreateMul(n, e.idx(bt.features)), f0);
      e.store(bt.d, e.fma(b.CreateFSub(e.load(bt.d, lanes, x, at), mean), scale, beta), y, at);
    });
    e.store(bt.d, mean, k.out[1].ptr, f0);
    e.store(bt.d, var, k.out[2].ptr, f0);
  });
}

void emit_batch_norm_eval(Kernel& k) {
  Emitter& e = k.e;
  auto& b = e.b();
  Batch bt = batch_of(k, 0);
  Value* scale_at = k.scratch;
  unsigned w = e.width(bt.d);
  e.vector_loop(bt.features, w, [&](Value* f, unsigned lanes) {
    Value* scale = b.CreateFMul(inverse_std(e, bt, e.load(bt.d, lanes, k.in[4].ptr, f), lanes),
                                e.load(bt.d, lanes, k.in[1].ptr, f));
    e.store(bt.d, scale, scale_at, f);
  });
  e.loop(0, bt.rows, 1, [&](Value* n) {
    Value* row = b.CreateMul(n, e.idx(bt.features));
    e.vector_loop(bt.features, w, [&](Value* f, unsigned lanes) {
      Value* at = b.CreateAdd(row, f);
      Value* centred = b.CreateFSub(e.load(bt.d, lanes, k.in[0].ptr, at), e.load(bt.d, lanes, k.in[3].ptr, f));
      Value* v = e.fma(centred, e.load(bt.d, lanes, scale_at, f), e.load(bt.d, lanes, k.in[2].ptr, f));
      e.store(bt.d, v, k.out[0].ptr, at);
    });
  });
}

void emit_batch_norm_grad(Kernel& k) {
  Emitter& e = k.e;
  auto& b = e.b();
  Batch bt = batch_of(k, 1);
  Value *dy = k.in[0].ptr, *x = k.in[1].ptr;
  e.vector_loop(bt.features, e.width(bt.d), [&](Value* f0, unsigned lanes) {
    Value* mean = e.load(bt.d, lanes, k.in[3].ptr, f0);
    Value* inv = inverse_std(e, bt, e.load(bt.d, lanes, k.in[4].ptr, f0), lanes);
    auto xhat = [&](Value* at) { return b.CreateFMul(b.CreateFSub(e.load(bt.d, lanes, x, at), mean), inv); };
    Values sums = column_sums(e, bt, f0, lanes, 2, [&](Value* at) {
      Value* g = e.load(bt.d, lanes, dy, at);
      return Values{g, b.CreateFMul(g, xhat(at))};
    });
    Value *sum_dy = sums[0], *sum_dy_xhat = sums[1];
    Value* rows = e.constant(bt.d, double(bt.rows), lanes);
    Value* a = b.CreateFDiv(b.CreateFMul(e.load(bt.d, lanes, k.in[2].ptr, f0), inv), rows);
    e.loop(0, bt.rows, 1, [&](Value* n) {
      Value* at = b.CreateAdd(b.CreateMul(n, e.idx(bt.features)), f0);
      Value* t = b.CreateFSub(b.CreateFMul(rows, e.load(bt.d, lanes, dy, at)), sum_dy);
      t = b.CreateFSub(t, b.CreateFMul(xhat(at), sum_dy_xhat));
      e.store(bt.d, b.CreateFMul(a, t), k.out[0].ptr, at);
    });
    e.store(bt.d, sum_dy_xhat, k.out[1].ptr, f0);
    e.store(bt.d, sum_dy, k.out[2].ptr, f0);
  });
}

}  // namespace minigrad::jit
