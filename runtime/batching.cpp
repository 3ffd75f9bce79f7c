// Epoch orders, batches and row gathering; see batching.h.
#include "runtime/batching.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <utility>

#include "ir/error.h"

namespace minigrad::runtime {

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// mix64 is a bijection, so for one seed distinct epochs give distinct starting states.
SplitMix64 SplitMix64::for_epoch(uint64_t seed, uint64_t epoch) {
  return SplitMix64(mix64(mix64(seed) + epoch));
}

uint64_t SplitMix64::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return mix64(state_);
}

// 2^64 = q*bound + r with r = (2^64 - bound) % bound = (-bound) % bound. Rejecting the
// r smallest values leaves q*bound equally likely values, each residue q times.
uint64_t SplitMix64::below(uint64_t bound) {
  uint64_t reject_under = (0 - bound) % bound;
  uint64_t v = next();
  while (v < reject_under) v = next();
  return v % bound;
}

// Fisher–Yates: for i = n-1 .. 1 swap element i with a uniform j in [0, i].
std::vector<int64_t> shuffled_order(int64_t n, uint64_t seed, uint64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(std::max<int64_t>(n, 0)));
  std::iota(order.begin(), order.end(), int64_t{0});
  SplitMix64 rng = SplitMix64::for_epoch(seed, epoch);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  return order;
}

EpochBatches::EpochBatches(int64_t rows, const BatchOptions& options, uint64_t epoch)
    : batch_size_(options.batch_size) {
  if (options.batch_size < 1) fail("batching: batch size {} must be >= 1", options.batch_size);
  if (rows < 0) fail("batching: {} rows", rows);
  if (options.shuffle) {
    order_ = shuffled_order(rows, options.seed, epoch);
  } else {
    order_.resize(static_cast<size_t>(rows));
    std::iota(order_.begin(), order_.end(), int64_t{0});
  }
  count_ = options.drop_last ? rows / batch_size_ : (rows + batch_size_ - 1) / batch_size_;
}

std::span<const int64_t> EpochBatches::batch(int64_t i) const {
  if (i < 0 || i >= count_) fail("batching: batch {} of {}", i, count_);
  int64_t begin = i * batch_size_;
  int64_t end = std::min(begin + batch_size_, static_cast<int64_t>(order_.size()));
  return std::span<const int64_t>(order_).subspan(static_cast<size_t>(begin),
                                                  static_cast<size_t>(end - begin));
}

bool EpochBatches::next(std::span<const int64_t>* out) {
  if (next_ >= count_) return false;
  *out = batch(next_++);
  return true;
}

void gather(const Buffer& src_x, std::span<const int32_t> src_y, std::span<const int64_t> indices,
            Buffer& dst_x, Buffer& dst_y) {
  const ir::Type& sx = src_x.type();
  if (sx.dtype != ir::DType::F32 || sx.shape.rank() != 2)
    fail("gather: source data must be f32 [N,F], got {}", ir::to_string(sx));
  int64_t n = sx.shape[0], f = sx.shape[1], len = static_cast<int64_t>(indices.size());
  if (static_cast<int64_t>(src_y.size()) != n)
    fail("gather: {} source labels for {} source rows", src_y.size(), n);
  // Checked without building the expected types: a batch copies, never allocates.
  const ir::Shape &bx = dst_x.type().shape, &by = dst_y.type().shape;
  bool x_ok = dst_x.type().dtype == ir::DType::F32 && bx.rank() == 2 && bx[0] == len && bx[1] == f;
  bool y_ok = dst_y.type().dtype == ir::DType::I32 && by.rank() == 1 && by[0] == len;
  if (!x_ok || !y_ok)
    fail("gather: batch buffers must be {} and {}, got {} and {}", ir::to_string(ir::Type{ir::DType::F32, {len, f}}),
         ir::to_string(ir::Type{ir::DType::I32, {len}}), ir::to_string(dst_x.type()), ir::to_string(dst_y.type()));
  size_t row_bytes = static_cast<size_t>(f) * sizeof(float);
  // The rows are scattered over the data set, so most miss every cache (unless
  // prefetch_rows asked for them during the step before): ask for all of them
  // first, so that their misses overlap, then copy.
  prefetch_rows(src_x, indices);
  for (int64_t i = 0; i < len; ++i) {
    int64_t r = indices[static_cast<size_t>(i)];
    if (r < 0 || r >= n) fail("gather: index {} (batch row {}) is out of range [0, {})", r, i, n);
    std::memcpy(dst_x.as<float>() + i * f, src_x.as<float>() + r * f, row_bytes);
    dst_y.as<int32_t>()[i] = src_y[static_cast<size_t>(r)];
  }
}

void prefetch_rows(const Buffer& src_x, std::span<const int64_t> indices) {
  const ir::Type& sx = src_x.type();
  if (sx.dtype != ir::DType::F32 || sx.shape.rank() != 2) return;
  int64_t n = sx.shape[0], f = sx.shape[1];
  size_t row_bytes = static_cast<size_t>(f) * sizeof(float);
  for (int64_t r : indices) {
    if (r < 0 || r >= n) continue;
    const char* row = reinterpret_cast<const char*>(src_x.as<float>() + r * f);
    for (size_t b = 0; b < row_bytes; b += 64) __builtin_prefetch(row + b);
  }
}

}  // namespace minigrad::runtime
