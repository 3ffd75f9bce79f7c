// Elementwise kernels that need more than a scalar function: numpy broadcasting
// offsets, comparisons (cmp{pred} gives 1 or 0 in the operands' dtype), division
// (i32 division truncates toward zero, as C++ does, and refuses a zero divisor),
// select (three operands broadcast together), cast and constant fills. The maps that
// the dispatch uses for the other elementwise ops are in elementwise.h.
#include "backend/interp/elementwise.h"

#include <algorithm>
#include <functional>

namespace minigrad::interp {

std::vector<int64_t> broadcast_offsets(const ir::Shape& from, const ir::Shape& to) {
  // stride[i]: how far the offset into `from` moves when axis i of `to` advances;
  // 0 along axes that `from` lacks (leading) or has with extent 1 (stretched).
  int rank = to.rank(), lead = to.rank() - from.rank();
  std::vector<int64_t> stride(static_cast<size_t>(rank), 0);
  int64_t step = 1;
  for (int i = rank - 1; i >= lead; --i) {
    int64_t extent = from[i - lead];
    if (extent != 1) stride[size_t(i)] = step;
    step *= extent;
  }
  // Walk `to` in row-major order like an odometer, carrying the offset along.
  std::vector<int64_t> offsets(static_cast<size_t>(to.numel()));
  std::vector<int64_t> index(static_cast<size_t>(rank), 0);
  int64_t offset = 0;
  for (int64_t& o : offsets) {
    o = offset;
    for (int i = rank - 1; i >= 0; --i) {
      offset += stride[size_t(i)];
      if (++index[size_t(i)] < to[i]) break;
      offset -= stride[size_t(i)] * to[i];
      index[size_t(i)] = 0;
    }
  }
  return offsets;
}

void compare(const Call& c) {
  const std::string& pred = c.attrs().s("pred");
  if (pred == "gt") return map_binary(c, std::greater<>());
  if (pred == "ge") return map_binary(c, std::greater_equal<>());
  if (pred == "lt") return map_binary(c, std::less<>());
  if (pred == "le") return map_binary(c, std::less_equal<>());
  if (pred == "eq") return map_binary(c, std::equal_to<>());
  if (pred == "ne") return map_binary(c, std::not_equal_to<>());
  fail_at(c.node, "unknown predicate \"{}\"", pred);
}

void divide(const Call& c) {
  map_binary(c, [&](auto a, auto b) {
    if constexpr (std::is_integral_v<decltype(b)>)
      if (b == 0) fail_at(c.node, "integer division of {} by zero", a);
    return a / b;
  });
}

void select(const Call& c) {
  Buffer& y = c.out();
  std::vector<int64_t> ic = broadcast_offsets(c.in(0).type().shape, y.type().shape);
  std::vector<int64_t> ia = broadcast_offsets(c.in(1).type().shape, y.type().shape);
  std::vector<int64_t> ib = broadcast_offsets(c.in(2).type().shape, y.type().shape);
  with_dtype(y.type().dtype, [&](auto t) {
    using T = decltype(t);
    const T *pc = c.in(0).as<T>(), *pa = c.in(1).as<T>(), *pb = c.in(2).as<T>();
    T* py = y.as<T>();
    for (size_t i = 0; i < ic.size(); ++i) py[i] = pc[ic[i]] != T(0) ? pa[ia[i]] : pb[ib[i]];
  });
}

// Every dtype converts exactly to double, so a cast goes through double; to i32 it
// truncates toward zero (static_cast) and refuses what does not fit.
void cast(const Call& c) {
  with_dtype(c.in(0).type().dtype, [&](auto from) {
    with_dtype(c.out().type().dtype, [&](auto to) {
      using From = decltype(from);
      using To = decltype(to);
      const From* x = c.in(0).as<From>();
      To* y = c.out().as<To>();
      for (int64_t i = 0; i < c.out().numel(); ++i) y[i] = checked_convert<To>(c.node, static_cast<double>(x[i]));
    });
  });
}

void constant(const Call& c) {
  with_dtype(c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    T v = checked_convert<T>(c.node, c.attrs().f("value"));
    std::span<T> y = c.out().span<T>();
    std::fill(y.begin(), y.end(), v);
  });
}

}  // namespace minigrad::interp
