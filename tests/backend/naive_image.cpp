// The naive image-op reference; see naive_image.h.
#include "tests/backend/naive_image.h"

#include <cmath>
#include <limits>

#include "ir/error.h"

namespace minigrad::testing {
namespace {

using ir::Op;
using ir::Shape;

struct Geometry {
  int64_t kh, kw, sh, sw, ph, pw, dh = 1, dw = 1, groups = 1;
};

Geometry geometry(const ir::Node& n, int64_t kh, int64_t kw) {
  const auto& s = n.attrs.ints("stride");
  const auto& p = n.attrs.ints("padding");
  Geometry g{kh, kw, s[0], s[1], p[0], p[1]};
  if (n.attrs.has("dilation")) g.dh = n.attrs.ints("dilation")[0], g.dw = n.attrs.ints("dilation")[1];
  if (n.attrs.has("groups")) g.groups = n.attrs.i("groups");
  return g;
}

Geometry geometry(const ir::Node& n) { return geometry(n, n.attrs.ints("kernel")[0], n.attrs.ints("kernel")[1]); }

double& at4(Tensor& t, int64_t a, int64_t b, int64_t c, int64_t d) {
  return t.v[size_t(((a * t.shape[1] + b) * t.shape[2] + c) * t.shape[3] + d)];
}
double at4(const Tensor& t, int64_t a, int64_t b, int64_t c, int64_t d) {
  return t.v[size_t(((a * t.shape[1] + b) * t.shape[2] + c) * t.shape[3] + d)];
}
Tensor zeros4(const Shape& s) { return {s, std::vector<double>(size_t(s.numel()), 0.0)}; }

// The image value at (n, c, y, x), 0 in the padding.
double pixel(const Tensor& x, int64_t n, int64_t c, int64_t y, int64_t v) {
  if (y < 0 || v < 0 || y >= x.shape[2] || v >= x.shape[3]) return 0;
  return at4(x, n, c, y, v);
}

// conv2d as im2col and a product: for image n and group gr, the matrix
// col[(c, i, j), (p, q)] = x[n, gr C/g + c, p sh + i dh - ph, q sw + j dw - pw], then
// y[n, f, p, q] = sum_k w[f, k] col[k, (p, q)].
Tensor conv2d(const ir::Node& node, const Tensor& x, const Tensor& w, const Shape& out) {
  Geometry g = geometry(node, w.shape[2], w.shape[3]);
  int64_t cg = w.shape[1], fg = out[1] / g.groups, taps = cg * g.kh * g.kw, oh = out[2], ow = out[3];
  Tensor y = zeros4(out);
  for (int64_t n = 0; n < out[0]; ++n)
    for (int64_t gr = 0; gr < g.groups; ++gr) {
      std::vector<double> col(size_t(taps * oh * ow));
      for (int64_t k = 0; k < taps; ++k) {
        int64_t c = k / (g.kh * g.kw), i = k / g.kw % g.kh, j = k % g.kw;
        for (int64_t p = 0; p < oh; ++p)
          for (int64_t q = 0; q < ow; ++q)
            col[size_t(k * oh * ow + p * ow + q)] = pixel(x, n, gr * cg + c, p * g.sh + i * g.dh - g.ph, q * g.sw + j * g.dw - g.pw);
      }
      for (int64_t f = gr * fg; f < (gr + 1) * fg; ++f)
        for (int64_t pq = 0; pq < oh * ow; ++pq) {
          double s = 0;
          for (int64_t k = 0; k < taps; ++k) s += w.v[size_t(f * taps + k)] * col[size_t(k * oh * ow + pq)];
          at4(y, n, f, pq / ow, pq % ow) = s;
        }
    }
  return y;
}

// Whether output position o along an axis reads input position i through tap t:
// i = o s + t d - p, with o inside [0, out).
bool reads(int64_t i, int64_t t, int64_t s, int64_t d, int64_t p, int64_t out, int64_t* o) {
  int64_t num = i + p - t * d;
  if (num < 0 || num % s != 0) return false;
  *o = num / s;
  return *o < out;
}

// dx[n, c, y, v] = sum over the outputs (f, p, q) and taps (i, j) that read (y, v).
Tensor conv2d_input_grad(const ir::Node& node, const Tensor& dy, const Tensor& w, const Shape& out) {
  Geometry g = geometry(node, w.shape[2], w.shape[3]);
  int64_t cg = w.shape[1], fg = dy.shape[1] / g.groups;
  Tensor dx = zeros4(out);
  for (int64_t n = 0; n < out[0]; ++n)
    for (int64_t c = 0; c < out[1]; ++c)
      for (int64_t y = 0; y < out[2]; ++y)
        for (int64_t v = 0; v < out[3]; ++v) {
          double s = 0;
          int64_t gr = c / cg;
          for (int64_t f = gr * fg; f < (gr + 1) * fg; ++f)
            for (int64_t i = 0; i < g.kh; ++i)
              for (int64_t j = 0; j < g.kw; ++j) {
                int64_t p = 0, q = 0;
                if (reads(y, i, g.sh, g.dh, g.ph, dy.shape[2], &p) && reads(v, j, g.sw, g.dw, g.pw, dy.shape[3], &q))
                  s += at4(dy, n, f, p, q) * at4(w, f, c - gr * cg, i, j);
              }
          at4(dx, n, c, y, v) = s;
        }
  return dx;
}

Tensor conv2d_weight_grad(const ir::Node& node, const Tensor& dy, const Tensor& x, const Shape& out) {
  Geometry g = geometry(node);
  int64_t cg = out[1], fg = dy.shape[1] / g.groups;
  Tensor dw = zeros4(out);
  for (int64_t f = 0; f < out[0]; ++f)
    for (int64_t c = 0; c < cg; ++c)
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j) {
          double s = 0;
          for (int64_t n = 0; n < dy.shape[0]; ++n)
            for (int64_t p = 0; p < dy.shape[2]; ++p)
              for (int64_t q = 0; q < dy.shape[3]; ++q)
                s += at4(dy, n, f, p, q) * pixel(x, n, f / fg * cg + c, p * g.sh + i * g.dh - g.ph, q * g.sw + j * g.dw - g.pw);
          at4(dw, f, c, i, j) = s;
        }
  return dw;
}

// The window's chosen (y, v) for max pooling: greater or NaN replaces (ops.def).
std::pair<int64_t, int64_t> argmax_window(const Geometry& g, const Tensor& x, int64_t n, int64_t c, int64_t p, int64_t q) {
  std::pair<int64_t, int64_t> best{-1, -1};
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < g.kh; ++i)
    for (int64_t j = 0; j < g.kw; ++j) {
      int64_t y = p * g.sh + i - g.ph, v = q * g.sw + j - g.pw;
      if (y < 0 || v < 0 || y >= x.shape[2] || v >= x.shape[3]) continue;
      double e = at4(x, n, c, y, v);
      if (best.first < 0 || e > m || std::isnan(e)) best = {y, v}, m = e;
    }
  return best;
}

Tensor pool(const ir::Node& node, const Tensor& x, const Shape& out) {
  Geometry g = geometry(node);
  Tensor y = zeros4(out);
  for (int64_t n = 0; n < out[0]; ++n)
    for (int64_t c = 0; c < out[1]; ++c)
      for (int64_t p = 0; p < out[2]; ++p)
        for (int64_t q = 0; q < out[3]; ++q) {
          if (node.op == Op::MaxPool2d) {
            auto [yy, vv] = argmax_window(g, x, n, c, p, q);
            at4(y, n, c, p, q) = at4(x, n, c, yy, vv);
            continue;
          }
          double s = 0;
          for (int64_t i = 0; i < g.kh; ++i)
            for (int64_t j = 0; j < g.kw; ++j) s += pixel(x, n, c, p * g.sh + i - g.ph, q * g.sw + j - g.pw);
          at4(y, n, c, p, q) = s / double(g.kh * g.kw);
        }
  return y;
}

// Both pools' gradients, scattered from each output to what it read.
Tensor pool_grad(const ir::Node& node, const Tensor& dy, const Tensor* x, const Shape& out) {
  Geometry g = geometry(node);
  Tensor dx = zeros4(out);
  for (int64_t n = 0; n < dy.shape[0]; ++n)
    for (int64_t c = 0; c < dy.shape[1]; ++c)
      for (int64_t p = 0; p < dy.shape[2]; ++p)
        for (int64_t q = 0; q < dy.shape[3]; ++q) {
          if (x) {
            auto [yy, vv] = argmax_window(g, *x, n, c, p, q);
            at4(dx, n, c, yy, vv) += at4(dy, n, c, p, q);
            continue;
          }
          for (int64_t i = 0; i < g.kh; ++i)
            for (int64_t j = 0; j < g.kw; ++j) {
              int64_t y = p * g.sh + i - g.ph, v = q * g.sw + j - g.pw;
              if (y >= 0 && v >= 0 && y < out[2] && v < out[3]) at4(dx, n, c, y, v) += at4(dy, n, c, p, q) / double(g.kh * g.kw);
            }
        }
  return dx;
}

}  // namespace

std::vector<Tensor> naive_image_op(const ir::Node& n, const Shape& out, const std::vector<Tensor>& in) {
  switch (n.op) {
    case Op::Conv2d: return {conv2d(n, in[0], in[1], out)};
    case Op::Conv2dInputGrad: return {conv2d_input_grad(n, in[0], in[1], out)};
    case Op::Conv2dWeightGrad: return {conv2d_weight_grad(n, in[0], in[1], out)};
    case Op::MaxPool2d: case Op::AvgPool2d: return {pool(n, in[0], out)};
    case Op::MaxPool2dGrad: return {pool_grad(n, in[0], &in[1], out)};
    case Op::AvgPool2dGrad: return {pool_grad(n, in[0], nullptr, out)};
    default: break;
  }
  fail("{} is not an image op", ir::op_name(n.op));
}

Tensor nchw_to_rows(const Tensor& x) {
  int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  Tensor r{Shape{N * H * W, C}, std::vector<double>(x.v.size())};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t y = 0; y < H; ++y)
        for (int64_t v = 0; v < W; ++v) r.at((n * H + y) * W + v, c) = at4(x, n, c, y, v);
  return r;
}

Tensor rows_to_nchw(const Tensor& rows, const Shape& s) {
  Tensor x = zeros4(s);
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t c = 0; c < s[1]; ++c)
      for (int64_t y = 0; y < s[2]; ++y)
        for (int64_t v = 0; v < s[3]; ++v) at4(x, n, c, y, v) = rows.at((n * s[2] + y) * s[3] + v, c);
  return x;
}

}  // namespace minigrad::testing
