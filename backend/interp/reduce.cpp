// Reductions over a list of axes: reduce_sum, reduce_mean, reduce_max. The result,
// with or without keepdims, has the flat layout of the input's shape with every
// reduced axis set to extent 1 ("kept"); since kept broadcasts back to the input's
// shape, broadcast_offsets(kept, input) names, for each input element, the result
// element it contributes to. Sums accumulate in Acc<T>;
//   mean = sum / count, count = numel(input) / numel(result),
// which truncates toward zero for i32. max propagates NaN, as torch.max does.
#include <limits>

#include "backend/interp/kernel.h"

namespace minigrad::interp {
namespace {

// For each element of the input, the flat index of the result element it reduces into.
std::vector<int64_t> reduced_offsets(const Call& c) {
  ir::Shape kept = c.in(0).type().shape;
  for (int64_t axis : c.attrs().ints("axes")) kept.dims[size_t(axis)] = 1;
  return broadcast_offsets(kept, c.in(0).type().shape);
}

// result = sum / divisor, for each result element.
void sum_divided(const Call& c, int64_t divisor) {
  std::vector<int64_t> to = reduced_offsets(c);
  with_dtype(c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    std::vector<Acc<T>> sum(size_t(c.out().numel()), 0);
    const T* x = c.in(0).as<T>();
    for (size_t k = 0; k < to.size(); ++k) sum[size_t(to[k])] += x[k];
    T* y = c.out().as<T>();
    for (size_t j = 0; j < sum.size(); ++j) y[j] = static_cast<T>(sum[j] / static_cast<Acc<T>>(divisor));
  });
}

}  // namespace

void reduce_sum(const Call& c) { sum_divided(c, 1); }

void reduce_mean(const Call& c) { sum_divided(c, c.in(0).numel() / c.out().numel()); }

void reduce_max(const Call& c) {
  std::vector<int64_t> to = reduced_offsets(c);
  with_dtype(c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    using Limits = std::numeric_limits<T>;
    T lowest = Limits::has_infinity ? -Limits::infinity() : Limits::lowest();
    std::span<T> y = c.out().span<T>();
    std::fill(y.begin(), y.end(), lowest);
    const T* x = c.in(0).as<T>();
    for (size_t k = 0; k < to.size(); ++k) y[size_t(to[k])] = max_nan(y[size_t(to[k])], x[k]);
  });
}

}  // namespace minigrad::interp
