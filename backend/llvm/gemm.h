// The generated GEMM: C[M, N] = op(A)[M, K] op(B)[K, N] for static extents, as
// register-blocked micro-kernels. A tile of MR rows by NV vectors of columns keeps
// its MR x NV accumulators in vector registers for the whole K loop; each k loads
// NV vectors of B's row k and broadcasts MR elements of A's column k, then does
// MR x NV fused multiply-adds. (MR, NV) is chosen per shape from the number of
// vector registers by a cost model of FMA and load throughput; the last tile of
// each axis is the same code with fewer rows or a narrower last vector.
//
// op(A) = A^T reads A[k, m], which is contiguous along m; op(B) = B^T would read
// B[n, k] across rows, so B^T is first packed into scratch as a [K, N] panel.
// Loop order: M in chunks that stay in L2, then N tiles, then M tiles, so that a
// K x NR panel of B stays in L1 while the tiles of a chunk pass over it.
// An epilogue may replace the store of each accumulator (fused bias, activation,
// the activation's backward: the `matmul` fused kind).
#pragma once

#include <functional>

#include "backend/llvm/emitter.h"
#include "ir/types.h"

namespace minigrad::jit {

struct GemmShape {
  int64_t m = 0, n = 0, k = 0;
  bool ta = false, tb = false;
  ir::DType dtype = ir::DType::F32;
};

// Epilogue: stores what C's row `row` (i64), columns [col, col + lanes) become,
// given the accumulated sum (a vector of `lanes`). Null: C = the sum.
using GemmEpilogue = std::function<void(llvm::Value* row, llvm::Value* col, llvm::Value* sum)>;

struct GemmTile {
  int64_t mr = 1, nv = 1;  // rows, vectors of columns
};
GemmTile choose_tile(const GemmShape& s, unsigned lanes, unsigned registers);

// Bytes of scratch the GEMM needs (the packed B^T).
int64_t gemm_scratch_bytes(const GemmShape& s);

GemmShape matmul_shape(const ir::Type& a, const ir::Type& b, bool transpose_a, bool transpose_b);

// Emits the GEMM into the current function; c, a, b and scratch are pointers (c
// unused when an epilogue stores). With tile_begin and tile_end (i64), only the
// rows of C in row tiles [tile_begin, tile_end) of gemm_row_tiles() (a slice of
// the work for one thread; slices write disjoint rows).
void emit_gemm(Emitter& e, const GemmShape& s, llvm::Value* c, llvm::Value* a, llvm::Value* b, llvm::Value* scratch,
               const GemmEpilogue& epilogue = {}, llvm::Value* tile_begin = nullptr, llvm::Value* tile_end = nullptr);
int64_t gemm_row_tiles(Emitter& e, const GemmShape& s);

}  // namespace minigrad::jit
