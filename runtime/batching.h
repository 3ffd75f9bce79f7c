// Mini-batches: the order of the rows in each epoch and copying the chosen rows into
// batch buffers. Shuffling uses a small generator implemented here (splitmix64 keyed
// by (seed, epoch), Fisher–Yates with unbiased bounded integers), not the standard
// library's distributions, so the order is the same on every platform, compiler and
// standard library, and any epoch's order can be recomputed without replaying earlier
// ones.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend/buffer.h"

namespace minigrad::runtime {

// splitmix64: a 64-bit counter stepped by the golden-ratio constant and passed through
// an invertible mixing function. Small, fast, and good enough to shuffle data.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t state) : state_(state) {}
  // The stream for `epoch` of a run seeded with `seed`; distinct epochs of one seed
  // get distinct streams.
  static SplitMix64 for_epoch(uint64_t seed, uint64_t epoch);

  uint64_t next();
  // Uniform in [0, bound), bound >= 1, without modulo bias (draws below 2^64 mod bound
  // are rejected and redrawn).
  uint64_t below(uint64_t bound);

 private:
  uint64_t state_;
};

// splitmix64's finaliser: a bijection on 64-bit integers that scrambles every bit.
uint64_t mix64(uint64_t z);

// A permutation of 0..n-1 for (seed, epoch): Fisher–Yates driven by for_epoch(seed, epoch).
std::vector<int64_t> shuffled_order(int64_t n, uint64_t seed, uint64_t epoch);

struct BatchOptions {
  int64_t batch_size = 64;
  bool shuffle = true;     // off: rows in order 0..N-1 every epoch
  bool drop_last = false;  // drop the final batch when it has fewer than batch_size rows
  uint64_t seed = 0;
};

// The batches of one epoch over `rows` rows: batch i holds rows
// order[i*B .. min((i+1)*B, N)). With drop_last and N < B there are no batches.
class EpochBatches {
 public:
  EpochBatches(int64_t rows, const BatchOptions& options, uint64_t epoch);

  int64_t count() const { return count_; }
  std::span<const int64_t> batch(int64_t i) const;
  // Hands out the batches in turn; false once they are all used.
  bool next(std::span<const int64_t>* out);
  // The batch next() hands out next (empty once they are all used).
  std::span<const int64_t> upcoming() const { return next_ < count_ ? batch(next_) : std::span<const int64_t>(); }
  const std::vector<int64_t>& order() const { return order_; }

 private:
  std::vector<int64_t> order_;
  int64_t batch_size_ = 1, count_ = 0, next_ = 0;
};

// Copies rows `indices` of `src_x` (f32 [N,F]) and `src_y` ([N]) into `dst_x`
// (f32 [len,F]) and `dst_y` (i32 [len]), len = indices.size(), in the order given.
// Error on mismatched shapes or an index out of range.
void gather(const Buffer& src_x, std::span<const int32_t> src_y, std::span<const int64_t> indices,
            Buffer& dst_x, Buffer& dst_y);
// Asks the caches for rows `indices` of `src_x` (f32 [N,F]; indices out of range
// are skipped): the training loop calls it for the next batch before a step, so
// that the rows, scattered over the data set, arrive while the step runs and the
// next gather copies them from cache. Only a hint: it changes no value.
void prefetch_rows(const Buffer& src_x, std::span<const int64_t> indices);

}  // namespace minigrad::runtime
