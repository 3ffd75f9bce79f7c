// Transcendental functions as straight-line vector code (no libm calls): exp, log,
// tanh, sigmoid and pow for f32 and f64 scalars or vectors of any lane count, so
// that loops containing them stay vectorised. Each reduces its argument to a small
// range and evaluates a polynomial there; the f32 versions are accurate to a few
// ulp, the f64 versions to about 1e-15 relative. Special values follow libm: exp
// overflows to +inf and underflows to 0 (results below the smallest normal are
// flushed to 0), log(0) = -inf, log(x < 0) = NaN, and NaN propagates.
#pragma once

#include "backend/llvm/emitter.h"

namespace minigrad::jit {

llvm::Value* vexp(Emitter& e, llvm::Value* x);
llvm::Value* vlog(Emitter& e, llvm::Value* x);
llvm::Value* vtanh(Emitter& e, llvm::Value* x);
llvm::Value* vsigmoid(Emitter& e, llvm::Value* x);       // 1 / (1 + exp(-x))
llvm::Value* vpow(Emitter& e, llvm::Value* x, double y);  // x^y for a constant y

}  // namespace minigrad::jit
