// Batch normalisation kernels over x[N, F], shared by the batch-norm ops and the
// fused kinds `bn_act` (an activation applied to y before it is stored) and
// `bn_act_grad` (dy computed at each point from the activation's backward instead
// of read). The algebra is in batch_norm.cpp.
#pragma once

#include <functional>

#include "backend/llvm/emitter.h"
#include "ir/types.h"

namespace minigrad::jit {

// A vector of `lanes` features [f0, f0 + lanes) of row n.
using BnPointFn = std::function<llvm::Value*(llvm::Value* n, llvm::Value* f0, unsigned lanes)>;

struct BnTrain {
  int64_t rows = 0, features = 0;
  ir::DType dtype = ir::DType::F32;
  double eps = 1e-5;
  llvm::Value *x = nullptr, *gamma = nullptr, *beta = nullptr;  // inputs
  llvm::Value *y = nullptr, *mean = nullptr, *var = nullptr;    // outputs
  // Stores what y becomes at row n, features [f0, f0 + lanes) (null: y itself, to `y`).
  std::function<void(llvm::Value* y, llvm::Value* n, llvm::Value* f0)> store_y;
  llvm::Value *begin = nullptr, *end = nullptr;  // feature blocks [begin, end) only, if given
  llvm::Value* n_rows = nullptr;  // masked: the rows the statistics are over (i64, checked); null: all
};
void emit_bn_train(Emitter& e, const BnTrain& bn);

struct BnGrad {
  int64_t rows = 0, features = 0;
  ir::DType dtype = ir::DType::F32;
  double eps = 1e-5;
  BnPointFn dy;  // dy at a point (read, or computed by a fused prologue)
  llvm::Value *x = nullptr, *gamma = nullptr, *mean = nullptr, *var = nullptr;  // inputs
  llvm::Value *dx = nullptr, *dgamma = nullptr, *dbeta = nullptr;            // outputs
  llvm::Value *begin = nullptr, *end = nullptr;  // feature blocks [begin, end) only, if given
  llvm::Value* n_rows = nullptr;  // masked: sums over rows < n_rows, dx = 0 below (i64, checked); null: all
};

// The feature blocks of the batch-norm kernels: slices that threads may take.
inline int64_t bn_blocks(Emitter& e, ir::DType d, int64_t features) { return e.vectors(features, e.width(d)); }
void emit_bn_grad(Emitter& e, const BnGrad& bn);

}  // namespace minigrad::jit
