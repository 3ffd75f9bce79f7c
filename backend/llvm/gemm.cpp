// The generated GEMM; see gemm.h. With A^T stored as A[k, m] and the packed
// panel P[k, n] = B^T[k, n] = B[n, k], every case reads
//   op(A)[m, k] = ta ? A[k M + m] : A[m K + k]
//   op(B)[k, n] = tb ? P[k N + n] : B[k N + n]
// and a tile at (m0, n0) computes C[m0 + r, n0 + j] = sum_k op(A)[m0 + r, k] op(B)[k, n0 + j].
#include "backend/llvm/gemm.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <vector>

#include "backend/llvm/kernel.h"
#include "ir/error.h"

namespace minigrad::jit {
namespace {

using llvm::Value;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Cycles of one tile of mr rows and nv vectors: each k issues mr * nv FMAs (two
// per cycle), mr broadcasts and nv loads (two per cycle), and each accumulator's
// FMAs form a dependent chain of latency 4; plus a fixed cost and the stores.
double tile_cycles(int64_t k, int64_t mr, int64_t nv) {
  double per_k = std::max({double(mr * nv) / 2.0, double(mr + nv) / 2.0, 4.0});
  return double(k) * per_k + 20.0 + double(mr * nv);
}

// Cycles of the whole product with tiles of (mr, nv) at `lanes` per vector.
double gemm_cycles(const GemmShape& s, unsigned lanes, int64_t mr, int64_t nv) {
  int64_t cols = nv * lanes;
  int64_t m_full = s.m / mr, m_rem = s.m % mr;
  int64_t n_full = s.n / cols, n_rem_vecs = ceil_div(s.n % cols, lanes);
  double c = 0;
  auto add = [&](int64_t count_m, int64_t rows, int64_t count_n, int64_t vecs) {
    if (count_m > 0 && count_n > 0 && rows > 0 && vecs > 0) c += double(count_m * count_n) * tile_cycles(s.k, rows, vecs);
  };
  add(m_full, mr, n_full, nv);
  add(m_full, mr, 1, n_rem_vecs);
  add(1, m_rem, n_full, nv);
  add(1, m_rem, 1, n_rem_vecs);
  return c;
}

class GemmEmitter {
 public:
  GemmEmitter(Emitter& e, const GemmShape& s, Value* c, Value* a, Value* b, Value* scratch, const GemmEpilogue& ep)
      : e_(e), b_(e.b()), s_(s), c_(c), a_(a), bmat_(s.tb ? scratch : b), braw_(b), epilogue_(ep),
        lanes_(e.width(s.dtype)), tile_(choose_tile(s, lanes_, e.target().vector_registers)) {}

  // Row tiles [t0, t1) of C (the last tile of the whole product may be partial),
  // in chunks of tiles whose rows of A stay in L2, each chunk over every column.
  void emit(Value* t0, Value* t1) {
    if (s_.tb) pack_b();
    int64_t per_row = s_.k * int64_t(ir::dtype_size(s_.dtype));
    int64_t chunk = std::max<int64_t>(1, 256 * 1024 / std::max<int64_t>(per_row, 1) / tile_.mr);
    int64_t full = s_.m / tile_.mr;  // tiles of mr rows
    Value* full_end = min(t1, e_.idx(full));
    e_.loop(t0, full_end, chunk, [&](Value* c0) {
      Value* c1 = min(b_.CreateAdd(c0, e_.idx(chunk)), full_end);
      columns([&](Value* n0, const std::vector<unsigned>& widths) {
        e_.loop(c0, c1, 1, [&](Value* t) { tile(b_.CreateMul(t, e_.idx(tile_.mr)), tile_.mr, n0, widths); });
      });
    });
    if (s_.m % tile_.mr != 0) {
      e_.if_then(b_.CreateICmpSGT(t1, e_.idx(full)), [&] {
        columns([&](Value* n0, const std::vector<unsigned>& widths) {
          tile(e_.idx(full * tile_.mr), s_.m % tile_.mr, n0, widths);
        });
      });
    }
  }

  int64_t row_tiles() const { return (s_.m + tile_.mr - 1) / tile_.mr; }

 private:
  Value* min(Value* a, Value* b) { return b_.CreateSelect(b_.CreateICmpSLT(a, b), a, b); }

  // f(n0, widths) for each column tile: nv full vectors, then the narrower rest.
  void columns(const std::function<void(Value*, const std::vector<unsigned>&)>& f) {
    int64_t cols = tile_.nv * lanes_;
    int64_t full = s_.n / cols * cols;
    std::vector<unsigned> widths(size_t(tile_.nv), lanes_);
    e_.loop(0, full, cols, [&](Value* n0) { f(n0, widths); });
    if (s_.n > full) {
      std::vector<unsigned> rest;
      for (int64_t left = s_.n - full; left > 0; left -= lanes_) rest.push_back(unsigned(std::min<int64_t>(left, lanes_)));
      f(e_.idx(full), rest);
    }
  }

  Value* a_elem(Value* m, Value* k) {
    Value* off = s_.ta ? b_.CreateAdd(b_.CreateMul(k, e_.idx(s_.m)), m) : b_.CreateAdd(b_.CreateMul(m, e_.idx(s_.k)), k);
    return e_.load(s_.dtype, 1, a_, off);
  }

  // The mr x widths.size() accumulators of a tile through the K loop, then stored.
  void tile(Value* m0, int64_t mr, Value* n0, const std::vector<unsigned>& widths) {
    size_t nv = widths.size();
    Values init;
    for (int64_t r = 0; r < mr; ++r)
      for (unsigned w : widths) init.push_back(e_.constant(s_.dtype, 0.0, w));
    Values sums = e_.loop_carry(0, s_.k, 1, init, [&](Value* k, const Values& acc) {
      Values bv;
      Value* row = b_.CreateMul(k, e_.idx(s_.n));
      for (size_t v = 0; v < nv; ++v)
        bv.push_back(e_.load(s_.dtype, widths[v], bmat_, b_.CreateAdd(row, b_.CreateAdd(n0, e_.idx(int64_t(v) * lanes_)))));
      Values next(acc.size());
      for (int64_t r = 0; r < mr; ++r) {
        Value* av = a_elem(b_.CreateAdd(m0, e_.idx(r)), k);
        for (size_t v = 0; v < nv; ++v) {
          size_t i = size_t(r) * nv + v;
          next[i] = e_.fma(e_.splat(av, widths[v]), bv[v], acc[i]);
        }
      }
      return next;
    });
    for (int64_t r = 0; r < mr; ++r) {
      Value* m = b_.CreateAdd(m0, e_.idx(r));
      for (size_t v = 0; v < nv; ++v) {
        Value* n = b_.CreateAdd(n0, e_.idx(int64_t(v) * lanes_));
        Value* sum = sums[size_t(r) * nv + v];
        if (epilogue_) epilogue_(m, n, sum);
        else e_.store(s_.dtype, sum, c_, b_.CreateAdd(b_.CreateMul(m, e_.idx(s_.n)), n));
      }
    }
  }

  // P[k, n] = B[n, k]: B is [N, K], P is [K, N].
  void pack_b() {
    e_.loop(0, s_.n, 1, [&](Value* n) {
      e_.loop(0, s_.k, 1, [&](Value* k) {
        Value* x = e_.load(s_.dtype, 1, braw_, b_.CreateAdd(b_.CreateMul(n, e_.idx(s_.k)), k));
        e_.store(s_.dtype, x, bmat_, b_.CreateAdd(b_.CreateMul(k, e_.idx(s_.n)), n));
      });
    });
  }

  Emitter& e_;
  llvm::IRBuilder<>& b_;
  GemmShape s_;
  Value *c_, *a_, *bmat_, *braw_;
  GemmEpilogue epilogue_;
  unsigned lanes_;
  GemmTile tile_;
};

}  // namespace

// Each distinct edge tile (fewer rows, narrower columns) is one more copy of the
// micro-kernel's code to optimise and compile: among tiles whose cycles are
// within 3% of the best, the one with the fewest distinct tiles wins.
GemmTile choose_tile(const GemmShape& s, unsigned lanes, unsigned registers) {
  int64_t vecs = ceil_div(s.n, lanes);
  struct Option {
    GemmTile tile;
    double cycles;
    int variants;
  };
  std::vector<Option> options;
  double best = std::numeric_limits<double>::infinity();
  for (int64_t nv = 1; nv <= std::min<int64_t>(vecs, 8); ++nv)
    for (int64_t mr = 1; mr <= std::min<int64_t>(s.m, 24); ++mr) {
      if (mr * nv + nv + 1 > int64_t(registers)) continue;
      bool rows_left = s.m % mr != 0, cols_left = s.n % (nv * lanes) != 0;
      options.push_back({{mr, nv}, gemm_cycles(s, lanes, mr, nv), 1 + rows_left + cols_left + (rows_left && cols_left)});
      best = std::min(best, options.back().cycles);
    }
  const Option* pick = nullptr;
  for (const Option& o : options)
    if (o.cycles <= 1.03 * best &&
        (!pick || o.variants < pick->variants || (o.variants == pick->variants && o.cycles < pick->cycles)))
      pick = &o;
  return pick ? pick->tile : GemmTile{};
}

int64_t gemm_scratch_bytes(const GemmShape& s) {
  return s.tb ? s.k * s.n * int64_t(ir::dtype_size(s.dtype)) : 0;
}

void emit_gemm(Emitter& e, const GemmShape& s, Value* c, Value* a, Value* b, Value* scratch, const GemmEpilogue& ep,
               Value* tile_begin, Value* tile_end) {
  GemmEmitter g(e, s, c, a, b, scratch, ep);
  g.emit(tile_begin ? tile_begin : e.idx(0), tile_end ? tile_end : e.idx(g.row_tiles()));
}

int64_t gemm_row_tiles(Emitter& e, const GemmShape& s) {
  return (s.m + choose_tile(s, e.width(s.dtype), e.target().vector_registers).mr - 1) /
         choose_tile(s, e.width(s.dtype), e.target().vector_registers).mr;
}

GemmShape matmul_shape(const ir::Type& a, const ir::Type& b, bool ta, bool tb) {
  GemmShape s;
  s.ta = ta, s.tb = tb, s.dtype = a.dtype;
  s.m = ta ? a.shape[1] : a.shape[0];
  s.k = ta ? a.shape[0] : a.shape[1];
  s.n = tb ? b.shape[0] : b.shape[1];
  return s;
}

int64_t matmul_scratch_bytes(const ir::Type& a, const ir::Type& b, bool ta, bool tb) {
  return gemm_scratch_bytes(matmul_shape(a, b, ta, tb));
}

void emit_matmul(Kernel& k) {
  GemmShape s = matmul_shape(k.in[0].type, k.in[1].type, k.node.attrs.b("transpose_a"), k.node.attrs.b("transpose_b"));
  k.units = gemm_row_tiles(k.e, s);
  emit_gemm(k.e, s, k.out[0].ptr, k.in[0].ptr, k.in[1].ptr, k.scratch, {}, k.begin, k.end);
}

}  // namespace minigrad::jit
