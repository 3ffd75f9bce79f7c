// The blocked GEMM lowering (gemm.h, plan.h), in the manner of BLIS:
//   for each unit of work (a range of columns, or of rows, for one thread)
//     for jc over the unit's columns, NC at a time
//       for pc over K, KC at a time
//         for ic over the unit's rows, MC at a time
//           pack op(A)[ic.., pc..] into Ap                        (pack.h)
//           for each micro-panel of NR columns of op(B)[pc.., jc..]
//             in the first MC block only: pack it into Bp, where the
//             later blocks find it (the tiles below ask for the next
//             panel's lines meanwhile: next_panel_prefetch)
//             for each micro-panel of MR rows of Ap (streams from L2)
//               the micro-kernel over kk < kc (micro_tile.h)
// A tile's sums carry across K blocks in C itself, or, when an epilogue replaces
// C's stores and K has several blocks, in a partial-sum buffer in scratch
// (Cs[m N + n]); the first block starts from zero, the last one stores through
// the epilogue; each tile asks for the next one's sums while it runs
// (next_sums_prefetch). Element (m, n) is the sum over k = 0, 1, ... in order, whatever
// the blocks and units, so every split gives the same bits.
// Edges: units, NC and MC are whole micro-panels, so only the last MR rows and NR
// columns of the matrix can be partial: static remainder tiles, as in the tiled
// lowering.
#include <algorithm>

#include "backend/llvm/gemm/gemm.h"
#include "backend/llvm/gemm/micro_tile.h"
#include "backend/llvm/gemm/pack.h"

namespace minigrad::jit {
namespace {

using llvm::Value;

class BlockedGemm {
 public:
  BlockedGemm(Emitter& e, const GemmPlan& p, Value* c, Value* a, Value* b, Value* scratch, const GemmEpilogue& ep)
      : e_(e), b_(e.b()), p_(p), s_(p.s), c_(c), a_(a), bmat_(b), epilogue_(ep) {
    bp_ = at_byte(scratch, p.b_pack);
    ap_ = at_byte(scratch, p.a_pack);
    sums_ = p.partials ? at_byte(scratch, p.c_part) : c;
  }

  void emit(Value* u0, Value* u1) {
    e_.loop(u0, u1, 1, [&](Value* u) {
      Value* lo = b_.CreateMul(u, e_.idx(p_.unit_extent));
      int64_t extent = p_.split_rows ? s_.m : s_.n;
      Value* hi = min(b_.CreateAdd(lo, e_.idx(p_.unit_extent)), e_.idx(extent));
      if (p_.split_rows) unit(lo, hi, e_.idx(0), e_.idx(s_.n));
      else unit(e_.idx(0), e_.idx(s_.m), lo, hi);
    });
  }

 private:
  Value* at_byte(Value* base, int64_t offset) { return b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), base, uint64_t(offset)); }
  Value* min(Value* a, Value* b) { return b_.CreateSelect(b_.CreateICmpSLT(a, b), a, b); }

  // Rows [m_lo, m_hi) by columns [n_lo, n_hi) of C, with every K block.
  void unit(Value* m_lo, Value* m_hi, Value* n_lo, Value* n_hi) {
    e_.loop(n_lo, n_hi, p_.nc, [&](Value* jc) {
      Value* cols = b_.CreateSub(min(b_.CreateAdd(jc, e_.idx(p_.nc)), n_hi), jc);
      e_.loop(0, s_.k, p_.kc, [&](Value* pc) {
        Value* kc = b_.CreateSub(min(b_.CreateAdd(pc, e_.idx(p_.kc)), e_.idx(s_.k)), pc);
        e_.loop(m_lo, m_hi, p_.mc, [&](Value* ic) {
          Value* rows = b_.CreateSub(min(b_.CreateAdd(ic, e_.idx(p_.mc)), m_hi), ic);
          pack_a(e_, p_, a_, ap_, ic, rows, pc, kc);
          block(ic, rows, jc, cols, pc, kc, b_.CreateICmpEQ(ic, m_lo));
        });
      });
    });
  }

  // Every micro-tile of the packed block: column panels outside, row panels inside.
  // The first MC block (packs_b) packs each panel of B just before its tiles use
  // it; the later blocks find it packed.
  void block(Value* ic, Value* rows, Value* jc, Value* cols, Value* pc, Value* kc, Value* packs_b) {
    for_panels(e_, cols, p_.nr, s_.n % p_.nr, [&](Value* j0, int64_t width) {
      e_.if_then(packs_b, [&] { pack_b_panel(e_, p_, bmat_, bp_, jc, j0, width, pc, kc); });
      Value* next = b_.CreateAdd(j0, e_.idx(p_.nr));
      // a whole next panel to ask for (the narrower last one is not worth it)
      Value* ahead = width == p_.nr ? b_.CreateAnd(packs_b, b_.CreateICmpSLE(b_.CreateAdd(next, e_.idx(p_.nr)), cols))
                                    : b_.getFalse();
      NextPanel next_panel{b_.CreateAdd(jc, next), ahead};
      std::vector<unsigned> widths = tile_widths(width, p_.lanes);
      for_panels(e_, rows, p_.tile.mr, s_.m % p_.tile.mr, [&](Value* i0, int64_t height) {
        tile(ic, i0, height, jc, j0, widths, pc, kc, next_panel);
      });
    });
  }

  // While the first MC block's tiles run over panel j, they ask for the lines of
  // B that packing panel j + 1 will read (b_panel_lines: kc rows x the panel's
  // lines per row, or NR rows of kc with tb), so that packing finds them in cache
  // instead of waiting on memory: B is a weight the last step's update wrote and
  // other kernels have since evicted. Tile t of the block (t = i0 / MR, of
  // T = MC / MR) asks for lines [t P, t P + P), P = ceil(lines / T): `count` per
  // due step, on steps k = 0, every, 2 every, ... so that they spread over the
  // FMAs (the reasoning of spread_prefetch).
  TileStep next_panel_prefetch(Value* i0, Value* n0, Value* pc, Value* kc, Value* ahead) {
    int64_t lines = b_panel_lines(p_);
    int64_t tiles = (p_.mc + p_.tile.mr - 1) / p_.tile.mr;
    int64_t per_tile = (lines + tiles - 1) / tiles;
    int64_t count = (per_tile + p_.kc - 1) / p_.kc;
    int64_t slots = (per_tile + count - 1) / count;
    int64_t every = std::max<int64_t>(1, p_.kc / slots);
    Value* first = b_.CreateMul(b_.CreateUDiv(i0, e_.idx(p_.tile.mr)), e_.idx(per_tile));
    return [=, this](Value* k) {
      every_steps(e_, k, every, slots, ahead, [&](Value* slot) {
        Value* q = b_.CreateMul(slot, e_.idx(count));
        for (int64_t c = 0; c < count; ++c) {
          Value* line = b_.CreateAdd(first, b_.CreateAdd(q, e_.idx(c)));
          e_.if_then(b_.CreateICmpULT(line, e_.idx(lines)),
                     [&] { prefetch_b_panel_line(e_, p_, bmat_, n0, pc, kc, line); });
        }
      });
    };
  }

  // The panel of B after the tile's: its first column, and whether to ask for it.
  struct NextPanel {
    Value* n0;
    Value* ahead;
  };

  // What each step of a tile's K loop asks for besides its FMAs: the epilogue's
  // lines where it reads whole matrices and K is one block, else the next panel
  // of B (two streams together slowed Adam's update); and with several K blocks,
  // the next tile's sums.
  TileStep tile_step(Value* i0, Value* m0, Value* n0, int64_t mr, size_t nv, Value* pc, Value* kc,
                     const NextPanel& next) {
    TileStep step = epilogue_.prefetch && !p_.partials ? spread_prefetch(m0, n0, mr, nv)
                                                       : next_panel_prefetch(i0, next.n0, pc, kc, next.ahead);
    if (s_.k > p_.kc) step = both(step, next_sums_prefetch(m0, n0, mr, nv));
    return step;
  }

  void tile(Value* ic, Value* i0, int64_t mr, Value* jc, Value* j0, const std::vector<unsigned>& widths, Value* pc,
            Value* kc, const NextPanel& next) {
    size_t nv = widths.size();
    Value* m0 = b_.CreateAdd(ic, i0);
    Value* n0 = b_.CreateAdd(jc, j0);
    Value* first = b_.CreateICmpEQ(pc, e_.idx(0));
    Value* last = b_.CreateICmpEQ(b_.CreateAdd(pc, kc), e_.idx(s_.k));
    auto c_offset = [&](int64_t r, size_t v) {
      Value* m = b_.CreateAdd(m0, e_.idx(r));
      return b_.CreateAdd(b_.CreateMul(m, e_.idx(s_.n)), b_.CreateAdd(n0, e_.idx(int64_t(v) * p_.lanes)));
    };
    Values init;
    for (int64_t r = 0; r < mr; ++r)
      for (size_t v = 0; v < nv; ++v) {
        Value* zero = e_.constant(s_.dtype, 0.0, widths[v]);
        init.push_back(b_.CreateSelect(first, zero, s_.k > p_.kc ? e_.load(s_.dtype, widths[v], sums_, c_offset(r, v)) : zero));
      }
    Value* b_base = b_.CreateMul(j0, e_.idx(p_.kc));
    auto a_at = [&](int64_t r, Value* kk) { return e_.load(s_.dtype, 1, ap_, packed_a_offset(e_, p_, i0, r, kk)); };
    auto b_at = [&](size_t v, Value* kk) {
      Value* off = b_.CreateAdd(b_base, b_.CreateAdd(b_.CreateMul(kk, e_.idx(p_.nr)), e_.idx(int64_t(v) * p_.lanes)));
      return e_.load(s_.dtype, widths[v], bp_, off);
    };
    Values sums = micro_tile(e_, mr, widths, e_.idx(0), kc, init, a_at, b_at, tile_step(i0, m0, n0, mr, nv, pc, kc, next));
    auto store_to = [&](Value* to) {
      for (int64_t r = 0; r < mr; ++r)
        for (size_t v = 0; v < nv; ++v) e_.store(s_.dtype, sums[size_t(r) * nv + v], to, c_offset(r, v));
    };
    if (!epilogue_) return store_to(c_);
    auto finish = [&] {
      for (int64_t r = 0; r < mr; ++r)
        for (size_t v = 0; v < nv; ++v)
          epilogue_.store(b_.CreateAdd(m0, e_.idx(r)), b_.CreateAdd(n0, e_.idx(int64_t(v) * p_.lanes)),
                          sums[size_t(r) * nv + v]);
    };
    if (!p_.partials) return finish();
    if_else(last, finish, [&] { store_to(sums_); });
  }

  // The epilogue's lines, asked for during the tile's only K block (with several
  // blocks, the tiles ask for the next tile's partial sums instead); the one K
  // block is all of K.
  TileStep spread_prefetch(Value* m0, Value* n0, int64_t mr, size_t nv) {
    return spread_epilogue_prefetch(e_, epilogue_.prefetch, m0, n0, mr, nv, p_.lanes, s_.k, s_.n,
                                    unsigned(ir::dtype_size(s_.dtype)));
  }

  // With several K blocks, each tile starts from the sums the last block left in
  // C or in the partial-sum buffer: MR rows of NV vectors far apart (a row is N
  // elements), which no hardware prefetcher foresees, and which the last block
  // left in L3 or memory. The tile asks for the next row tile's (rows m0 + MR ..)
  // while its FMAs run, one vector every KC / (MR NV) steps, as spread_prefetch:
  // 4 x 2048's GEMMs (K = 2048, 11 blocks) took 6% less time (bench/README.md).
  TileStep next_sums_prefetch(Value* m0, Value* n0, int64_t mr, size_t nv) {
    int64_t vectors = mr * int64_t(nv);
    int64_t every = std::max<int64_t>(1, p_.kc / vectors);
    return [this, m0, n0, mr, nv, vectors, every](Value* k) {
      every_steps(e_, k, every, vectors, nullptr, [&](Value* j) {
        Value* row = b_.CreateAdd(m0, b_.CreateAdd(e_.idx(mr), b_.CreateUDiv(j, e_.idx(int64_t(nv)))));
        Value* col = b_.CreateAdd(n0, b_.CreateMul(b_.CreateURem(j, e_.idx(int64_t(nv))), e_.idx(p_.lanes)));
        e_.if_then(b_.CreateICmpULT(row, e_.idx(s_.m)), [&] {
          e_.prefetch(s_.dtype, sums_, b_.CreateAdd(b_.CreateMul(row, e_.idx(s_.n)), col));
        });
      });
    };
  }

  static TileStep both(TileStep first, TileStep second) {
    if (!first) return second;
    return [first, second](Value* k) { first(k), second(k); };
  }

  void if_else(Value* cond, const std::function<void()>& then, const std::function<void()>& otherwise) {
    llvm::BasicBlock* yes = e_.block("last");
    llvm::BasicBlock* no = e_.block("partial");
    llvm::BasicBlock* done = e_.block("stored");
    b_.CreateCondBr(cond, yes, no);
    b_.SetInsertPoint(yes);
    then();
    b_.CreateBr(done);
    b_.SetInsertPoint(no);
    otherwise();
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  }

  Emitter& e_;
  llvm::IRBuilder<>& b_;
  const GemmPlan& p_;
  GemmShape s_;
  Value *c_, *a_, *bmat_, *bp_ = nullptr, *ap_ = nullptr, *sums_ = nullptr;
  GemmEpilogue epilogue_;
};

}  // namespace

void emit_blocked_gemm(Emitter& e, const GemmPlan& p, Value* c, Value* a, Value* b, Value* scratch,
                       const GemmEpilogue& epilogue, Value* begin, Value* end) {
  BlockedGemm(e, p, c, a, b, scratch, epilogue).emit(begin, end);
}

}  // namespace minigrad::jit
