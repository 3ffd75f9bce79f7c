// The kernels of the image ops (ir/ops.def: convolution, pooling, and batch norm
// of [N, C, H, W]): conv.cpp lowers each convolution to the generated GEMM over
// one image's im2col matrix (im2col.h), pool.cpp and batch_norm2d.cpp are loops
// over planes. Each splits over images, planes or channels (Kernel::units), so the
// bits do not depend on the threads. docs/jit.md, "Images", describes them.
#pragma once

#include "backend/llvm/kernel.h"

namespace minigrad::jit {

// conv.cpp
void emit_conv2d(Kernel& k);
void emit_conv2d_input_grad(Kernel& k);
void emit_conv2d_weight_grad(Kernel& k);
// Scratch (bytes, per thread) of a convolution node: one image's im2col matrix and the GEMM's.
int64_t conv_scratch_bytes(const ir::Function& f, const ir::Node& n, const TargetInfo& t);
// The cost model's cycles of a convolution node (two FMAs of `lanes` a cycle).
int64_t conv_cycles(const ir::Function& f, const ir::Node& n, unsigned lanes);

// pool.cpp
void emit_max_pool2d(Kernel& k);
void emit_max_pool2d_grad(Kernel& k);
void emit_avg_pool2d(Kernel& k);
void emit_avg_pool2d_grad(Kernel& k);

// batch_norm2d.cpp: batch_norm_train, _grad and _eval of x[N, C, H, W].
void emit_batch_norm2d_train(Kernel& k);
void emit_batch_norm2d_grad(Kernel& k);
void emit_batch_norm2d_eval(Kernel& k);

}  // namespace minigrad::jit
