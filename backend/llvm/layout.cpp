// Layout kernels: they move elements and compute nothing. Values are row-major, so
// reshape is a copy. transpose swaps the axes of a matrix, y[j, i] = x[i, j], in
// square tiles so that both sides are read and written a cache line at a time.
// slice and pad work on one axis, the value seen as [outer, extent, inner]:
// slice{start, end} keeps rows [start, end) of the middle axis; pad{before, after}
// writes the input's rows at [before, before + extent) of a zeroed result.
#include "backend/llvm/kernel.h"

namespace minigrad::jit {
namespace {

using ir::DType;
using llvm::Value;

struct AxisSplit {
  int64_t outer = 1, inner = 1;
};

AxisSplit split_at(const ir::Shape& s, int64_t axis) {
  AxisSplit out;
  for (int i = 0; i < s.rank(); ++i) {
    if (i < axis) out.outer *= s[i];
    if (i > axis) out.inner *= s[i];
  }
  return out;
}

// y[o*to_rows + to_first + r] rows of `inner` elements = x[o*from_rows + from_first + r]
// for o < outer, r < rows.
void copy_rows(Kernel& k, int64_t outer, int64_t rows, int64_t inner, int64_t from_rows, int64_t from_first,
               int64_t to_rows, int64_t to_first) {
  Emitter& e = k.e;
  auto& b = e.b();
  DType d = k.out[0].type.dtype;
  e.loop(0, outer, 1, [&](Value* o) {
    e.loop(0, rows, 1, [&](Value* r) {
      Value* src = b.CreateMul(b.CreateAdd(b.CreateMul(o, e.idx(from_rows)), b.CreateAdd(r, e.idx(from_first))), e.idx(inner));
      Value* dst = b.CreateMul(b.CreateAdd(b.CreateMul(o, e.idx(to_rows)), b.CreateAdd(r, e.idx(to_first))), e.idx(inner));
      e.vector_loop(inner, e.width(d), [&](Value* i, unsigned lanes) {
        e.store(d, e.load(d, lanes, k.in[0].ptr, b.CreateAdd(src, i)), k.out[0].ptr, b.CreateAdd(dst, i));
      });
    });
  });
}

void transpose(Kernel& k) {
  Emitter& e = k.e;
  auto& b = e.b();
  DType d = k.out[0].type.dtype;
  int64_t rows = k.shape(0)[0], cols = k.shape(0)[1];
  const int64_t tile = 16;
  // Tiles of tile x tile; the last tile of each axis is shorter.
  auto tiles = [&](int64_t n, const std::function<void(Value*, int64_t)>& f) {
    int64_t full = n / tile * tile;
    e.loop(0, full, tile, [&](Value* t) { f(t, tile); });
    if (n > full) f(e.idx(full), n - full);
  };
  tiles(rows, [&](Value* i0, int64_t ni) {
    tiles(cols, [&](Value* j0, int64_t nj) {
      e.loop(0, ni, 1, [&](Value* di) {
        Value* i = b.CreateAdd(i0, di);
        e.loop(0, nj, 1, [&](Value* dj) {
          Value* j = b.CreateAdd(j0, dj);
          Value* x = e.load(d, 1, k.in[0].ptr, b.CreateAdd(b.CreateMul(i, e.idx(cols)), j));
          e.store(d, x, k.out[0].ptr, b.CreateAdd(b.CreateMul(j, e.idx(rows)), i));
        });
      });
    });
  });
}

}  // namespace

void emit_reshape(Kernel& k) { k.e.copy(k.out[0].ptr, k.in[0].ptr, int64_t(k.out[0].type.bytes())); }

void emit_transpose(Kernel& k) { transpose(k); }

void emit_slice(Kernel& k) {
  const ir::Attrs& a = k.node.attrs;
  AxisSplit s = split_at(k.shape(0), a.i("axis"));
  int64_t extent = k.shape(0)[int(a.i("axis"))], start = a.i("start"), end = a.i("end");
  copy_rows(k, s.outer, end - start, s.inner, extent, start, end - start, 0);
}

// mask_rows: rows r < n copied, the others zero-filled without being read.
void emit_mask_rows(Kernel& k) {
  Emitter& e = k.e;
  auto& b = e.b();
  ir::DType d = k.out[0].type.dtype;
  int64_t rows = k.shape(0)[0], row = k.out[0].type.numel() / rows;
  Value* n = checked_row_count(k, k.in[1].ptr, rows);
  Value* kept = b.CreateMul(n, e.idx(row));
  e.loop(e.idx(0), kept, 1, [&](Value* i) { e.store(d, e.load(d, 1, k.in[0].ptr, i), k.out[0].ptr, i); });
  e.loop(kept, e.idx(rows * row), 1, [&](Value* i) { e.store(d, e.constant(d, 0.0), k.out[0].ptr, i); });
}

void emit_pad(Kernel& k) {
  const ir::Attrs& a = k.node.attrs;
  AxisSplit s = split_at(k.shape(0), a.i("axis"));
  int64_t extent = k.shape(0)[int(a.i("axis"))], before = a.i("before"), after = a.i("after");
  ir::DType d = k.out[0].type.dtype;
  k.e.fill(d, k.out[0].ptr, k.out[0].type.numel(), k.e.constant(d, 0.0));
  copy_rows(k, s.outer, extent, s.inner, extent, 0, before + extent + after, before);
}

}  // namespace minigrad::jit
