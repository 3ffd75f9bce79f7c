// Packing for the blocked GEMM (blocked.cpp): copies of a block of op(A) and a
// panel of op(B) into contiguous buffers in the kernel's scratch, laid out in the
// order the micro-kernel reads them, so that its loads are sequential, stay in
// their cache level, and never alias across 4 KiB pages.
//   B panel, columns [jc, jc + cols) by rows [pc, pc + kc) of op(B): micro-panels
//   of NR columns, each kc x NR, k-major:     Bp[(n - jc) KC + kk NR + j]
//   for n = jc + p NR + j. With tb, op(B)[k, n] = B[n, k] is a transpose.
//   A block, rows [ic, ic + rows) by columns [pc, pc + kc) of op(A): row i of the
//   block at Ap[i KC + kk] when A is read in rows (not ta: a row copy), or in
//   micro-panels of MR rows, k-major, Ap[(i - r) KC + kk MR + r] for r = i % MR
//   with ta (op(A)[m, k] = A[k, m]: MR consecutive elements of A's row k).
// Either way the micro-panel of rows starting at block row i0 starts at i0 KC.
// Extents marked (dynamic) are i64 values; columns and rows are whole micro-panels
// except at the end of the matrix, where the rest is the static remainder.
#pragma once

#include <optional>

#include "backend/llvm/emitter.h"
#include "backend/llvm/gemm/plan.h"

namespace minigrad::jit {

// Packs the micro-panel of op(B) at block column j0: op(B)[pc .. pc + kc, jc + j0 ..
// jc + j0 + width) into bp (all dynamic but width).
void pack_b_panel(Emitter& e, const GemmPlan& p, llvm::Value* b, llvm::Value* bp, llvm::Value* jc, llvm::Value* j0,
                  int64_t width, llvm::Value* pc, llvm::Value* kc);
// The cache lines of B that packing a whole micro-panel of NR columns by KC reads.
int64_t b_panel_lines(const GemmPlan& p);
// Asks for line `line` (< b_panel_lines) of B that packing the panel at column n0
// from row pc will read (nothing for a line beyond the block's kc).
void prefetch_b_panel_line(Emitter& e, const GemmPlan& p, llvm::Value* b, llvm::Value* n0, llvm::Value* pc,
                           llvm::Value* kc, llvm::Value* line);
// v[0..L) (L vectors of L lanes, L a power of two) transposed in registers:
// afterwards v[j][l] holds the old v[l][j]. (The tiled lowering's transposed
// tiles use it too.)
void transpose_in_registers(llvm::IRBuilder<>& b, Values& v);
// A transposing copy, dst[dst_at + c dst_stride + r] = src[src_at + r src_stride + c]
// (offsets and strides in elements): the packs of B^T in both lowerings.
struct TransposeCopy {
  llvm::Value *src, *src_at;
  int64_t src_stride;
  llvm::Value *dst, *dst_at;
  int64_t dst_stride;
};
// Copies rows r < rows (static) by columns c < cols (dynamic; known_cols when it
// is static). Squares of L rows by L columns are transposed in registers (L vector
// loads along c, L stores along r); with known columns a last run of cols % L is
// loaded narrow and widened, so that only rows beyond a multiple of L go element
// by element; with dynamic ones that run goes element by element too.
void transpose_copy(Emitter& e, const GemmPlan& p, const TransposeCopy& t, int64_t rows, llvm::Value* cols,
                    std::optional<int64_t> known_cols);
// Packs op(A)[ic .. ic + rows, pc .. pc + kc) into ap (all dynamic).
void pack_a(Emitter& e, const GemmPlan& p, llvm::Value* a, llvm::Value* ap, llvm::Value* ic, llvm::Value* rows,
            llvm::Value* pc, llvm::Value* kc);
// The offset (elements) of op(A)'s element (block row i, k offset kk) in the packed
// block, for a micro-panel starting at block row i0 = i - r.
llvm::Value* packed_a_offset(Emitter& e, const GemmPlan& p, llvm::Value* i0, int64_t r, llvm::Value* kk);

}  // namespace minigrad::jit
