// The per-row pieces of the class losses and of the correct count, shared by their
// own kernels (losses.cpp) and by the loss_grad kernel (fused.cpp), which computes
// the loss and the count beside the gradient from the same row maxima and sums of
// exponentials. With label smoothing ls and C classes, a row with label y and
// shift s (its log-sum-exp, or 0 for nll) has the loss term
//   -(1 - ls) (x_y - s) - (ls / C) sum_c (x_c - s)
// (a term whose weight is 0 is left out). Labels must have been checked
// (check_labels) before a piece reads x at a label.
#pragma once

#include "backend/llvm/kernel.h"

namespace minigrad::jit {

// Checks the labels of rows [0, rows) in row order, so that the first bad row is
// the one named (rows: i64).
void check_labels(Kernel& k, llvm::Value* labels, llvm::Value* rows, int64_t classes, int64_t site);
// The labels of rows [r0, r0 + lanes) as i64 lanes; 0 where not `valid` (rowwise.h).
llvm::Value* block_labels(Emitter& e, llvm::Value* labels, llvm::Value* r0, unsigned lanes, llvm::Value* valid = nullptr);

// By columns, rows [r0, r0 + lanes) of x[N, C] with their columns `cols`
// (rowwise.h): each lane's loss term in f64, padded with zeros to the width of d;
// 0 in the lanes that are not `valid`.
llvm::Value* columns_class_loss(Emitter& e, ir::DType d, llvm::Value* x, llvm::Value* r0, int64_t classes,
                                const Values& cols, llvm::Value* labels64, llvm::Value* shift, double ls,
                                llvm::Value* valid = nullptr);
// By columns: 1 where a row's argmax is its label, as i32 lanes padded with 0 to
// `width`; 0 in the lanes that are not `valid`.
llvm::Value* columns_hits(Emitter& e, const Values& cols, llvm::Value* labels64, unsigned width,
                          llvm::Value* valid = nullptr);

// The row of x at `base`: `total` (f64 scalar) plus its loss term, the term's parts
// subtracted from total one after the other.
llvm::Value* row_class_loss(Emitter& e, ir::DType d, llvm::Value* x, llvm::Value* base, int64_t classes,
                            llvm::Value* label, llvm::Value* shift, double ls, llvm::Value* total);
// The row of x at `base`: 1 if its argmax is `label`, else 0 (i32).
llvm::Value* row_hit(Emitter& e, ir::DType d, llvm::Value* x, llvm::Value* base, int64_t classes, llvm::Value* label);

}  // namespace minigrad::jit
