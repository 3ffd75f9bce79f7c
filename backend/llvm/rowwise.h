// Row helpers shared by the row-wise kernels (softmax, log_softmax) and the losses:
// a row is n consecutive elements of dtype d at x[base..base + n), walked in
// vectors of the register width with a narrower last vector.
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

}  // namespace minigrad::jit
