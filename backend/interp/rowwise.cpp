// Row-wise kernels along the last axis: softmax and log_softmax. A value is seen as
// rows of its last extent (a scalar is one row of one element). Both are made
// numerically stable by subtracting the row max m, which cancels:
//   softmax(x)_j     = exp(x_j - m) / s,        s = sum_k exp(x_k - m)
//   log_softmax(x)_j = x_j - m - log(s)
// so every exp is of a value <= 0 and s is in [1, C] (rowwise.h). Row work is done
// in double and each result rounded once to the element type.
#include "backend/interp/rowwise.h"

namespace minigrad::interp {
namespace {

// Calls f(x_row, y_row, n) on every row of the last axis of c's operand and result.
template <typename F>
void for_each_row(const Call& c, F f) {
  const ir::Shape& s = c.in(0).type().shape;
  int64_t n = s.rank() == 0 ? 1 : s[s.rank() - 1];
  with_float(c.node, c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    for (int64_t r = 0; r < c.out().numel() / n; ++r) f(c.in(0).as<T>() + r * n, c.out().as<T>() + r * n, n);
  });
}

}  // namespace

void softmax(const Call& c) {
  for_each_row(c, []<typename T>(const T* x, T* y, int64_t n) {
    RowStats r = row_stats(x, n);
    for (int64_t j = 0; j < n; ++j) y[j] = static_cast<T>(std::exp(x[j] - r.max) / r.sum_exp);
  });
}

void log_softmax(const Call& c) {
  for_each_row(c, []<typename T>(const T* x, T* y, int64_t n) {
    RowStats r = row_stats(x, n);
    for (int64_t j = 0; j < n; ++j) y[j] = static_cast<T>(x[j] - r.log_sum_exp());
  });
}

}  // namespace minigrad::interp
