// The naive reference of the image ops (ir/ops.def: convolution and pooling over
// NCHW), for naive_reference.cpp, written from ops.def's sums without sharing code
// with backend/interp: the convolution through an explicit im2col matrix and a
// matrix product, each gradient as a gather over the outputs that read an element,
// the pools by direct window scans. Also the [N, C, H, W] <-> [N H W, C] moves that
// let the rank-2 batch-norm reference serve BatchNorm2d.
#pragma once

#include "tests/backend/naive_reference.h"

namespace minigrad::testing {

std::vector<Tensor> naive_image_op(const ir::Node& n, const ir::Shape& out, const std::vector<Tensor>& in);
// x[N, C, H, W] as rows [N H W, C] (row (n, h, w), column c), and back.
Tensor nchw_to_rows(const Tensor& x);
Tensor rows_to_nchw(const Tensor& rows, const ir::Shape& nchw);

}  // namespace minigrad::testing
