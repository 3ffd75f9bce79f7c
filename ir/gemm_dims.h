// The GEMM a node computes, for reports (the JIT's per-kernel profile): a matmul
// node, or a fused node of kind "matmul" or "matmul_update" (whose body holds one matmul and its
// epilogue). C[M, N] = op(A) op(B), op(X) = X or X^T by the transpose attributes,
// op(A): [M, K], op(B): [K, N]; 2 M N K floating-point operations (a multiply and
// an add per term; an epilogue's few per element are not counted).
#pragma once

#include <cstdint>
#include <optional>

#include "ir/graph.h"

namespace minigrad::ir {

struct GemmDims {
  int64_t m = 0, n = 0, k = 0;
  double flops() const { return 2.0 * double(m) * double(n) * double(k); }
};

// M, N, K of node `n` of `f` if it is a matmul, a fused matmul or a convolution
// (its implicit GEMM over the batch: gemm_dims.cpp); nullopt otherwise.
std::optional<GemmDims> gemm_dims(const Function& f, const Node& n);

}  // namespace minigrad::ir
