// The image ops of ir/ops.def (convolution and pooling over NCHW) as plain loops
// over every output element and window tap, following the formulas of ops.def with
// the index algebra of ir/window.h; sums in Acc<T> (double), each result rounded
// once. Slow on purpose: these are the reference the JIT is checked against.
//
// The convolution and its two VJPs are one walk over the terms of conv2d's sum
// (each_conv_term), each adding its product to y, to dx or to dw; the pools' VJPs
// add each dy element to the inputs of its window, in output order. Every sum is
// accumulated in double and rounded once at the end.
#include <limits>
#include <vector>

#include "backend/interp/kernel.h"
#include "ir/window.h"

namespace minigrad::interp {
namespace {

// Extents of an [N, C, H, W] buffer and the offset of one element.
struct Image {
  int64_t n, c, h, w;
  explicit Image(const Buffer& b)
      : n(b.type().shape[0]), c(b.type().shape[1]), h(b.type().shape[2]), w(b.type().shape[3]) {}
  int64_t at(int64_t i, int64_t ch, int64_t y, int64_t x) const { return ((i * c + ch) * h + y) * w + x; }
};

bool inside(int64_t v, int64_t extent) { return v >= 0 && v < extent; }

// f(y, x) for each input position of the window at output (p, q) inside the image;
// t is the tap's index within the window (row-major).
template <typename F>
void each_tap(const ir::Window& win, const Image& in, int64_t p, int64_t q, F f) {
  for (int64_t i = 0; i < win.h.kernel; ++i)
    for (int64_t j = 0; j < win.w.kernel; ++j) {
      int64_t y = win.h.at(p, i), x = win.w.at(q, j);
      if (inside(y, in.h) && inside(x, in.w)) f(i, j, y, x);
    }
}

// Rounds a double accumulator buffer into the result.
template <typename T>
void store_all(const std::vector<double>& acc, T* out) {
  for (size_t i = 0; i < acc.size(); ++i) out[i] = static_cast<T>(acc[i]);
}

// Calls term(x_at, w_at, y_at) for every term of conv2d's sum (ir/ops.def), in the
// order output (n, f, p, q), channel, tap: the offsets in x, in w[F, C/g, KH, KW]
// and in y of the input element, the weight and the output it adds to. The three
// kernels below are this walk with a different accumulator.
template <typename F>
void each_conv_term(const ir::Window& win, const Image& x, const Image& y, const ir::Shape& ws, F term) {
  int64_t cg = ws[1], fg = y.c / win.groups;  // channels and filters per group
  for (int64_t n = 0; n < y.n; ++n)
    for (int64_t f = 0; f < y.c; ++f)
      for (int64_t p = 0; p < y.h; ++p)
        for (int64_t q = 0; q < y.w; ++q)
          for (int64_t ch = 0; ch < cg; ++ch)
            each_tap(win, x, p, q, [&](int64_t i, int64_t j, int64_t yy, int64_t xx) {
              term(x.at(n, f / fg * cg + ch, yy, xx), ((f * cg + ch) * ws[2] + i) * ws[3] + j, y.at(n, f, p, q));
            });
}

}  // namespace

void conv2d(const Call& c) {
  const ir::Shape& ws = c.in(1).type().shape;
  ir::Window win = ir::window_of(c.attrs(), ws[2], ws[3]);
  with_float(c.node, c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    const T *x = c.in(0).as<T>(), *w = c.in(1).as<T>();
    std::vector<double> acc(size_t(c.out().numel()), 0.0);
    each_conv_term(win, Image(c.in(0)), Image(c.out()), ws,
                   [&](int64_t xi, int64_t wi, int64_t yi) { acc[size_t(yi)] += double(x[xi]) * double(w[wi]); });
    store_all(acc, c.out().as<T>());
  });
}

void conv2d_input_grad(const Call& c) {
  const ir::Shape& ws = c.in(1).type().shape;
  ir::Window win = ir::window_of(c.attrs(), ws[2], ws[3]);
  with_float(c.node, c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    const T *g = c.in(0).as<T>(), *w = c.in(1).as<T>();
    std::vector<double> acc(size_t(c.out().numel()), 0.0);
    each_conv_term(win, Image(c.out()), Image(c.in(0)), ws,
                   [&](int64_t xi, int64_t wi, int64_t yi) { acc[size_t(xi)] += double(g[yi]) * double(w[wi]); });
    store_all(acc, c.out().as<T>());
  });
}

void conv2d_weight_grad(const Call& c) {
  ir::Window win = ir::window_of(c.attrs());
  with_float(c.node, c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    const T *g = c.in(0).as<T>(), *x = c.in(1).as<T>();
    std::vector<double> acc(size_t(c.out().numel()), 0.0);
    each_conv_term(win, Image(c.in(1)), Image(c.in(0)), c.out().type().shape,
                   [&](int64_t xi, int64_t wi, int64_t yi) { acc[size_t(wi)] += double(g[yi]) * double(x[xi]); });
    store_all(acc, c.out().as<T>());
  });
}

namespace {
// The flat input offset that max_pool2d picks for the window at (n, ch, p, q):
// row-major scan, replace when greater or NaN (ops.def); -1 if the window is empty.
template <typename T>
int64_t max_tap(const ir::Window& win, const Image& x, const T* xd, int64_t n, int64_t ch, int64_t p, int64_t q) {
  int64_t best = -1;
  T m = -std::numeric_limits<T>::infinity();
  each_tap(win, x, p, q, [&](int64_t, int64_t, int64_t yy, int64_t xx) {
    int64_t at = x.at(n, ch, yy, xx);
    if (best < 0 || xd[at] > m || is_nan(xd[at])) best = at, m = xd[at];
  });
  return best;
}
}  // namespace

void max_pool2d(const Call& c) {
  ir::Window win = ir::window_of(c.attrs());
  Image x(c.in(0)), y(c.out());
  with_float(c.node, c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    const T* xd = c.in(0).as<T>();
    T* out = c.out().as<T>();
    for (int64_t n = 0; n < y.n; ++n)
      for (int64_t ch = 0; ch < y.c; ++ch)
        for (int64_t p = 0; p < y.h; ++p)
          for (int64_t q = 0; q < y.w; ++q) {
            int64_t at = max_tap(win, x, xd, n, ch, p, q);
            out[y.at(n, ch, p, q)] = at < 0 ? -std::numeric_limits<T>::infinity() : xd[at];
          }
  });
}

void max_pool2d_grad(const Call& c) {
  ir::Window win = ir::window_of(c.attrs());
  Image dy(c.in(0)), x(c.in(1));
  with_float(c.node, c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    const T *g = c.in(0).as<T>(), *xd = c.in(1).as<T>();
    std::vector<double> acc(size_t(c.out().numel()), 0.0);
    for (int64_t n = 0; n < dy.n; ++n)
      for (int64_t ch = 0; ch < dy.c; ++ch)
        for (int64_t p = 0; p < dy.h; ++p)
          for (int64_t q = 0; q < dy.w; ++q)
            if (int64_t at = max_tap(win, x, xd, n, ch, p, q); at >= 0) acc[size_t(at)] += double(g[dy.at(n, ch, p, q)]);
    store_all(acc, c.out().as<T>());
  });
}

void avg_pool2d(const Call& c) {
  ir::Window win = ir::window_of(c.attrs());
  Image x(c.in(0)), y(c.out());
  double area = double(win.h.kernel * win.w.kernel);
  with_float(c.node, c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    const T* xd = c.in(0).as<T>();
    T* out = c.out().as<T>();
    for (int64_t n = 0; n < y.n; ++n)
      for (int64_t ch = 0; ch < y.c; ++ch)
        for (int64_t p = 0; p < y.h; ++p)
          for (int64_t q = 0; q < y.w; ++q) {
            double sum = 0;
            each_tap(win, x, p, q, [&](int64_t, int64_t, int64_t yy, int64_t xx) { sum += double(xd[x.at(n, ch, yy, xx)]); });
            out[y.at(n, ch, p, q)] = static_cast<T>(sum / area);
          }
  });
}

void avg_pool2d_grad(const Call& c) {
  ir::Window win = ir::window_of(c.attrs());
  Image dy(c.in(0)), dx(c.out());
  double area = double(win.h.kernel * win.w.kernel);
  with_float(c.node, c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    const T* g = c.in(0).as<T>();
    std::vector<double> acc(size_t(c.out().numel()), 0.0);
    for (int64_t n = 0; n < dy.n; ++n)
      for (int64_t ch = 0; ch < dy.c; ++ch)
        for (int64_t p = 0; p < dy.h; ++p)
          for (int64_t q = 0; q < dy.w; ++q) {
            double share = double(g[dy.at(n, ch, p, q)]) / area;
            each_tap(win, dx, p, q, [&](int64_t, int64_t, int64_t yy, int64_t xx) { acc[size_t(dx.at(n, ch, yy, xx))] += share; });
          }
    store_all(acc, c.out().as<T>());
  });
}

}  // namespace minigrad::interp
