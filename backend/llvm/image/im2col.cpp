// im2col and col2im; see im2col.h. Along one axis, output o reads input
// o s + t d - pad for tap t, inside [0, I) exactly for o in [lo, hi) with
//   lo = ceil((pad - t d) / s) clamped to [0, O],  hi = ceil((I + pad - t d) / s) clamped to [lo, O].
#include "backend/llvm/image/im2col.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace minigrad::jit {
namespace {

using llvm::Value;

int64_t ceil_div(int64_t a, int64_t s) { return a >= 0 ? (a + s - 1) / s : -((-a) / s); }

// The outputs [lo, hi) whose tap t reads inside the input along axis `a`.
std::pair<int64_t, int64_t> valid(const ir::Axis& a, int64_t in, int64_t out, int64_t t) {
  int64_t lo = std::clamp<int64_t>(ceil_div(a.pad - t * a.dilation, a.stride), 0, out);
  int64_t hi = std::clamp<int64_t>(ceil_div(in + a.pad - t * a.dilation, a.stride), lo, out);
  return {lo, hi};
}

// For every tap (c, i, j) and row p of its valid rows: body(k, p, q_lo, q_hi, x_at)
// where k is the row of col, q in [q_lo, q_hi) the valid columns and
// x_at(q) the element of x that column q reads. Rows and columns outside are
// given to `outside(k, p0, p1)` (whole rows) and `outside_cols(k, p, q0, q1)`.
struct TapWalk {
  Emitter& e;
  const ImageGeometry& g;
  Value* base;
  std::function<void(Value* k, Value* p, int64_t q0, int64_t q1, const std::function<Value*(Value*)>& x_at)> inside;
  std::function<void(Value* k, Value* p, int64_t q0, int64_t q1)> padding;  // null: nothing to do there

  void run() {
    auto& b = e.b();
    const ir::Window& win = g.win;
    e.loop(0, g.channels, 1, [&](Value* c) {
      Value* plane = b.CreateAdd(base, b.CreateMul(c, e.idx(g.h * g.w)));
      for (int64_t i = 0; i < win.h.kernel; ++i)
        for (int64_t j = 0; j < win.w.kernel; ++j) {
          Value* k = b.CreateAdd(b.CreateMul(c, e.idx(win.h.kernel * win.w.kernel)), e.idx(i * win.w.kernel + j));
          std::pair<int64_t, int64_t> rows = valid(win.h, g.h, g.oh, i), cols = valid(win.w, g.w, g.ow, j);
          int64_t p_lo = rows.first, p_hi = rows.second, q_lo = cols.first, q_hi = cols.second;
          if (padding) {
            e.loop(0, p_lo, 1, [&](Value* p) { padding(k, p, 0, g.ow); });
            e.loop(p_hi, g.oh, 1, [&](Value* p) { padding(k, p, 0, g.ow); });
          }
          e.loop(p_lo, p_hi, 1, [&](Value* p) {
            Value* y = b.CreateAdd(b.CreateMul(p, e.idx(win.h.stride)), e.idx(i * win.h.dilation - win.h.pad));
            Value* row = b.CreateAdd(plane, b.CreateMul(y, e.idx(g.w)));
            auto x_at = [&](Value* q) {
              return b.CreateAdd(row, b.CreateAdd(b.CreateMul(q, e.idx(win.w.stride)), e.idx(j * win.w.dilation - win.w.pad)));
            };
            if (padding) padding(k, p, 0, q_lo), padding(k, p, q_hi, g.ow);
            inside(k, p, q_lo, q_hi, x_at);
          });
        }
    });
  }
};

Value* col_at(Emitter& e, const ImageGeometry& g, Value* k, Value* p, Value* q) {
  auto& b = e.b();
  return b.CreateAdd(b.CreateMul(k, e.idx(g.positions())), b.CreateAdd(b.CreateMul(p, e.idx(g.ow)), q));
}

}  // namespace

void emit_im2col(Emitter& e, const ImageGeometry& g, Value* x, Value* base, Value* col) {
  ir::DType d = g.dtype;
  unsigned w = e.width(d);
  Value* zero = e.constant(d, 0.0);
  TapWalk walk{e, g, base, nullptr, nullptr};
  walk.padding = [&](Value* k, Value* p, int64_t q0, int64_t q1) {
    if (q1 > q0) e.fill(d, e.at(d, col, col_at(e, g, k, p, e.idx(q0))), q1 - q0, zero);
  };
  walk.inside = [&](Value* k, Value* p, int64_t q0, int64_t q1, const std::function<Value*(Value*)>& x_at) {
    Value* to = col_at(e, g, k, p, e.idx(q0));
    if (g.win.w.stride == 1) {  // a contiguous run of the image row
      Value* from = x_at(e.idx(q0));
      e.vector_loop(q1 - q0, w, [&](Value* q, unsigned lanes) {
        e.store(d, e.load(d, lanes, x, e.b().CreateAdd(from, q)), col, e.b().CreateAdd(to, q));
      });
      return;
    }
    e.loop(q0, q1, 1, [&](Value* q) {
      e.store(d, e.load(d, 1, x, x_at(q)), col, e.b().CreateAdd(to, e.b().CreateSub(q, e.idx(q0))));
    });
  };
  walk.run();
}

void emit_col2im(Emitter& e, const ImageGeometry& g, Value* col, Value* x, Value* base) {
  ir::DType d = g.dtype;
  unsigned w = e.width(d);
  auto& b = e.b();
  TapWalk walk{e, g, base, nullptr, nullptr};
  walk.inside = [&](Value* k, Value* p, int64_t q0, int64_t q1, const std::function<Value*(Value*)>& x_at) {
    Value* from = col_at(e, g, k, p, e.idx(q0));
    if (g.win.w.stride == 1) {
      Value* to = x_at(e.idx(q0));
      e.vector_loop(q1 - q0, w, [&](Value* q, unsigned lanes) {
        Value* at = b.CreateAdd(to, q);
        e.store(d, b.CreateFAdd(e.load(d, lanes, x, at), e.load(d, lanes, col, b.CreateAdd(from, q))), x, at);
      });
      return;
    }
    e.loop(q0, q1, 1, [&](Value* q) {
      Value* at = x_at(q);
      Value* v = e.load(d, 1, col, b.CreateAdd(from, b.CreateSub(q, e.idx(q0))));
      e.store(d, b.CreateFAdd(e.load(d, 1, x, at), v), x, at);
    });
  };
  walk.run();
}

}  // namespace minigrad::jit
