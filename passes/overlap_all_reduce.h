// overlap-all-reduce: a data-parallel step's gradient sums run while the rest of
// the backward does, as PyTorch DDP's buckets do. all-reduce-grads puts every
// gradient's all_reduce after the whole backward; this pass, on the final graph
// (after fusion, so nothing moves its nodes again), replaces them with
//   %y1..%yk = all_reduce_start(%g1..%gk) {ranks, bucket}   right after the last gk is computed
//   %z1..%zk = all_reduce_wait(%y1..%yk) {ranks, bucket}    right before the first use of a sum
// for buckets of gradients taken in the order the backward produces them, each
// closed once it holds kBucketBytes (or at a change of dtype). The sums have the
// same bits as the all_reduces (the same rank-order addition), every rank runs the
// starts in the same order (the graph is the same on every rank), and the buffers
// %yi, the waits' operands, stay alive between start and wait.
//
// The cost model: an all_reduce is a candidate when some kernel runs between its
// operand's producer and its result's first use (there is work to hide it behind;
// not so for the batch-norm statistics of --sync-batchnorm, summed and used at
// once), and the function's candidates are overlapped only when together they hold
// at least kMinOverlapBytes: below that, one blocking sum costs less than the
// starts, waits and progress calls of a split one. Disable it with
// --disable-pass=overlap-all-reduce to compare.
#pragma once

#include <cstdint>

#include "passes/pass.h"

namespace minigrad::passes {

inline constexpr int64_t kBucketBytes = int64_t{8} << 20;      // 8 MiB
inline constexpr int64_t kMinOverlapBytes = int64_t{1} << 20;  // 1 MiB

class OverlapAllReduce : public Pass {
 public:
  std::string_view name() const override { return "overlap-all-reduce"; }
  bool run(ir::Module& m) override;
};

// The pass on one function; the number of buckets it wrote.
int overlap_all_reduce(ir::Function& f);

}  // namespace minigrad::passes
