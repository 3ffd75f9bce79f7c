// The shared micro-kernel; see micro_tile.h.
#include "backend/llvm/gemm/micro_tile.h"

#include <algorithm>

namespace minigrad::jit {

using llvm::Value;

Values micro_tile(Emitter& e, int64_t rows, const std::vector<unsigned>& widths, Value* k0, Value* k1,
                  const Values& init, const TileA& a, const TileB& b, const TileStep& step) {
  size_t nv = widths.size();
  return e.loop_carry(k0, k1, 1, init, [&](Value* k, const Values& acc) {
    if (step) step(k);
    Values bv;
    for (size_t v = 0; v < nv; ++v) bv.push_back(b(v, k));
    Values next(acc.size());
    for (int64_t r = 0; r < rows; ++r) {
      Value* av = a(r, k);
      for (size_t v = 0; v < nv; ++v) {
        size_t i = size_t(r) * nv + v;
        next[i] = e.fma(e.splat(av, widths[v]), bv[v], acc[i]);
      }
    }
    return next;
  });
}

void every_steps(Emitter& e, Value* k, int64_t every, int64_t times, Value* when,
                 const std::function<void(Value*)>& body) {
  auto& b = e.b();
  Value* due = b.CreateAnd(b.CreateICmpEQ(b.CreateURem(k, e.idx(every)), e.idx(0)),
                           b.CreateICmpULT(k, e.idx(every * times)));
  if (when) due = b.CreateAnd(when, due);
  e.if_then(due, [&] { body(b.CreateUDiv(k, e.idx(every))); });
}

TileStep spread_epilogue_prefetch(Emitter& e, const std::function<void(Value*, Value*)>& prefetch, Value* m0,
                                  Value* n0, int64_t mr, size_t nv, unsigned lanes, int64_t k_steps, int64_t n,
                                  unsigned element_bytes) {
  int64_t vectors = mr * int64_t(nv);
  int64_t every = std::max<int64_t>(1, k_steps / vectors);
  bool straddles = (n * int64_t(element_bytes)) % 64 != 0 && lanes > 1;
  return [&e, prefetch, m0, n0, nv, lanes, vectors, every, straddles, n](Value* k) {
    auto& b = e.b();
    every_steps(e, k, every, vectors, nullptr, [&](Value* j) {
      Value* row = b.CreateAdd(m0, b.CreateUDiv(j, e.idx(int64_t(nv))));
      Value* col = b.CreateAdd(n0, b.CreateMul(b.CreateURem(j, e.idx(int64_t(nv))), e.idx(int64_t(lanes))));
      prefetch(row, col);
      if (!straddles) return;
      Value* last = b.CreateAdd(col, e.idx(int64_t(lanes) - 1));
      prefetch(row, b.CreateBinaryIntrinsic(llvm::Intrinsic::umin, last, e.idx(n - 1)));
    });
  };
}

void for_panels(Emitter& e, Value* extent, int64_t panel, int64_t remainder,
                const std::function<void(Value*, int64_t)>& f) {
  auto& b = e.b();
  Value* whole = b.CreateMul(b.CreateUDiv(extent, e.idx(panel)), e.idx(panel));
  e.loop(e.idx(0), whole, panel, [&](Value* at) { f(at, panel); });
  if (remainder != 0) e.if_then(b.CreateICmpSGT(extent, whole), [&] { f(whole, remainder); });
}

std::vector<unsigned> tile_widths(int64_t columns, unsigned lanes) {
  std::vector<unsigned> w;
  for (int64_t left = columns; left > 0; left -= lanes) w.push_back(unsigned(std::min<int64_t>(left, lanes)));
  return w;
}

}  // namespace minigrad::jit
