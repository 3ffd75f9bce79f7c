// The plan of one generated GEMM: which lowering (gemm.h), the register tile, the
// cache blocks and how the work splits into units for threads, all derived from
// the shape and the target (vector width and registers, FMA ports and latency,
// cache sizes: TargetInfo), never from constants of one CPU. The plan is a value:
// the scratch sizing, the thread split and the emitter read the same one.
//
// Register tile (both lowerings): MR rows by NV vectors (NR = NV x lanes columns)
// of accumulators, MR NV + NV + 1 <= registers, chosen by a cost model of FMA and
// load throughput over the whole product (edge tiles included).
// Cache blocks (blocked lowering), for elements of s bytes:
//   KC: a KC x NR micro-panel of packed B takes half of L1      KC = L1 / 2 / (NR s)
//   MC: the MC x KC block of packed A takes half of L2          MC = L2 / 2 / (KC s)
//   NC: the KC x NC panel of packed B takes half of L3          NC = L3 / 2 / (KC s)
// each then evened out over its extent (K = 784 with KC 192 becomes 5 blocks of
// 160 rather than 4 of 192 and one of 16), MC a multiple of MR, NC of NR.
// With an epilogue, KC = K where K x NR fits in L2 / 6 (the sums then never leave
// the registers); beyond that the sums cross K blocks in a scratch buffer.
// Units: the blocked lowering splits columns into `threads` ranges of whole
// micro-panels (each thread packs its own part of B and all of A), or rows when
// there are too few column panels; the tiled lowering splits row tiles.
// An update's epilogue in the tiled lowering runs after the tiles, over their sums
// stored in scratch, where C and the matrices it reads fit in half of L2
// (4 M N s <= L2 / 2: update_after). Run in each tile, it saves no memory traffic
// there, and it is one copy of its code per tile variant: after the tiles, the
// seed's train step is a third less code and its cold compile a median 23%
// shorter, with the same step time (bench/README.md).
#pragma once

#include <cstdint>
#include <string>

#include "backend/llvm/emitter.h"
#include "ir/types.h"

namespace minigrad::jit {

struct GemmShape {
  int64_t m = 0, n = 0, k = 0;
  bool ta = false, tb = false;
  ir::DType dtype = ir::DType::F32;
};

enum class GemmLowering { Tiled, Blocked };

struct GemmTile {
  int64_t mr = 1, nv = 1;  // rows, vectors of columns
};

struct GemmPlan {
  GemmShape s;
  GemmLowering lowering = GemmLowering::Tiled;
  unsigned lanes = 1;
  GemmTile tile;
  int64_t nr = 1;                 // columns of a register tile: nv x lanes
  int64_t kc = 0, mc = 0, nc = 0; // blocked: cache blocks
  bool split_rows = false;        // blocked: units are row ranges (else column ranges)
  int64_t unit_extent = 0;        // blocked: rows or columns of one unit
  int64_t units = 1;              // independent slices of the work
  bool transposed = false;        // tiled: tiles of C^T, vectors along M (tiled.cpp)
  bool partials = false;          // blocked: sums across K blocks kept in scratch (epilogue and K > KC)
  bool update_after = false;      // tiled: an update's epilogue runs after the tiles, over sums in scratch
  int64_t sums_at = 0;            // tiled, update_after: the sums' offset in scratch (bytes)
  int64_t b_pack = 0, a_pack = 0, c_part = 0;  // blocked: scratch offsets in bytes
  int64_t scratch_bytes = 0;
  std::string describe() const;   // "blocked 14x32 kc=192 mc=336 nc=2048 units=2 (columns)"
};

// The register tile for a shape at `lanes` per vector on target t.
GemmTile choose_tile(const GemmShape& s, unsigned lanes, const TargetInfo& t);
// The plan of C = op(A) op(B) on target t (t.gemm: which lowering); `epilogue`:
// an epilogue replaces C's stores; `update`: that epilogue reads and writes
// matrices of C's shape (an optimiser's weight and moments: matmul_update);
// `threads`: the units to split into (1: none).
GemmPlan plan_gemm(const GemmShape& s, const TargetInfo& t, bool epilogue, int threads, bool update = false);

}  // namespace minigrad::jit
