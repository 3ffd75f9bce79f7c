// Layout kernels: they move elements and compute nothing. Buffers are row-major,
// so reshape is a copy; broadcast_to gathers through numpy broadcasting offsets;
// transpose swaps the two axes of a matrix. slice and pad work on one axis: seen as
// [outer, extent, inner] (outer = product of the extents before the axis, inner =
// product of those after), slice{start, end} keeps rows [start, end) of the middle
// axis and pad{before, after} writes the input's rows at [before, before + extent)
// of a zero-filled result. mask_rows copies the first n_rows rows (axis 0) and
// zero-fills the rest without reading them (docs/ir.md, "Partial batches").
#include <algorithm>
#include <cstring>

#include "backend/interp/kernel.h"

namespace minigrad::interp {
namespace {

// The extents before and after `axis` of a shape, multiplied together.
struct AxisSplit {
  int64_t outer = 1, inner = 1;
};
AxisSplit split_at(const ir::Shape& s, int64_t axis) {
  AxisSplit out;
  for (int i = 0; i < s.rank(); ++i) {
    if (i < axis) out.outer *= s[i];
    if (i > axis) out.inner *= s[i];
  }
  return out;
}

}  // namespace

void reshape(const Call& c) { std::memcpy(c.out().data(), c.in(0).data(), c.out().bytes()); }

void broadcast_to(const Call& c) {
  std::vector<int64_t> from = broadcast_offsets(c.in(0).type().shape, c.out().type().shape);
  with_dtype(c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    const T* x = c.in(0).as<T>();
    T* y = c.out().as<T>();
    for (size_t i = 0; i < from.size(); ++i) y[i] = x[from[i]];
  });
}

// y[j, i] = x[i, j] for x of shape [rows, cols].
void transpose(const Call& c) {
  int64_t rows = c.in(0).type().shape[0], cols = c.in(0).type().shape[1];
  with_dtype(c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    const T* x = c.in(0).as<T>();
    T* y = c.out().as<T>();
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) y[j * rows + i] = x[i * cols + j];
  });
}

// y[o, r, k] = x[o, start + r, k] for r in [0, end - start).
void slice(const Call& c) {
  int64_t axis = c.attrs().i("axis"), start = c.attrs().i("start"), end = c.attrs().i("end");
  const ir::Shape& in = c.in(0).type().shape;
  AxisSplit s = split_at(in, axis);
  int64_t extent = in[int(axis)];
  size_t row = size_t(s.inner) * ir::dtype_size(c.out().type().dtype);  // bytes of one [inner] row
  auto* x = static_cast<const std::byte*>(c.in(0).data());
  auto* y = static_cast<std::byte*>(c.out().data());
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t r = 0; r < end - start; ++r)
      std::memcpy(y + size_t(o * (end - start) + r) * row, x + size_t(o * extent + start + r) * row, row);
}

// y[o, before + r, k] = x[o, r, k] for r in [0, extent); every other element is 0.
void pad(const Call& c) {
  int64_t axis = c.attrs().i("axis"), before = c.attrs().i("before");
  const ir::Shape& in = c.in(0).type().shape;
  AxisSplit s = split_at(in, axis);
  int64_t extent = in[int(axis)], padded = c.out().type().shape[int(axis)];
  size_t row = size_t(s.inner) * ir::dtype_size(c.out().type().dtype);
  auto* x = static_cast<const std::byte*>(c.in(0).data());
  auto* y = static_cast<std::byte*>(c.out().data());
  std::memset(y, 0, c.out().bytes());  // all-zero bytes are 0 in f32, f64 and i32
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t r = 0; r < extent; ++r)
      std::memcpy(y + size_t(o * padded + before + r) * row, x + size_t(o * extent + r) * row, row);
}

void mask_rows(const Call& c) {
  int64_t rows = c.in(0).type().shape[0];
  int64_t n = valid_rows(c, 1, rows);
  size_t row = c.out().bytes() / size_t(rows);
  std::memcpy(c.out().data(), c.in(0).data(), size_t(n) * row);
  std::memset(static_cast<std::byte*>(c.out().data()) + size_t(n) * row, 0, size_t(rows - n) * row);
}

}  // namespace minigrad::interp
