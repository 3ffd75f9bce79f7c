// Batch normalisation of x[N, F] per feature f (a column), in double, each result
// rounded once to the element type. With inv = 1 / sqrt(var + eps):
//   train: mean = sum_n x / N, var = sum_n (x - mean)^2 / N (biased),
//          y = (x - mean) inv gamma + beta; returns y, mean, var.
//   eval:  y = (x - running_mean) / sqrt(running_var + eps) gamma + beta.
//   grad:  xhat = (x - mean) inv, dxhat = dy gamma,
//          dgamma = sum_n dy xhat, dbeta = sum_n dy,
//          dx = inv / N (N dxhat - sum_n dxhat - xhat sum_n dxhat xhat),
//   the VJP of train's y through xhat, mean and var (mean and var are the batch's).
// With a row count n (train's 4th operand, grad's 6th; docs/ir.md "Partial
// batches") N = n: the sums run over rows r < n, and train writes y = 0 and grad
// dx = 0 in rows r >= n (so y depends on the first n rows only, and dx is its VJP).
// For x[N, C, H, W] (BatchNorm2d) all of this holds per channel c, over the N H W
// positions (n, h, w) in the place of the rows (N H W of them; masked: n H W).
#include <cmath>

#include "backend/interp/kernel.h"

namespace minigrad::interp {
namespace {

// Where position r (of the N S positions) of feature f lies in x[N, F, S...]:
// n = r / S, s = r % S (S = 1 for [N, F]).
struct Layout {
  int64_t features, spatial;
  int64_t at(int64_t r, int64_t f) const { return (r / spatial * features + f) * spatial + r % spatial; }
};

// Feature f of x as a column of N S positions, read as double.
template <typename T>
struct Column {
  const T* data;
  Layout l;
  int64_t f;
  double operator[](int64_t r) const { return static_cast<double>(data[l.at(r, f)]); }
};

// Calls f(T{}, N, F, S) with the element type and extents of x = operand `x_index`
// (S: the product of the extents after F; 1 for [N, F]).
template <typename F>
void with_batch(const Call& c, size_t x_index, F f) {
  const ir::Shape& s = c.in(x_index).type().shape;
  int64_t spatial = s.numel() / (s[0] * s[1]);
  with_float(c.node, c.in(x_index).type().dtype, [&](auto t) { f(t, s[0], s[1], spatial); });
}

}  // namespace

void batch_norm_train(const Call& c) {
  double eps = c.attrs().f("eps");
  with_batch(c, 0, [&](auto t, int64_t rows, int64_t features, int64_t spatial) {
    using T = decltype(t);
    const T *gamma = c.in(1).as<T>(), *beta = c.in(2).as<T>();
    T *y = c.out(0).as<T>(), *mean_out = c.out(1).as<T>(), *var_out = c.out(2).as<T>();
    Layout l{features, spatial};
    int64_t all = rows * spatial;
    rows = valid_rows(c, 3, rows) * spatial;
    for (int64_t f = 0; f < features; ++f) {
      Column<T> x{c.in(0).as<T>(), l, f};
      double mean = 0, var = 0;
      for (int64_t n = 0; n < rows; ++n) mean += x[n];
      mean /= double(rows);
      for (int64_t n = 0; n < rows; ++n) var += (x[n] - mean) * (x[n] - mean);
      var /= double(rows);
      double inv = 1 / std::sqrt(var + eps);
      for (int64_t n = 0; n < rows; ++n) y[l.at(n, f)] = static_cast<T>((x[n] - mean) * inv * gamma[f] + beta[f]);
      for (int64_t n = rows; n < all; ++n) y[l.at(n, f)] = T(0);
      mean_out[f] = static_cast<T>(mean);
      var_out[f] = static_cast<T>(var);
    }
  });
}

void batch_norm_eval(const Call& c) {
  double eps = c.attrs().f("eps");
  with_batch(c, 0, [&](auto t, int64_t rows, int64_t features, int64_t spatial) {
    using T = decltype(t);
    const T *gamma = c.in(1).as<T>(), *beta = c.in(2).as<T>();
    const T *mean = c.in(3).as<T>(), *var = c.in(4).as<T>();
    T* y = c.out().as<T>();
    Layout l{features, spatial};
    for (int64_t f = 0; f < features; ++f) {
      Column<T> x{c.in(0).as<T>(), l, f};
      double inv = 1 / std::sqrt(double(var[f]) + eps);
      for (int64_t n = 0; n < rows * spatial; ++n)
        y[l.at(n, f)] = static_cast<T>((x[n] - double(mean[f])) * inv * gamma[f] + beta[f]);
    }
  });
}

void batch_norm_grad(const Call& c) {
  double eps = c.attrs().f("eps");
  with_batch(c, 1, [&](auto t, int64_t rows, int64_t features, int64_t spatial) {
    using T = decltype(t);
    const T *gamma = c.in(2).as<T>(), *mean = c.in(3).as<T>(), *var = c.in(4).as<T>();
    T *dx = c.out(0).as<T>(), *dgamma = c.out(1).as<T>(), *dbeta = c.out(2).as<T>();
    Layout l{features, spatial};
    int64_t all = rows * spatial;
    rows = valid_rows(c, 5, rows) * spatial;
    double big_n = double(rows);
    for (int64_t f = 0; f < features; ++f) {
      Column<T> dy{c.in(0).as<T>(), l, f}, x{c.in(1).as<T>(), l, f};
      double inv = 1 / std::sqrt(double(var[f]) + eps);
      auto xhat = [&](int64_t n) { return (x[n] - double(mean[f])) * inv; };
      double sum_dy = 0, sum_dy_xhat = 0;
      for (int64_t n = 0; n < rows; ++n) {
        sum_dy += dy[n];
        sum_dy_xhat += dy[n] * xhat(n);
      }
      // sum_n dxhat = gamma sum_n dy and sum_n dxhat xhat = gamma sum_n dy xhat.
      double sum_dxhat = gamma[f] * sum_dy, sum_dxhat_xhat = gamma[f] * sum_dy_xhat;
      for (int64_t n = 0; n < rows; ++n) {
        double dxhat = dy[n] * gamma[f];
        dx[l.at(n, f)] = static_cast<T>(inv / big_n * (big_n * dxhat - sum_dxhat - xhat(n) * sum_dxhat_xhat));
      }
      for (int64_t n = rows; n < all; ++n) dx[l.at(n, f)] = T(0);
      dgamma[f] = static_cast<T>(sum_dy_xhat);
      dbeta[f] = static_cast<T>(sum_dy);
    }
  });
}

}  // namespace minigrad::interp
