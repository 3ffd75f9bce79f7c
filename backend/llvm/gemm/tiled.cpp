// The tiled GEMM lowering (gemm.h): register tiles over the whole K, reading the
// operands in place. With A^T stored as A[k, m] and B^T packed into scratch as
// P[k, n] = B[n, k], every case reads
//   op(A)[m, k] = ta ? A[k M + m] : A[m K + k]
//   op(B)[k, n] = tb ? P[k N + n] : B[k N + n]
// and a tile at (m0, n0) computes C[m0 + r, n0 + j] = sum_k op(A)[m0 + r, k] op(B)[k, n0 + j].
// Loop order: M in chunks whose rows of A stay in a quarter of L2, then N tiles,
// then M tiles, so that a K x NR panel of B stays in L1 while the tiles of a chunk
// pass over it. A unit is a row tile; units [t0, t1) write those rows of C only.
// Variants: a narrow product read down A's rows (plan.transposed: ta, N <
// lanes) runs tiles of C^T, vectors along M (transposed_tile); an update's
// epilogue asks for its weight and moments during a long enough K loop (tile);
// a small update runs after the tiles, over their sums in scratch
// (plan.update_after, update_rows), as one flat row where its operands allow.
#include <algorithm>

#include "backend/llvm/gemm/gemm.h"
#include "backend/llvm/gemm/micro_tile.h"
#include "backend/llvm/gemm/pack.h"

namespace minigrad::jit {
namespace {

using llvm::Value;

constexpr int64_t kStepsPerAsk = 3;  // K steps per epilogue vector asked for (tile())

class TiledGemm {
 public:
  TiledGemm(Emitter& e, const GemmPlan& p, Value* c, Value* a, Value* b, Value* scratch, const GemmEpilogue& ep)
      : e_(e), b_(e.b()), p_(p), s_(p.s), c_(c), a_(a), bmat_(s_.tb ? scratch : b), braw_(b), scratch_(scratch),
        epilogue_(ep) {}

  void emit(Value* t0, Value* t1) {
    if (s_.tb) {  // P[k N + n] = B[n K + k], all of B^T, by squares of L x L in registers (an
                  // element-by-element copy cost as much as the product of the seed's 192 x 10 weight)
      TransposeCopy t{braw_, e_.idx(0), s_.k, bmat_, e_.idx(0), s_.n};
      transpose_copy(e_, p_, t, s_.n, e_.idx(s_.k), s_.k);
    }
    if (!p_.update_after) return tiles(t0, t1);
    GemmEpilogue update = epilogue_;  // the tiles store their sums to scratch, then the update reads them
    epilogue_ = {};
    c_ = b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), scratch_, uint64_t(p_.sums_at));
    tiles(t0, t1);
    epilogue_ = update;
    update_rows(t0, t1);
  }

 private:
  Value* min(Value* a, Value* b) { return b_.CreateSelect(b_.CreateICmpSLT(a, b), a, b); }

  // Row tiles [t0, t1), each storing its sums or running the epilogue on them.
  void tiles(Value* t0, Value* t1) {
    if (p_.transposed) return transposed_tiles(t0, t1);
    int64_t mr = p_.tile.mr;
    int64_t per_row = s_.k * int64_t(ir::dtype_size(s_.dtype));
    int64_t chunk = std::max<int64_t>(1, e_.target().l2_bytes / 4 / std::max<int64_t>(per_row, 1) / mr);
    int64_t full = s_.m / mr;  // tiles of mr rows
    Value* full_end = min(t1, e_.idx(full));
    e_.loop(t0, full_end, chunk, [&](Value* c0) {
      Value* c1 = min(b_.CreateAdd(c0, e_.idx(chunk)), full_end);
      columns([&](Value* n0, const std::vector<unsigned>& widths) {
        e_.loop(c0, c1, 1, [&](Value* t) { tile(b_.CreateMul(t, e_.idx(mr)), mr, n0, widths); });
      });
    });
    if (s_.m % mr != 0) {
      e_.if_then(b_.CreateICmpSGT(t1, e_.idx(full)), [&] {
        columns([&](Value* n0, const std::vector<unsigned>& widths) { tile(e_.idx(full * mr), s_.m % mr, n0, widths); });
      });
    }
  }

  // update_after (plan.h): the epilogue over the rows of tiles [t0, t1), reading
  // the sums the tiles stored in c_ (scratch): the unfused schedule, each
  // element's update the same as in a tile's epilogue. A flat epilogue walks the
  // rows' M N elements as full vectors (the seed's 192 x 10 weight: 120 vectors of
  // 16 rather than 192 of 10), the last few one at a time; otherwise a row at a time.
  void update_rows(Value* t0, Value* t1) {
    Value* r0 = b_.CreateMul(t0, e_.idx(p_.tile.mr));
    Value* r1 = min(b_.CreateMul(t1, e_.idx(p_.tile.mr)), e_.idx(s_.m));
    auto update = [&](Value* m, Value* n, int64_t width) {
      Value* at = b_.CreateAdd(b_.CreateMul(m, e_.idx(s_.n)), n);
      epilogue_.store(m, n, e_.load(s_.dtype, unsigned(width), c_, at));
    };
    int64_t lanes = p_.lanes;
    if (epilogue_.flat) {
      Value* i0 = b_.CreateMul(r0, e_.idx(s_.n));
      Value* i1 = b_.CreateMul(r1, e_.idx(s_.n));
      Value* full = b_.CreateAdd(i0, b_.CreateMul(b_.CreateSDiv(b_.CreateSub(i1, i0), e_.idx(lanes)), e_.idx(lanes)));
      e_.loop(i0, full, lanes, [&](Value* i) { update(e_.idx(0), i, lanes); });
      e_.loop(full, i1, 1, [&](Value* i) { update(e_.idx(0), i, 1); });
      return;
    }
    int64_t full = s_.n / lanes * lanes;
    e_.loop(r0, r1, 1, [&](Value* m) {
      e_.loop(0, full, lanes, [&](Value* n) { update(m, n, lanes); });
      if (s_.n > full) update(m, e_.idx(full), s_.n - full);
    });
  }

  // f(n0, widths) for each column tile: nv full vectors, then the narrower rest.
  void columns(const std::function<void(Value*, const std::vector<unsigned>&)>& f) {
    int64_t cols = p_.nr;
    int64_t full = s_.n / cols * cols;
    std::vector<unsigned> widths = tile_widths(cols, p_.lanes);
    e_.loop(0, full, cols, [&](Value* n0) { f(n0, widths); });
    if (s_.n > full) f(e_.idx(full), tile_widths(s_.n - full, p_.lanes));
  }

  void tile(Value* m0, int64_t mr, Value* n0, const std::vector<unsigned>& widths) {
    Values init;
    for (int64_t r = 0; r < mr; ++r)
      for (unsigned w : widths) init.push_back(e_.constant(s_.dtype, 0.0, w));
    auto a_at = [&](int64_t r, Value* k) {
      Value* m = b_.CreateAdd(m0, e_.idx(r));
      Value* off = s_.ta ? b_.CreateAdd(b_.CreateMul(k, e_.idx(s_.m)), m) : b_.CreateAdd(b_.CreateMul(m, e_.idx(s_.k)), k);
      return e_.load(s_.dtype, 1, a_, off);
    };
    auto b_at = [&](size_t v, Value* k) {
      Value* off = b_.CreateAdd(b_.CreateMul(k, e_.idx(s_.n)), b_.CreateAdd(n0, e_.idx(int64_t(v) * p_.lanes)));
      return e_.load(s_.dtype, widths[v], bmat_, off);
    };
    size_t nv = widths.size();
    // An epilogue that reads whole matrices (an optimiser's weight and moments:
    // 784 x 512 of each is 4.8 MB, beyond L2) asks for the tile's lines during
    // its K loop, as the blocked lowering does, where the loop has at least
    // kStepsPerAsk steps per vector asked for: Adam's 784 x 512 x 128 update
    // (14 x 32 tiles, 4 steps a vector) ran at 110-135 GFLOP/s without, 166-175
    // with; at 3.6 (784 x 500 x 100) 140-143 without, 177-181 with, and at 3
    // (784 x 512 x 84) 146-168 without, 172-181 with; at 2 steps a vector the
    // requests crowd the loop: 784 x 192 x 64 went from 147 to 127-131, and the
    // seed's 128 x 192 x 64 neither gained nor lost (it asks for nothing now).
    TileStep step;
    if (epilogue_.prefetch && s_.k / (mr * int64_t(nv)) >= kStepsPerAsk)
      step = spread_epilogue_prefetch(e_, epilogue_.prefetch, m0, n0, mr, nv, p_.lanes, s_.k, s_.n,
                                      unsigned(ir::dtype_size(s_.dtype)));
    Values sums = micro_tile(e_, mr, widths, e_.idx(0), e_.idx(s_.k), init, a_at, b_at, step);
    for (int64_t r = 0; r < mr; ++r) {
      Value* m = b_.CreateAdd(m0, e_.idx(r));
      for (size_t v = 0; v < nv; ++v) {
        Value* n = b_.CreateAdd(n0, e_.idx(int64_t(v) * p_.lanes));
        Value* sum = sums[size_t(r) * nv + v];
        if (epilogue_) epilogue_.store(m, n, sum);
        else e_.store(s_.dtype, sum, c_, b_.CreateAdd(b_.CreateMul(m, e_.idx(s_.n)), n));
      }
    }
  }

  // Row tiles [t0, t1) of a transposed plan, the last one partial.
  void transposed_tiles(Value* t0, Value* t1) {
    int64_t mr = p_.tile.mr, full = s_.m / mr;
    e_.loop(t0, min(t1, e_.idx(full)), 1, [&](Value* t) { transposed_tile(b_.CreateMul(t, e_.idx(mr)), mr); });
    if (s_.m % mr != 0)
      e_.if_then(b_.CreateICmpSGT(t1, e_.idx(full)), [&] { transposed_tile(e_.idx(full * mr), s_.m % mr); });
  }

  // Rows [m0, m0 + rows) of C by all its N (< lanes) columns, as C^T: with ta,
  // op(A)[m, k] = A[k M + m], so the tile's rows are contiguous in A's row k.
  //   acc[n][v] += A[k M + m0 + v L .. + L) * splat(op(B)[k, n])
  // (the same fused multiply-add, per element, as the other tiles': the product
  // commutes, so the bits are equal). Then each vector of L rows is transposed in
  // registers (N vectors padded to L), and row m's N sums go to the store.
  void transposed_tile(Value* m0, int64_t rows) {
    unsigned lanes = p_.lanes;
    std::vector<unsigned> widths = tile_widths(rows, lanes);
    size_t mv = widths.size(), n = size_t(s_.n);
    Values init;
    for (size_t j = 0; j < n; ++j)
      for (unsigned w : widths) init.push_back(e_.constant(s_.dtype, 0.0, w));
    Values acc = e_.loop_carry(e_.idx(0), e_.idx(s_.k), 1, init, [&](Value* k, const Values& in) {
      Values a, out(in.size());
      for (size_t v = 0; v < mv; ++v)
        a.push_back(e_.load(s_.dtype, widths[v], a_, b_.CreateAdd(b_.CreateMul(k, e_.idx(s_.m)),
                                                                  b_.CreateAdd(m0, e_.idx(int64_t(v) * lanes)))));
      for (size_t j = 0; j < n; ++j) {
        Value* bk = e_.load(s_.dtype, 1, bmat_, b_.CreateAdd(b_.CreateMul(k, e_.idx(s_.n)), e_.idx(int64_t(j))));
        for (size_t v = 0; v < mv; ++v) out[j * mv + v] = e_.fma(a[v], e_.splat(bk, widths[v]), in[j * mv + v]);
      }
      return out;
    });
    for (size_t v = 0; v < mv; ++v) {
      Values t(lanes, llvm::PoisonValue::get(e_.type(s_.dtype, lanes)));
      for (size_t j = 0; j < n; ++j) t[j] = e_.resize(acc[j * mv + v], lanes);
      transpose_in_registers(b_, t);
      for (unsigned r = 0; r < widths[v]; ++r) {
        Value* m = b_.CreateAdd(m0, e_.idx(int64_t(v) * lanes + r));
        Value* sums = e_.resize(t[r], unsigned(n));
        if (epilogue_) epilogue_.store(m, e_.idx(0), sums);
        else e_.store(s_.dtype, sums, c_, b_.CreateMul(m, e_.idx(s_.n)));
      }
    }
  }

  Emitter& e_;
  llvm::IRBuilder<>& b_;
  const GemmPlan& p_;
  GemmShape s_;
  Value *c_, *a_, *bmat_, *braw_, *scratch_;
  GemmEpilogue epilogue_;
};

}  // namespace

void emit_tiled_gemm(Emitter& e, const GemmPlan& p, Value* c, Value* a, Value* b, Value* scratch,
                     const GemmEpilogue& epilogue, Value* begin, Value* end) {
  TiledGemm(e, p, c, a, b, scratch, epilogue).emit(begin, end);
}

}  // namespace minigrad::jit
