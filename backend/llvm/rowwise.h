// Row helpers shared by the row-wise kernels (softmax, log_softmax) and the losses:
// a row is n consecutive elements of dtype d at x[base..base + n), walked in
// vectors of the register width with a narrower last vector.
//
// Rows shorter than a vector (a classifier's classes) are walked by columns
// instead: a block of `lanes` rows at a time, column j of the block gathered into
// one vector whose lane i is row r0 + i. A row's reductions (max, sum of
// exponentials, argmax) then become vertical operations across the block's
// columns, with no horizontal step and independent lanes, where walking such a
// row as one vector is a chain of horizontal reductions per row. The block
// helpers take an optional `valid` (i1 lanes, rows_below): a lane that is not
// valid reads no memory (masked gathers and loads) and holds 0, so a masked batch
// of n rows walks whole blocks, its last one partly empty, and each valid lane
// computes what it would in a batch of exactly n rows.
#pragma once

#include "backend/llvm/kernel.h"

namespace minigrad::jit {

// v (of fewer lanes) widened to `lanes`, the new lanes set to identity_scalar.
llvm::Value* pad_lanes(Emitter& e, llvm::Value* v, unsigned lanes, llvm::Value* identity_scalar);
// max_nan over the row (scalar).
llvm::Value* row_max(Emitter& e, ir::DType d, llvm::Value* x, llvm::Value* base, int64_t n);
// sum_j exp(x_j - m) (scalar); writes exp(x_j - m) to y[base + j] if y is given.
llvm::Value* row_sum_exp(Emitter& e, ir::DType d, llvm::Value* x, llvm::Value* base, int64_t n, llvm::Value* m,
                         llvm::Value* y);
// m + log(sum_j exp(x_j - m)), m = row max: log(sum_j exp(x_j)) without overflow.
llvm::Value* row_log_sum_exp(Emitter& e, ir::DType d, llvm::Value* x, llvm::Value* base, int64_t n);

// Whether rows of n elements of d are walked by columns.
bool by_columns(Emitter& e, ir::DType d, int64_t n);
// i1 lanes: whether rows r0 .. r0 + width - 1 are below n (n: i64).
llvm::Value* rows_below(Emitter& e, llvm::Value* r0, llvm::Value* n, unsigned width);
// The n columns of rows [r0, r0 + lanes) of x[rows, n]: x[(r0 + i) n + j] at lane i of column j.
Values block_columns(Emitter& e, ir::DType d, llvm::Value* x, llvm::Value* r0, int64_t n, unsigned lanes,
                     llvm::Value* valid = nullptr);
// x[(r0 + i) n + j_i] at lane i, for a vector j (i64) of one column per lane.
llvm::Value* gather_at(Emitter& e, ir::DType d, llvm::Value* x, llvm::Value* r0, int64_t n, llvm::Value* j,
                       llvm::Value* valid = nullptr);
// Per lane, max_nan over the columns (a balanced tree: a NaN anywhere gives NaN).
llvm::Value* columns_max(Emitter& e, const Values& cols);
// Per lane, sum_j exp(x_j - m) over the n columns of rows [r0, r0 + lanes) of x.
llvm::Value* columns_sum_exp(Emitter& e, ir::DType d, llvm::Value* x, llvm::Value* r0, int64_t n, unsigned lanes,
                             llvm::Value* m, llvm::Value* valid = nullptr);
// Per lane, sum_j (cols_j - shift).
llvm::Value* columns_sum_shifted(Emitter& e, const Values& cols, llvm::Value* shift);
// Per lane, the first column of the row max, NaN counting as the max (ir/nan_order.h's
// rule, column by column), as i64.
llvm::Value* columns_argmax(Emitter& e, const Values& cols);

}  // namespace minigrad::jit
