// Elementwise maps of the interpreter: apply a scalar function to every element of
// one operand, or of two operands broadcast together as numpy does (right-aligned
// shapes; an extent of 1 stretches). The dispatch (dispatch.cpp) passes the scalar
// function of each op, so the algebra of every elementwise op is written there, in
// one place. A function receives and returns Wide<T>: i32 operands are widened to
// int64_t and the result narrowed back, wrapping as PyTorch's int32 does.
#pragma once

#include "backend/interp/kernel.h"

namespace minigrad::interp {

// y[i] = f(x[i]) for any dtype.
template <typename F>
void map_unary(const Call& c, F f) {
  with_dtype(c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    const T* x = c.in(0).as<T>();
    T* y = c.out().as<T>();
    for (int64_t i = 0; i < c.out().numel(); ++i) y[i] = static_cast<T>(f(static_cast<Wide<T>>(x[i])));
  });
}

// y[i] = f(x[i]) for ops that only float dtypes admit.
template <typename F>
void map_unary_float(const Call& c, F f) {
  with_float(c.node, c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    const T* x = c.in(0).as<T>();
    T* y = c.out().as<T>();
    for (int64_t i = 0; i < c.out().numel(); ++i) y[i] = static_cast<T>(f(x[i]));
  });
}

// y[i] = f(a[ia(i)], b[ib(i)]) where ia, ib are the broadcast offsets of a and b.
// The result's dtype is the operands' (a comparison's bool becomes 1 or 0).
template <typename F>
void map_binary(const Call& c, F f) {
  const Buffer &a = c.in(0), &b = c.in(1);
  Buffer& y = c.out();
  std::vector<int64_t> ia = broadcast_offsets(a.type().shape, y.type().shape);
  std::vector<int64_t> ib = broadcast_offsets(b.type().shape, y.type().shape);
  with_dtype(y.type().dtype, [&](auto t) {
    using T = decltype(t);
    const T *pa = a.as<T>(), *pb = b.as<T>();
    T* py = y.as<T>();
    for (size_t i = 0; i < ia.size(); ++i) {
      Wide<T> u = pa[ia[i]], v = pb[ib[i]];
      py[i] = static_cast<T>(f(u, v));
    }
  });
}

}  // namespace minigrad::interp
