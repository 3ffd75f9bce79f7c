// The im2col map of a convolution, as generated code: between one image's channels
// x[C, H, W] and the matrix col[K, P] of K = C KH KW taps by P = OH OW output
// positions, col[(c, i, j), (p, q)] = x[c, p sh + i dh - ph, q sw + j dw - pw]
// (0 where that position is padding). The forward and weight-gradient kernels
// gather col from the image (im2col); the input gradient scatters a col-shaped
// product back into the image, adding (col2im).
//
// Every extent is static, so the taps (i, j) are unrolled and each tap's valid
// ranges of p and q are constants (ir/window.h): a row of col is a run of zeros,
// a copy and a run of zeros, and with stride 1 the copy is contiguous vectors.
#pragma once

#include "backend/llvm/emitter.h"
#include "ir/window.h"

namespace minigrad::jit {

// One image's place: C channels of H x W at element `base` of `x`; the window and
// the output extents.
struct ImageGeometry {
  ir::DType dtype;
  int64_t channels, h, w, oh, ow;
  ir::Window win;
  int64_t taps() const { return channels * win.h.kernel * win.w.kernel; }
  int64_t positions() const { return oh * ow; }
};

// col[K, P] = im2col of x's image at element `base` (i64).
void emit_im2col(Emitter& e, const ImageGeometry& g, llvm::Value* x, llvm::Value* base, llvm::Value* col);
// x's image at `base` += col2im(col) (the caller zeroes it first).
void emit_col2im(Emitter& e, const ImageGeometry& g, llvm::Value* col, llvm::Value* x, llvm::Value* base);

}  // namespace minigrad::jit
