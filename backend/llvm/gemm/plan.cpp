// The GEMM plan; see plan.h.
#include "backend/llvm/gemm/plan.h"

#include <algorithm>
#include <limits>
#include <vector>

#include <fmt/format.h>

namespace minigrad::jit {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }
int64_t aligned64(int64_t bytes) { return round_up(bytes, 64); }

// Cycles of one tile of mr rows and nv vectors over k: each k issues mr nv FMAs,
// mr broadcasts and nv loads, and each accumulator's FMAs form a dependent chain
// of the FMA latency; plus a fixed cost and the stores.
double tile_cycles(const TargetInfo& t, int64_t k, int64_t mr, int64_t nv) {
  double fma = double(mr * nv) / t.fma_per_cycle, loads = double(mr + nv) / t.loads_per_cycle;
  double per_k = std::max({fma, loads, double(t.fma_latency)});
  return double(k) * per_k + 20.0 + double(mr * nv);
}

// Cycles of the whole product with tiles of (mr, nv) at `lanes` per vector.
double gemm_cycles(const GemmShape& s, const TargetInfo& t, unsigned lanes, int64_t mr, int64_t nv) {
  int64_t cols = nv * lanes;
  int64_t m_full = s.m / mr, m_rem = s.m % mr;
  int64_t n_full = s.n / cols, n_rem_vecs = ceil_div(s.n % cols, lanes);
  double c = 0;
  auto add = [&](int64_t count_m, int64_t rows, int64_t count_n, int64_t vecs) {
    if (count_m > 0 && count_n > 0 && rows > 0 && vecs > 0) c += double(count_m * count_n) * tile_cycles(t, s.k, rows, vecs);
  };
  add(m_full, mr, n_full, nv);
  add(m_full, mr, 1, n_rem_vecs);
  add(1, m_rem, n_full, nv);
  add(1, m_rem, 1, n_rem_vecs);
  return c;
}

// A block of at most `most` (a multiple of `unit`) over `extent`: as many blocks
// as `most` needs, each as even as multiples of `unit` allow.
int64_t even_block(int64_t extent, int64_t most, int64_t unit) {
  most = std::max(unit, most / unit * unit);
  int64_t blocks = ceil_div(extent, most);
  return std::min(most, round_up(ceil_div(extent, blocks), unit));
}

// The tiled lowering re-reads a K x NR panel of B for every row tile and MR rows
// of A for every column tile: fast while both stay in L1 and all of B in L2.
bool tiled_fits(const GemmShape& s, const TargetInfo& t, const GemmTile& tile, unsigned lanes) {
  int64_t es = int64_t(ir::dtype_size(s.dtype));
  int64_t panels = (tile.mr + tile.nv * lanes) * s.k * es;
  return panels <= t.l1d_bytes && s.k * s.n * es <= t.l2_bytes / 2;
}

void plan_blocks(GemmPlan& p, const TargetInfo& t, bool epilogue, int threads) {
  const GemmShape& s = p.s;
  int64_t es = int64_t(ir::dtype_size(s.dtype)), mr = p.tile.mr;
  // KC in whole vectors: the transposing pack of B^T moves squares of lanes x lanes.
  int64_t kc_most = std::clamp<int64_t>(t.l1d_bytes / 2 / (p.nr * es), 32, 1024);
  // With an epilogue, several K blocks would carry each tile's sums through an
  // M x N buffer in memory (a store and a load per block). Where a K x NR
  // micro-panel of B fits in a sixth of L2, one K block instead: the panel then
  // feeds the micro-kernel from L2 (NV vector loads per MR NV FMAs, well inside
  // L2's bandwidth) and the sums stay in registers from k = 0 to the epilogue.
  // With A's block in half of L2 (MC below), a third is left for C's lines and
  // the epilogue's operands. (An eighth kept 1024 x 192 x 784, NR = 48, in 7
  // blocks: 6% slower in the training step, bench/README.md.)
  if (epilogue && s.k * p.nr * es <= t.l2_bytes / 6) kc_most = round_up(s.k, p.lanes);
  p.kc = even_block(s.k, kc_most, p.lanes);
  p.mc = even_block(s.m, std::max<int64_t>(mr, t.l2_bytes / 2 / (p.kc * es)), mr);
  p.nc = even_block(s.n, std::max<int64_t>(p.nr, t.l3_bytes / 2 / (p.kc * es)), p.nr);
  int64_t col_panels = ceil_div(s.n, p.nr), row_panels = ceil_div(s.m, mr);
  if (threads > 1 && col_panels >= 2 * threads) {
    p.unit_extent = ceil_div(col_panels, threads) * p.nr;
    p.units = ceil_div(s.n, p.unit_extent);
  } else if (threads > 1 && row_panels >= 2 * threads) {
    p.split_rows = true;
    p.unit_extent = ceil_div(row_panels, threads) * mr;
    p.units = ceil_div(s.m, p.unit_extent);
  } else {
    p.unit_extent = s.n;
  }
  p.partials = epilogue && s.k > p.kc;
  p.b_pack = 0;
  p.a_pack = aligned64(p.kc * round_up(p.nc, p.nr) * es);
  p.c_part = p.a_pack + aligned64(p.kc * round_up(p.mc, mr) * es);
  p.scratch_bytes = p.c_part + (p.partials ? aligned64(s.m * s.n * es) : 0);
}

}  // namespace

// Each distinct edge tile (fewer rows, narrower columns) is one more copy of the
// micro-kernel's code to optimise and compile: among tiles whose cycles are
// within 3% of the best, the one with the fewest distinct tiles wins.
GemmTile choose_tile(const GemmShape& s, unsigned lanes, const TargetInfo& t) {
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
      if (mr * nv + nv + 1 > int64_t(t.vector_registers)) continue;
      bool rows_left = s.m % mr != 0, cols_left = s.n % (nv * lanes) != 0;
      options.push_back({{mr, nv}, gemm_cycles(s, t, lanes, mr, nv), 1 + rows_left + cols_left + (rows_left && cols_left)});
      best = std::min(best, options.back().cycles);
    }
  const Option* pick = nullptr;
  for (const Option& o : options)
    if (o.cycles <= 1.03 * best &&
        (!pick || o.variants < pick->variants || (o.variants == pick->variants && o.cycles < pick->cycles)))
      pick = &o;
  return pick ? pick->tile : GemmTile{};
}

namespace {

// A narrow product read down A's rows (ta, N < lanes: an output layer's weight
// gradient) whose M fills vectors better than N does fills them along M instead:
// tiles of mv vectors of rows by all N columns (tiled.cpp). (Without ta, a
// transposed copy of A cost what it saved: 64 x 10 x 192 went from 109 to 115
// GFLOP/s, 65 x 7 x 257 from 78 to 74.)
bool tiles_along_m(const GemmShape& s, const TargetInfo& t, unsigned lanes) {
  auto fill = [&](int64_t x) { return double(x) / double(round_up(x, lanes)); };
  return s.ta && s.n < int64_t(lanes) && fill(s.m) > fill(s.n) && s.n + 2 <= int64_t(t.vector_registers);
}

}  // namespace

GemmPlan plan_gemm(const GemmShape& s, const TargetInfo& t, bool epilogue, int threads, bool update) {
  GemmPlan p;
  p.s = s;
  p.lanes = t.vector_bits / unsigned(8 * ir::dtype_size(s.dtype));
  p.tile = choose_tile(s, p.lanes, t);
  p.nr = p.tile.nv * p.lanes;
  bool blocked = t.gemm == GemmChoice::Blocked || (t.gemm == GemmChoice::Auto && !tiled_fits(s, t, p.tile, p.lanes));
  if (blocked) {
    p.lowering = GemmLowering::Blocked;
    plan_blocks(p, t, epilogue, threads);
    return p;
  }
  if (tiles_along_m(s, t, p.lanes)) {
    int64_t mv = 2 * s.n + 3 <= int64_t(t.vector_registers) ? 2 : 1;  // N x mv accumulators, mv loads, a splat
    p.transposed = true;
    p.tile = {std::min<int64_t>(mv * p.lanes, round_up(s.m, p.lanes)), 1};
    p.nr = s.n;
  }
  p.units = ceil_div(s.m, p.tile.mr);  // row tiles
  int64_t es = int64_t(ir::dtype_size(s.dtype));
  p.scratch_bytes = s.tb ? aligned64(s.k * s.n * es) : 0;
  p.update_after = epilogue && update && 4 * s.m * s.n * es <= t.l2_bytes / 2;
  if (p.update_after) p.sums_at = p.scratch_bytes, p.scratch_bytes += aligned64(s.m * s.n * es);
  return p;
}

std::string GemmPlan::describe() const {
  std::string tile_text = fmt::format("{}x{}", tile.mr, nr);
  if (lowering == GemmLowering::Tiled)
    return fmt::format("tiled {}{} units={}{}", tile_text, transposed ? " transposed" : "", units,
                       update_after ? " update after the tiles" : "");
  return fmt::format("blocked {} kc={} mc={} nc={} units={} ({}){}", tile_text, kc, mc, nc, units,
                     split_rows ? "rows" : "columns", partials ? " partial sums in scratch" : "");
}

}  // namespace minigrad::jit
