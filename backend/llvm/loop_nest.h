// Loop nests over an iteration shape for kernels whose operands are broadcast to
// it (numpy's rule: shapes right-aligned, an extent of 1 stretches). Each
// "access" (an operand or result of some shape) gets, per axis of the iteration
// shape, the stride of its row-major offset: 0 along axes it lacks or stretches.
// Axes of extent 1 are dropped, and neighbouring axes merge wherever every
// access's strides allow (outer stride = inner stride x inner extent), so a
// same-shape elementwise op becomes one flat loop and a row broadcast two loops.
// The innermost axis then has stride 1 or 0 for every access and is walked in
// vectors; stride-0 accesses are splats of one element.
#pragma once

#include <functional>
#include <vector>

#include "backend/llvm/emitter.h"
#include "ir/types.h"

namespace minigrad::jit {

struct LoopNest {
  std::vector<int64_t> extent;               // outermost first; at least one axis
  std::vector<std::vector<int64_t>> stride;  // [access][axis]
  bool contiguous(size_t access) const { return stride[access].back() == 1; }
};

// The row-major strides of `shape` broadcast to `iter` (0 where stretched or absent).
std::vector<int64_t> broadcast_strides(const ir::Shape& shape, const ir::Shape& iter);
// The nest of `iter` for these accesses, with extent-1 axes dropped and axes merged.
LoopNest make_loop_nest(const ir::Shape& iter, const std::vector<ir::Shape>& accesses);
LoopNest make_loop_nest(const std::vector<int64_t>& extents, const std::vector<std::vector<int64_t>>& strides);

// Walks the nest: body(offsets, lanes) with offsets[a] the element offset (i64) of
// access a at the first of `lanes` consecutive points of the innermost axis.
// nest_units() slices of the work can be walked alone: [begin, end) restricts the
// outermost axis, or the vectors of a nest of one axis.
int64_t nest_units(const LoopNest& nest, unsigned width);
using NestBody = std::function<void(const Values& offsets, unsigned lanes)>;
void walk_nest(Emitter& e, const LoopNest& nest, unsigned width, const NestBody& body,
               llvm::Value* outer_begin = nullptr, llvm::Value* outer_end = nullptr);

}  // namespace minigrad::jit
