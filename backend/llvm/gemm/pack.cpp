// Packing for the blocked GEMM; see pack.h.
#include "backend/llvm/gemm/pack.h"

#include <algorithm>
#include <optional>

#include "backend/llvm/gemm/micro_tile.h"

namespace minigrad::jit {
using llvm::Value;

// The stages of transpose_in_registers (pack.h):
// stage s swaps the off-diagonal s x s blocks of each 2s x 2s block, through
// rows i and i + s (i & s == 0):
//   lo[l] = (l & s) == 0 ? v[i][l] : v[i + s][l - s]
//   hi[l] = (l & s) == 0 ? v[i][l + s] : v[i + s][l]
// after the stages s = L/2, ..., 1, v[j][l] holds the old v[l][j].
void transpose_in_registers(llvm::IRBuilder<>& b, Values& v) {
  int L = int(v.size());
  for (int s = L / 2; s >= 1; s /= 2)
    for (int i = 0; i < L; ++i) {
      if (i & s) continue;
      llvm::SmallVector<int, 64> lo, hi;
      for (int l = 0; l < L; ++l) {
        lo.push_back((l & s) == 0 ? l : L + l - s);
        hi.push_back((l & s) == 0 ? l + s : L + l);
      }
      Value* x = v[size_t(i)];
      Value* y = v[size_t(i + s)];
      v[size_t(i)] = b.CreateShuffleVector(x, y, lo);
      v[size_t(i + s)] = b.CreateShuffleVector(x, y, hi);
    }
}

// pack.h states the copy; the squares and the narrow run are its layout of work.
void transpose_copy(Emitter& e, const GemmPlan& p, const TransposeCopy& t, int64_t rows, Value* cols,
                    std::optional<int64_t> known_cols) {
  auto& ir = e.b();
  ir::DType dt = p.s.dtype;
  int64_t L = p.lanes, square_rows = L > 1 ? rows / L * L : 0;
  auto from = [&](Value* r, Value* c) {
    return ir.CreateAdd(t.src_at, ir.CreateAdd(ir.CreateMul(r, e.idx(t.src_stride)), c));
  };
  auto to = [&](Value* r, Value* c) {
    return ir.CreateAdd(t.dst_at, ir.CreateAdd(ir.CreateMul(c, e.idx(t.dst_stride)), r));
  };
  auto element = [&](Value* r, Value* c) { e.store(dt, e.load(dt, 1, t.src, from(r, c)), t.dst, to(r, c)); };
  // Columns [c0, c0 + width) of rows [0, square_rows), width <= L: L loads of a
  // row's run (a narrow one widened to L lanes), transposed, then `width` stores.
  auto squares = [&](Value* c0, unsigned width) {
    e.loop(0, square_rows, L, [&](Value* r0) {
      Values v;
      for (int64_t j = 0; j < L; ++j)
        v.push_back(e.resize(e.load(dt, width, t.src, from(ir.CreateAdd(r0, e.idx(j)), c0)), unsigned(L)));
      transpose_in_registers(ir, v);
      for (unsigned c = 0; c < width; ++c) e.store(dt, v[c], t.dst, to(r0, ir.CreateAdd(c0, e.idx(c))));
    });
  };
  Value* done = e.idx(0);  // columns [0, done) of the square rows are copied
  if (square_rows > 0) {
    Value* whole = known_cols ? e.idx(*known_cols / L * L) : ir.CreateMul(ir.CreateUDiv(cols, e.idx(L)), e.idx(L));
    e.loop(e.idx(0), whole, L, [&](Value* c0) { squares(c0, unsigned(L)); });
    done = whole;
    if (known_cols && *known_cols % L != 0) squares(whole, unsigned(*known_cols % L)), done = cols;
  }
  e.loop(0, square_rows, 1, [&](Value* r) { e.loop(done, cols, 1, [&](Value* c) { element(r, c); }); });
  e.loop(square_rows, rows, 1, [&](Value* r) { e.loop(e.idx(0), cols, 1, [&](Value* c) { element(r, c); }); });
}

void pack_b_panel(Emitter& e, const GemmPlan& p, Value* b, Value* bp, Value* jc, Value* j0, int64_t width, Value* pc,
                  Value* kc) {
  auto& ir = e.b();
  const GemmShape& s = p.s;
  Value* base = ir.CreateMul(j0, e.idx(p.kc));  // (n - jc) KC for the panel's first column
  Value* n0 = ir.CreateAdd(jc, j0);
  if (s.tb) {  // op(B)[pc + kk, n0 + j] = B[(n0 + j) K + pc + kk] -> Bp[base + kk NR + j]
    TransposeCopy t{b, ir.CreateAdd(ir.CreateMul(n0, e.idx(s.k)), pc), s.k, bp, base, p.nr};
    // With one K block, kc = K: its last run of K % L is widened, not copied element by element.
    return transpose_copy(e, p, t, width, kc, p.kc >= s.k ? std::optional<int64_t>(s.k) : std::nullopt);
  }
  // op(B)[k, n] = B[k N + n]: rows of the panel are contiguous in B
  std::vector<unsigned> widths = tile_widths(width, p.lanes);
  e.loop(e.idx(0), kc, 1, [&](Value* kk) {
    Value* from = ir.CreateAdd(ir.CreateMul(ir.CreateAdd(pc, kk), e.idx(s.n)), n0);
    Value* to = ir.CreateAdd(base, ir.CreateMul(kk, e.idx(p.nr)));
    for (size_t v = 0; v < widths.size(); ++v) {
      Value* x = e.load(s.dtype, widths[v], b, ir.CreateAdd(from, e.idx(int64_t(v) * p.lanes)));
      e.store(s.dtype, x, bp, ir.CreateAdd(to, e.idx(int64_t(v) * p.lanes)));
    }
  });
}

namespace {
// Elements per 64-byte cache line (where lines are longer, as Apple's 128, each
// line is asked for twice: harmless).
int64_t line_elements(const GemmPlan& p) { return std::max<int64_t>(1, 64 / int64_t(ir::dtype_size(p.s.dtype))); }
// Lines of one row of B the panel reads: NR elements of op(B)'s row, or with tb kc
// elements of B's row n.
int64_t lines_per_source_row(const GemmPlan& p) {
  int64_t run = p.s.tb ? p.kc : p.nr;
  return (run + line_elements(p) - 1) / line_elements(p);
}
}  // namespace

int64_t b_panel_lines(const GemmPlan& p) { return lines_per_source_row(p) * (p.s.tb ? p.nr : p.kc); }

void prefetch_b_panel_line(Emitter& e, const GemmPlan& p, Value* b, Value* n0, Value* pc, Value* kc, Value* line) {
  auto& ir = e.b();
  const GemmShape& s = p.s;
  Value* per_row = e.idx(lines_per_source_row(p));
  Value* row = ir.CreateUDiv(line, per_row);
  Value* part = ir.CreateMul(ir.CreateURem(line, per_row), e.idx(line_elements(p)));
  // !tb: row `row` of the panel is op(B)'s row pc + row; tb: it is B's row n0 + row, from column pc
  Value* inside = s.tb ? ir.CreateICmpULT(part, kc) : ir.CreateICmpULT(row, kc);
  e.if_then(inside, [&] {
    Value* at = s.tb ? ir.CreateAdd(ir.CreateMul(ir.CreateAdd(n0, row), e.idx(s.k)), ir.CreateAdd(pc, part))
                     : ir.CreateAdd(ir.CreateMul(ir.CreateAdd(pc, row), e.idx(s.n)), ir.CreateAdd(n0, part));
    e.prefetch(s.dtype, b, at);
  });
}

void pack_a(Emitter& e, const GemmPlan& p, Value* a, Value* ap, Value* ic, Value* rows, Value* pc, Value* kc) {
  auto& ir = e.b();
  const GemmShape& s = p.s;
  int64_t es = int64_t(ir::dtype_size(s.dtype));
  if (!s.ta) {  // op(A)[m, k] = A[m K + k]: a row of the block is a run of a row of A
    Value* bytes = ir.CreateMul(kc, e.idx(es));
    e.loop(e.idx(0), rows, 1, [&](Value* i) {
      Value* from = e.at(s.dtype, a, ir.CreateAdd(ir.CreateMul(ir.CreateAdd(ic, i), e.idx(s.k)), pc));
      Value* to = e.at(s.dtype, ap, ir.CreateMul(i, e.idx(p.kc)));
      ir.CreateMemCpy(to, llvm::Align(es), from, llvm::Align(es), bytes);
    });
    return;
  }
  // op(A)[m, k] = A[k M + m]: MR consecutive elements of A's row k per micro-panel row.
  for_panels(e, rows, p.tile.mr, s.m % p.tile.mr, [&](Value* i0, int64_t height) {
    Value* base = ir.CreateMul(i0, e.idx(p.kc));
    Value* m0 = ir.CreateAdd(ic, i0);
    e.loop(e.idx(0), kc, 1, [&](Value* kk) {
      Value* from = ir.CreateAdd(ir.CreateMul(ir.CreateAdd(pc, kk), e.idx(s.m)), m0);
      Value* x = e.load(s.dtype, unsigned(height), a, from);
      e.store(s.dtype, x, ap, ir.CreateAdd(base, ir.CreateMul(kk, e.idx(p.tile.mr))));
    });
  });
}

Value* packed_a_offset(Emitter& e, const GemmPlan& p, Value* i0, int64_t r, Value* kk) {
  auto& ir = e.b();
  Value* base = ir.CreateMul(i0, e.idx(p.kc));
  Value* within = p.s.ta ? ir.CreateAdd(ir.CreateMul(kk, e.idx(p.tile.mr)), e.idx(r))
                         : ir.CreateAdd(e.idx(r * p.kc), kk);
  return ir.CreateAdd(base, within);
}

}  // namespace minigrad::jit
