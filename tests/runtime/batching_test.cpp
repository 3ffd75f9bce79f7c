// Tests of the epoch batches: every row exactly once per epoch, reproducible orders that
// match an independent reference, different epochs and seeds differ, the last partial
// batch kept or dropped, the batch ahead, and gathering rows into batch buffers.
#include "runtime/batching.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "tests/runtime/test_files.h"

namespace minigrad::runtime {
namespace {

using ::testing::HasSubstr;
using testing::error_of;

std::vector<int64_t> all_rows(const EpochBatches& e) {
  std::vector<int64_t> rows;
  for (int64_t i = 0; i < e.count(); ++i) {
    auto b = e.batch(i);
    rows.insert(rows.end(), b.begin(), b.end());
  }
  return rows;
}

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), int64_t{0});
  return v;
}

TEST(SplitMix64, MatchesTheReferenceOutput) {
  // Vigna's splitmix64.c with state 0 first returns 0xe220a8397b1dcdaf.
  SplitMix64 g(0);
  EXPECT_EQ(g.next(), 0xe220a8397b1dcdafULL);
}

TEST(SplitMix64, BoundedDrawsAreInRangeAndEven) {
  SplitMix64 g(123);
  std::vector<int> count(3, 0);
  for (int i = 0; i < 30000; ++i) ++count[g.below(3)];
  for (int c : count) EXPECT_NEAR(c, 10000, 400);
  EXPECT_EQ(g.below(1), 0u);
  uint64_t huge = (uint64_t{1} << 63) + 1;  // rejects almost half of all draws
  for (int i = 0; i < 100; ++i) EXPECT_LT(g.below(huge), huge);
}

// The orders below come from an independent Python transcription of batching.cpp:
//   M = 2**64 - 1
//   def mix(z):
//       z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
//       z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
//       return z ^ (z >> 31)
//   def order(n, seed, epoch):
//       s, o = mix((mix(seed) + epoch) & M), list(range(n))
//       def nxt():
//           nonlocal s; s = (s + 0x9e3779b97f4a7c15) & M; return mix(s)
//       for i in range(n, 1, -1):
//           v = nxt()
//           while v < (2**64 - i) % i: v = nxt()
//           j = v % i; o[i-1], o[j] = o[j], o[i-1]
//       return o
//   print(order(10, 42, 0), order(10, 42, 1), order(10, 7, 0))
// so the order is pinned down on every platform and standard library.
TEST(ShuffledOrder, MatchesTheReferenceOrders) {
  EXPECT_EQ(shuffled_order(10, 42, 0), (std::vector<int64_t>{2, 8, 9, 7, 1, 4, 6, 0, 5, 3}));
  EXPECT_EQ(shuffled_order(10, 42, 1), (std::vector<int64_t>{3, 1, 6, 8, 4, 5, 9, 7, 2, 0}));
  EXPECT_EQ(shuffled_order(10, 7, 0), (std::vector<int64_t>{0, 9, 5, 2, 7, 4, 8, 6, 1, 3}));
}

TEST(EpochBatches, EveryRowExactlyOncePerEpoch) {
  BatchOptions opt{.batch_size = 10, .shuffle = true, .drop_last = false, .seed = 5};
  for (uint64_t epoch = 0; epoch < 3; ++epoch) {
    EpochBatches e(103, opt, epoch);
    ASSERT_EQ(e.count(), 11);
    for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(e.batch(i).size(), 10u);
    EXPECT_EQ(e.batch(10).size(), 3u);  // the partial last batch is kept
    std::vector<int64_t> rows = all_rows(e);
    EXPECT_NE(rows, iota(103)) << "shuffled";
    std::sort(rows.begin(), rows.end());
    EXPECT_EQ(rows, iota(103));
  }
}

TEST(EpochBatches, SameSeedSameOrderOtherEpochOrSeedDiffers) {
  BatchOptions opt{.batch_size = 8, .seed = 11};
  EXPECT_EQ(EpochBatches(200, opt, 4).order(), EpochBatches(200, opt, 4).order());
  EXPECT_NE(EpochBatches(200, opt, 4).order(), EpochBatches(200, opt, 5).order());
  BatchOptions other = opt;
  other.seed = 12;
  EXPECT_NE(EpochBatches(200, opt, 4).order(), EpochBatches(200, other, 4).order());
}

TEST(EpochBatches, InOrderWhenShuffleIsOff) {
  BatchOptions opt{.batch_size = 4, .shuffle = false};
  EpochBatches e(10, opt, 3);
  EXPECT_EQ(all_rows(e), iota(10));
  EXPECT_EQ(e.count(), 3);
  std::span<const int64_t> last = e.batch(2);
  EXPECT_EQ(std::vector<int64_t>(last.begin(), last.end()), (std::vector<int64_t>{8, 9}));
}

TEST(EpochBatches, DropLastDropsOnlyThePartialBatch) {
  BatchOptions opt{.batch_size = 10, .drop_last = true, .seed = 1};
  EpochBatches e(103, opt, 0);
  ASSERT_EQ(e.count(), 10);
  std::vector<int64_t> rows = all_rows(e);
  EXPECT_EQ(rows.size(), 100u);
  std::sort(rows.begin(), rows.end());
  EXPECT_EQ(std::unique(rows.begin(), rows.end()), rows.end());
  EXPECT_EQ(EpochBatches(100, opt, 0).count(), 10);        // nothing partial to drop
  EXPECT_EQ(EpochBatches(7, opt, 0).count(), 0);           // fewer rows than a batch
  EXPECT_EQ(EpochBatches(0, BatchOptions{}, 0).count(), 0);
}

TEST(EpochBatches, NextHandsOutTheBatchesInTurn) {
  EpochBatches e(25, BatchOptions{.batch_size = 10, .seed = 3}, 2);
  std::span<const int64_t> b;
  int64_t i = 0;
  while (e.next(&b)) {
    EXPECT_EQ(b.data(), e.batch(i).data());
    EXPECT_EQ(b.size(), e.batch(i).size());
    ++i;
  }
  EXPECT_EQ(i, 3);
  EXPECT_FALSE(e.next(&b));
}

// upcoming() is the batch next() hands out next, without handing it out.
TEST(EpochBatches, UpcomingIsTheNextBatch) {
  EpochBatches e(25, BatchOptions{.batch_size = 10, .seed = 3}, 2);
  std::span<const int64_t> b;
  for (int64_t i = 0; i < 3; ++i) {
    std::span<const int64_t> ahead = e.upcoming();
    EXPECT_EQ(ahead.data(), e.batch(i).data());
    EXPECT_EQ(ahead.size(), e.batch(i).size());
    ASSERT_TRUE(e.next(&b));
    EXPECT_EQ(b.data(), ahead.data());
  }
  EXPECT_TRUE(e.upcoming().empty());
}

TEST(EpochBatches, Errors) {
  EXPECT_THAT(error_of([] { EpochBatches(10, BatchOptions{.batch_size = 0}, 0); }),
              HasSubstr("batch size 0 must be >= 1"));
  EpochBatches e(10, BatchOptions{.batch_size = 4}, 0);
  EXPECT_THAT(error_of([&] { e.batch(3); }), HasSubstr("batch 3 of 3"));
}

// ---- gather --------------------------------------------------------------------------

struct Source {
  Buffer x{ir::Type{ir::DType::F32, {5, 3}}};
  std::vector<int32_t> y{10, 11, 12, 13, 14};
  Source() {
    for (int64_t i = 0; i < 15; ++i) x.as<float>()[i] = float(i);
  }
};

TEST(Gather, CopiesTheChosenRowsInOrder) {
  Source s;
  std::vector<int64_t> idx{4, 0, 2};
  Buffer bx(ir::Type{ir::DType::F32, {3, 3}}), by(ir::Type{ir::DType::I32, {3}});
  gather(s.x, s.y, idx, bx, by);
  EXPECT_EQ(std::vector<float>(bx.as<float>(), bx.as<float>() + 9),
            (std::vector<float>{12, 13, 14, 0, 1, 2, 6, 7, 8}));
  EXPECT_EQ(std::vector<int32_t>(by.as<int32_t>(), by.as<int32_t>() + 3),
            (std::vector<int32_t>{14, 10, 12}));
}

// prefetch_rows is a hint: the source is unchanged, out-of-range rows are skipped.
TEST(Gather, PrefetchingRowsChangesNothing) {
  Source s;
  std::vector<int64_t> idx{4, -1, 0, 7};
  prefetch_rows(s.x, idx);
  prefetch_rows(s.x, {});
  for (int64_t i = 0; i < 15; ++i) EXPECT_EQ(s.x.as<float>()[i], float(i));
}

TEST(Gather, Errors) {
  Source s;
  std::vector<int64_t> idx{1, 5};
  Buffer bx(ir::Type{ir::DType::F32, {2, 3}}), by(ir::Type{ir::DType::I32, {2}});
  EXPECT_THAT(error_of([&] { gather(s.x, s.y, idx, bx, by); }),
              HasSubstr("index 5 (batch row 1) is out of range [0, 5)"));
  Buffer wrong(ir::Type{ir::DType::F32, {3, 3}});
  idx = {1, 2};
  EXPECT_THAT(error_of([&] { gather(s.x, s.y, idx, wrong, by); }),
              HasSubstr("batch buffers must be f32[2,3] and i32[2], got f32[3,3] and i32[2]"));
  std::vector<int32_t> short_y{1, 2};
  EXPECT_THAT(error_of([&] { gather(s.x, short_y, idx, bx, by); }),
              HasSubstr("2 source labels for 5 source rows"));
}

}  // namespace
}  // namespace minigrad::runtime
