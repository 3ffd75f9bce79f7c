// Broadcast loop nests; see loop_nest.h.
#include "backend/llvm/loop_nest.h"

#include "ir/error.h"

namespace minigrad::jit {

std::vector<int64_t> broadcast_strides(const ir::Shape& shape, const ir::Shape& iter) {
  int rank = iter.rank(), lead = iter.rank() - shape.rank();
  if (lead < 0) fail("shape {} does not broadcast to {}", ir::to_string(shape), ir::to_string(iter));
  std::vector<int64_t> stride(static_cast<size_t>(rank), 0);
  int64_t step = 1;
  for (int i = rank - 1; i >= lead; --i) {
    int64_t extent = shape[i - lead];
    if (extent != 1 && extent != iter[i])
      fail("shape {} does not broadcast to {}", ir::to_string(shape), ir::to_string(iter));
    if (extent != 1) stride[size_t(i)] = step;
    step *= extent;
  }
  return stride;
}

LoopNest make_loop_nest(const ir::Shape& iter, const std::vector<ir::Shape>& accesses) {
  std::vector<std::vector<int64_t>> strides;
  for (const ir::Shape& s : accesses) strides.push_back(broadcast_strides(s, iter));
  return make_loop_nest(iter.dims, strides);
}

// Merging axis d (outer) into the group g (inner) keeps every offset when, for
// each access, stride_d = stride_g * extent_g: then i_d * stride_d + i_g * stride_g
// = (i_d * extent_g + i_g) * stride_g.
LoopNest make_loop_nest(const std::vector<int64_t>& extents, const std::vector<std::vector<int64_t>>& strides) {
  size_t accesses = strides.size();
  LoopNest inner_first;
  inner_first.stride.assign(accesses, {});
  for (size_t d = extents.size(); d-- > 0;) {
    if (extents[d] == 1) continue;
    bool merge = !inner_first.extent.empty();
    for (size_t a = 0; a < accesses && merge; ++a)
      merge = strides[a][d] == inner_first.stride[a].back() * inner_first.extent.back();
    if (merge) {
      inner_first.extent.back() *= extents[d];
      continue;
    }
    inner_first.extent.push_back(extents[d]);
    for (size_t a = 0; a < accesses; ++a) inner_first.stride[a].push_back(strides[a][d]);
  }
  if (inner_first.extent.empty()) {
    inner_first.extent.push_back(1);
    for (auto& s : inner_first.stride) s.push_back(0);
  }
  LoopNest nest;
  nest.extent.assign(inner_first.extent.rbegin(), inner_first.extent.rend());
  for (auto& s : inner_first.stride) nest.stride.emplace_back(s.rbegin(), s.rend());
  return nest;
}

namespace {

void walk_level(Emitter& e, const LoopNest& nest, unsigned width, const NestBody& body, size_t level,
                const Values& base, llvm::Value* begin, llvm::Value* end) {
  auto& b = e.b();
  size_t accesses = nest.stride.size();
  size_t last = nest.extent.size() - 1;
  auto offsets_at = [&](llvm::Value* i) {
    Values off(accesses);
    for (size_t a = 0; a < accesses; ++a) {
      int64_t s = nest.stride[a][level];
      off[a] = s == 0 ? base[a] : b.CreateAdd(base[a], s == 1 ? i : b.CreateMul(i, e.idx(s)), "", true, true);
    }
    return off;
  };
  if (level < last) {
    llvm::Value* lo = begin ? begin : e.idx(0);
    llvm::Value* hi = end ? end : e.idx(nest.extent[level]);
    e.loop(lo, hi, 1, [&](llvm::Value* i) { walk_level(e, nest, width, body, level + 1, offsets_at(i), nullptr, nullptr); });
    return;
  }
  e.vector_loop_range(nest.extent[level], width, begin, end,
                      [&](llvm::Value* i, unsigned lanes) { body(offsets_at(i), lanes); });
}

}  // namespace

int64_t nest_units(const LoopNest& nest, unsigned width) {
  return nest.extent.size() == 1 ? (nest.extent[0] + width - 1) / width : nest.extent[0];
}

void walk_nest(Emitter& e, const LoopNest& nest, unsigned width, const NestBody& body, llvm::Value* outer_begin,
               llvm::Value* outer_end) {
  Values base(nest.stride.size(), e.idx(0));
  walk_level(e, nest, width, body, 0, base, outer_begin, outer_end);
}

}  // namespace minigrad::jit
