// The generated GEMM: C[M, N] = op(A)[M, K] op(B)[K, N] for static extents, where
// op(X) is X or X^T (the four transpose cases of the forward and backward passes).
// Two lowerings share one micro-kernel (micro_tile.h), and a plan (plan.h) chooses
// between them from the shape and the target's caches:
//   - tiled (tiled.cpp): register tiles over the whole K, reading A and B where
//     they are. Best for small products whose operands stay in L1/L2 (the seed
//     model's), as nothing is copied.
//   - blocked (blocked.cpp): the BLIS/GotoBLAS structure. Loops over NC columns,
//     KC of the shared dimension and MC rows; the KC x NC panel of op(B) and the
//     MC x KC block of op(A) are packed (pack.cpp) into contiguous buffers in the
//     kernel's scratch, so that a micro-panel of B stays in L1 and the block of A in
//     L2 while the micro-kernel runs over them; packing absorbs the transposes.
// An epilogue may replace the store of each finished accumulator (fused bias,
// batch norm, activation, ...: the `matmul` fused kind); it runs once per element,
// after the last K block. Both lowerings add the K products of an element in the
// same order (k = 0, 1, ..., one fused multiply-add each), so they give the same
// bits, whatever the blocking and the number of threads.
#pragma once

#include <functional>

#include "backend/llvm/emitter.h"
#include "backend/llvm/gemm/plan.h"
#include "ir/graph.h"
#include "ir/types.h"

namespace minigrad::jit {

// Epilogue: `store` stores what C's row `row` (i64), columns [col, col + lanes)
// become, given the accumulated sum (a vector of `lanes`); no store: C = the sum.
// `prefetch` (optional) asks for the cache line of element (row, col) of each
// operand the store reads (an optimiser's weight and moments): the blocked
// lowering calls it for each vector of a tile (and, where C's rows are not whole
// lines, for the vector's last element too) during the tile's only K block, one
// vector every K / (tile's vectors) steps, so the lines arrive while the FMAs
// run instead of stalling the epilogue (it reads rows of a matrix far apart,
// which the hardware prefetchers do not foresee). The tiled lowering does the same where K has enough steps
// for it (tiled.cpp, kStepsPerAsk). `flat`: store(0, row N + col, sum) does what
// store(row, col, sum) does (every operand it reads is a scalar or of C's shape),
// so an update run after the tiles may walk C as one row of M N elements.
struct GemmEpilogue {
  std::function<void(llvm::Value* row, llvm::Value* col, llvm::Value* sum)> store;
  std::function<void(llvm::Value* row, llvm::Value* col)> prefetch;
  bool flat = false;
  explicit operator bool() const { return bool(store); }
};

GemmShape matmul_shape(const ir::Type& a, const ir::Type& b, bool transpose_a, bool transpose_b);
// The shape of matmul node `mm` of function f.
GemmShape matmul_shape(const ir::Function& f, const ir::Node& mm);

// Emits the GEMM of `plan` into the current function; c, a, b and scratch are
// pointers (c unused when an epilogue stores; scratch holds plan.scratch_bytes).
// With begin and end (i64), only units [begin, end) of plan.units (a slice of the
// work for one thread; slices write disjoint parts of C).
void emit_gemm(Emitter& e, const GemmPlan& plan, llvm::Value* c, llvm::Value* a, llvm::Value* b,
               llvm::Value* scratch, const GemmEpilogue& epilogue = {}, llvm::Value* begin = nullptr,
               llvm::Value* end = nullptr);

// The two lowerings (tiled.cpp, blocked.cpp), over units [begin, end).
void emit_tiled_gemm(Emitter& e, const GemmPlan& p, llvm::Value* c, llvm::Value* a, llvm::Value* b,
                     llvm::Value* scratch, const GemmEpilogue& epilogue, llvm::Value* begin, llvm::Value* end);
void emit_blocked_gemm(Emitter& e, const GemmPlan& p, llvm::Value* c, llvm::Value* a, llvm::Value* b,
                       llvm::Value* scratch, const GemmEpilogue& epilogue, llvm::Value* begin, llvm::Value* end);

}  // namespace minigrad::jit
