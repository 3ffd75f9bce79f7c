// An independent, deliberately naive reference for the interpreter's kernels: plain
// loops on double over multi-indices, written from the semantics in ir/ops.def and
// DESIGN.md without sharing code with backend/interp. It switches over Op with no
// default case, so an op added to the table needs a reference here too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ir/graph.h"

namespace minigrad::testing {

// A tensor of any dtype, its elements held as doubles in row-major order.
struct Tensor {
  ir::Shape shape;
  std::vector<double> v;

  double& at(int64_t i) { return v[size_t(i)]; }
  double at(int64_t i) const { return v[size_t(i)]; }
  // Element (r, c) of a matrix.
  double& at(int64_t r, int64_t c) { return v[size_t(r * shape[1] + c)]; }
  double at(int64_t r, int64_t c) const { return v[size_t(r * shape[1] + c)]; }
};

// The results of `node` (whose result types are `results`) on operands `in`. Results
// of dtype i32 are truncated toward zero (i32 division and mean, cast to i32).
std::vector<Tensor> naive_reference(const ir::Node& node, const std::vector<ir::Type>& results,
                                    const std::vector<Tensor>& in);

}  // namespace minigrad::testing
