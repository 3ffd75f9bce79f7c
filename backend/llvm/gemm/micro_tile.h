// The micro-kernel both GEMM lowerings share: a tile of `rows` x widths.size()
// vector accumulators (widths[v] lanes each, the last one narrower at an edge)
// carried in registers through a loop over k in [k0, k1):
//   acc[r][v] += splat(a(r, k)) * b(v, k)
// one load of B's vector per (v, k), one broadcast of A's element per (r, k), and
// rows x vectors fused multiply-adds, each on its own accumulator, so that the
// FMA latency is hidden when rows x vectors >= latency x ports (plan.h).
#pragma once

#include <functional>
#include <vector>

#include "backend/llvm/emitter.h"

namespace minigrad::jit {

// a(r, k): the element of op(A) at the tile's row r (a scalar); b(v, k): the
// vector v of op(B)'s row k at the tile's columns (widths[v] lanes).
using TileA = std::function<llvm::Value*(int64_t r, llvm::Value* k)>;
using TileB = std::function<llvm::Value*(size_t v, llvm::Value* k)>;
// Optional: more work emitted in the loop body at step k, beside the FMAs.
using TileStep = std::function<void(llvm::Value* k)>;

// The accumulators after the loop, in row-major order (index r * widths.size() + v),
// starting from `init` (same order).
Values micro_tile(Emitter& e, int64_t rows, const std::vector<unsigned>& widths, llvm::Value* k0, llvm::Value* k1,
                  const Values& init, const TileA& a, const TileB& b, const TileStep& step = {});

// Within a K loop at step k: at steps k = 0, every, 2 every, ... (`times` of
// them), and only `when` (if given), body(k / every). The lowerings spread
// their prefetches over a tile's FMAs with it.
void every_steps(Emitter& e, llvm::Value* k, int64_t every, int64_t times, llvm::Value* when,
                 const std::function<void(llvm::Value*)>& body);

// A tile's step that asks for the lines its epilogue will read (`prefetch(row,
// col)`, GemmEpilogue::prefetch) while its K loop of `k_steps` runs: vector
// j = r NV + v of the tile at (m0, n0) at step j every, every = k_steps / (MR NV),
// so that the requests spread over the FMAs. Asked for all at once before the loop
// (MR NV vectors x each operand the epilogue reads: 84 lines for Adam's weight and
// moments at 14 x 2), they filled the core's miss buffers and stalled the loop's
// own loads: Adam's 1024 x 1024 x 256 update ran at 161-163 GFLOP/s, spread it
// runs at 185-194 (bench/README.md; the divider was not the cause: without its
// square root and division the update ran at 161).
// C's rows are `n` elements of `element_bytes`. Where a row is not a whole number
// of 64-byte lines, most vectors straddle two lines, and the request for a
// vector's first element brings only the first: the slot then also asks for its
// last element's line (clamped to the row). Without it, an update whose rows are
// 1000 floats (4000 bytes) ran at 161-171 GFLOP/s against 191-199 at 1008 or
// 1024 (bench/README.md, sixth session).
TileStep spread_epilogue_prefetch(Emitter& e, const std::function<void(llvm::Value*, llvm::Value*)>& prefetch,
                                  llvm::Value* m0, llvm::Value* n0, int64_t mr, size_t nv, unsigned lanes,
                                  int64_t k_steps, int64_t n, unsigned element_bytes);

// Calls f(first, count) for the whole panels of `extent` (an i64 value) in steps
// of `panel`, then f(whole, remainder) once when extent is not a multiple of
// `panel`; `remainder` is that static rest (the rest at the matrix's edge: callers
// cut extents into whole panels everywhere else).
void for_panels(Emitter& e, llvm::Value* extent, int64_t panel, int64_t remainder,
                const std::function<void(llvm::Value*, int64_t)>& f);

// The widths of a tile of `columns` columns in vectors of `lanes`: full vectors,
// then the narrower rest.
std::vector<unsigned> tile_widths(int64_t columns, unsigned lanes);

}  // namespace minigrad::jit
