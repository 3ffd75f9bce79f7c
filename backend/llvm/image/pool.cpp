// The pooling kernels (ir/ops.def: max_pool2d, avg_pool2d and their VJPs) over
// planes of NCHW images. Each output element scans its window's taps, unrolled
// (the kernel extents are static), with the taps outside the image skipped by a
// select whose load reads a safe in-bounds element instead. max_pool2d keeps the
// first maximum and lets a NaN through (a tap replaces the maximum when it is
// greater or NaN, as the interpreter and PyTorch do); its VJP recomputes that
// choice from x and adds dy there. avg_pool2d divides by KH KW (padding counts).
// One slice of work per plane (n, c): the bits do not depend on the threads.
#include "backend/llvm/image/image_kernels.h"

#include <limits>

#include "backend/llvm/kernel.h"
#include "ir/window.h"

namespace minigrad::jit {
namespace {

using llvm::Value;

struct PoolShape {
  ir::DType d;
  int64_t planes, h, w, oh, ow;
  ir::Window win;
};

// The shape of a pool node from its image operand `x_shape` and its window.
PoolShape pool_shape(const ir::Node& n, ir::DType d, const ir::Shape& x_shape, const ir::Shape& y_shape) {
  return {d, x_shape[0] * x_shape[1], x_shape[2], x_shape[3], y_shape[2], y_shape[3], ir::window_of(n.attrs)};
}

// For the window at (plane, p, q): tap(at, inside) for each tap, `at` the element
// offset in the input (clamped to the plane when outside) and `inside` an i1.
void each_tap(Emitter& e, const PoolShape& s, Value* plane, Value* p, Value* q,
              const std::function<void(Value*, Value*)>& tap) {
  auto& b = e.b();
  Value* base = b.CreateMul(plane, e.idx(s.h * s.w));
  for (int64_t i = 0; i < s.win.h.kernel; ++i)
    for (int64_t j = 0; j < s.win.w.kernel; ++j) {
      Value* y = b.CreateAdd(b.CreateMul(p, e.idx(s.win.h.stride)), e.idx(i - s.win.h.pad));
      Value* v = b.CreateAdd(b.CreateMul(q, e.idx(s.win.w.stride)), e.idx(j - s.win.w.pad));
      // 0 <= y < H and 0 <= v < W, as unsigned compares
      Value* inside = b.CreateAnd(b.CreateICmpULT(y, e.idx(s.h)), b.CreateICmpULT(v, e.idx(s.w)));
      Value* at = b.CreateAdd(base, b.CreateAdd(b.CreateMul(y, e.idx(s.w)), v));
      tap(b.CreateSelect(inside, at, base), inside);
    }
}

// body(plane, p, q, out_offset) for every output element of the kernel's slice of planes.
void each_output(Kernel& k, const PoolShape& s, const std::function<void(Value*, Value*, Value*, Value*)>& body) {
  auto& b = k.e.b();
  k.units = s.planes;
  k.e.loop(k.begin ? k.begin : k.e.idx(0), k.end ? k.end : k.e.idx(s.planes), 1, [&](Value* plane) {
    k.e.loop(0, s.oh, 1, [&](Value* p) {
      k.e.loop(0, s.ow, 1, [&](Value* q) {
        Value* out = b.CreateAdd(b.CreateMul(plane, k.e.idx(s.oh * s.ow)), b.CreateAdd(b.CreateMul(p, k.e.idx(s.ow)), q));
        body(plane, p, q, out);
      });
    });
  });
}

// dx = 0 over the kernel's slice of planes, a plane of vectors at a time.
void zero_planes(Kernel& k, const PoolShape& s) {
  Value* zero = k.e.constant(s.d, 0.0);
  k.e.loop(k.begin ? k.begin : k.e.idx(0), k.end ? k.end : k.e.idx(s.planes), 1, [&](Value* plane) {
    k.e.fill(s.d, k.e.at(s.d, k.out[0].ptr, k.e.b().CreateMul(plane, k.e.idx(s.h * s.w))), s.h * s.w, zero);
  });
}

// The offset max_pool2d chooses in window (plane, p, q) of x, and its value.
std::pair<Value*, Value*> max_tap(Emitter& e, const PoolShape& s, Value* x, Value* plane, Value* p, Value* q) {
  auto& b = e.b();
  Value* best = e.constant(s.d, -std::numeric_limits<double>::infinity());
  Value* where = b.CreateMul(plane, e.idx(s.h * s.w));
  Value* have = b.getFalse();
  each_tap(e, s, plane, p, q, [&](Value* at, Value* inside) {
    Value* v = e.load(s.d, 1, x, at);
    Value* better = b.CreateOr(b.CreateNot(have), b.CreateOr(b.CreateFCmpOGT(v, best), e.is_nan(v)));
    Value* take = b.CreateAnd(inside, better);
    best = b.CreateSelect(take, v, best);
    where = b.CreateSelect(take, at, where);
    have = b.CreateOr(have, inside);
  });
  return {where, best};
}

}  // namespace

void emit_max_pool2d(Kernel& k) {
  PoolShape s = pool_shape(k.node, k.dtype(0), k.shape(0), k.out[0].type.shape);
  each_output(k, s, [&](Value* plane, Value* p, Value* q, Value* out) {
    k.e.store(s.d, max_tap(k.e, s, k.in[0].ptr, plane, p, q).second, k.out[0].ptr, out);
  });
}

void emit_max_pool2d_grad(Kernel& k) {
  PoolShape s = pool_shape(k.node, k.dtype(1), k.shape(1), k.shape(0));
  auto& b = k.e.b();
  zero_planes(k, s);  // then each window's dy is added at its maximum
  // Windows that do not overlap (stride >= kernel) give each element of dx at most
  // one term: stored, not added, so no store waits for a load of the one before.
  bool disjoint = s.win.h.stride >= s.win.h.kernel && s.win.w.stride >= s.win.w.kernel;
  each_output(k, s, [&](Value* plane, Value* p, Value* q, Value* out) {
    Value* at = max_tap(k.e, s, k.in[1].ptr, plane, p, q).first;
    Value* g = k.e.load(s.d, 1, k.in[0].ptr, out);
    k.e.store(s.d, disjoint ? g : b.CreateFAdd(k.e.load(s.d, 1, k.out[0].ptr, at), g), k.out[0].ptr, at);
  });
}

void emit_avg_pool2d(Kernel& k) {
  PoolShape s = pool_shape(k.node, k.dtype(0), k.shape(0), k.out[0].type.shape);
  auto& b = k.e.b();
  Value* zero = k.e.constant(s.d, 0.0);
  Value* area = k.e.constant(s.d, double(s.win.h.kernel * s.win.w.kernel));
  each_output(k, s, [&](Value* plane, Value* p, Value* q, Value* out) {
    Value* sum = zero;
    each_tap(k.e, s, plane, p, q, [&](Value* at, Value* inside) {
      sum = b.CreateFAdd(sum, b.CreateSelect(inside, k.e.load(s.d, 1, k.in[0].ptr, at), zero));
    });
    k.e.store(s.d, b.CreateFDiv(sum, area), k.out[0].ptr, out);
  });
}

void emit_avg_pool2d_grad(Kernel& k) {
  const ir::Shape& dx = k.out[0].type.shape;
  PoolShape s = pool_shape(k.node, k.dtype(0), dx, k.shape(0));
  auto& b = k.e.b();
  zero_planes(k, s);
  Value* area = k.e.constant(s.d, double(s.win.h.kernel * s.win.w.kernel));
  each_output(k, s, [&](Value* plane, Value* p, Value* q, Value* out) {
    Value* share = b.CreateFDiv(k.e.load(s.d, 1, k.in[0].ptr, out), area);
    each_tap(k.e, s, plane, p, q, [&](Value* at, Value* inside) {
      Value* old = k.e.load(s.d, 1, k.out[0].ptr, at);
      k.e.store(s.d, b.CreateSelect(inside, b.CreateFAdd(old, share), old), k.out[0].ptr, at);
    });
  });
}

}  // namespace minigrad::jit
