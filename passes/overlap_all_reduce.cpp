// Gradient all-reduces split into start and wait, in buckets; see overlap_all_reduce.h.
#include "passes/overlap_all_reduce.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace minigrad::passes {
namespace {

using ir::ValueId;

// An all_reduce to overlap: its operand (the gradient), its result (the sum), and
// where the gradient is computed and the sum first read.
struct Member {
  ValueId grad, sum;
  size_t produced, first_use;
  int64_t bytes;
  ir::DType dtype;
  int64_t ranks;
  ir::Locs locs;
};

// Position of the first node reading v, or f.size() when none does.
size_t first_use(const ir::Function& f, ValueId v) {
  for (size_t j = 0; j < f.size(); ++j)
    if (std::find(f.node(j).operands.begin(), f.node(j).operands.end(), v) != f.node(j).operands.end()) return j;
  return f.size();
}

bool is_kernel(const ir::Node& n) {
  return !n.info().has(ir::kSource) && !n.info().has(ir::kSink) && !n.info().has(ir::kCollective);
}

std::vector<Member> candidates(const ir::Function& f) {
  std::vector<Member> out;
  for (size_t i = 0; i < f.size(); ++i) {
    const ir::Node& n = f.node(i);
    if (n.op != ir::Op::AllReduce || n.attrs.i("ranks") <= 1) continue;
    Member m{n.operands[0], n.result(), f.index_of(f.value(n.operands[0]).def), first_use(f, n.result()),
             static_cast<int64_t>(f.type(n.operands[0]).bytes()), f.type(n.operands[0]).dtype, n.attrs.i("ranks"),
             n.locs};
    if (m.first_use == f.size()) continue;  // unused: it stays as it is (every rank runs it)
    bool work = false;
    for (size_t j = m.produced + 1; j < m.first_use && !work; ++j) work = j != i && is_kernel(f.node(j));
    if (work) out.push_back(std::move(m));
  }
  return out;
}

// Buckets in the order the gradients are produced; a bucket closes when full, at
// a change of dtype or ranks, or when a member would make its start come after
// its wait (one gradient computed after another's sum is read).
std::vector<std::vector<Member>> buckets(std::vector<Member> ms) {
  std::stable_sort(ms.begin(), ms.end(), [](const Member& a, const Member& b) { return a.produced < b.produced; });
  std::vector<std::vector<Member>> out;
  int64_t bytes = 0;
  size_t last_produced = 0, first_read = std::numeric_limits<size_t>::max();
  for (Member& m : ms) {
    bool fits = !out.empty() && bytes < kBucketBytes && out.back().front().dtype == m.dtype &&
                out.back().front().ranks == m.ranks && std::max(last_produced, m.produced) < std::min(first_read, m.first_use);
    if (!fits) {
      out.emplace_back();
      bytes = 0, last_produced = 0, first_read = std::numeric_limits<size_t>::max();
    }
    bytes += m.bytes;
    last_produced = std::max(last_produced, m.produced);
    first_read = std::min(first_read, m.first_use);
    out.back().push_back(std::move(m));
  }
  return out;
}

// Writes one bucket's start after its last gradient and its wait before the first
// read of a sum, and makes the reads use the wait's results.
void split(ir::Function& f, const std::vector<Member>& bucket, int64_t id) {
  std::vector<ValueId> grads;
  size_t after = 0;
  for (const Member& m : bucket) {
    grads.push_back(m.grad);
    after = std::max(after, f.index_of(f.value(m.grad).def));
  }
  ir::Attrs attrs{{"ranks", bucket.front().ranks}, {"bucket", id}};
  const ir::Node& start = f.insert(after + 1, ir::Op::AllReduceStart, grads, attrs, bucket.front().locs);
  std::vector<ValueId> flying = start.results;
  size_t read = f.size();
  for (const Member& m : bucket) read = std::min(read, first_use(f, m.sum));
  const ir::Node& wait = f.insert(read, ir::Op::AllReduceWait, flying, attrs, bucket.front().locs);
  for (size_t k = 0; k < bucket.size(); ++k) f.replace_all_uses(bucket[k].sum, wait.results[k], read + 1);
}

}  // namespace

int overlap_all_reduce(ir::Function& f) {
  std::vector<Member> ms = candidates(f);
  int64_t total = 0;
  for (const Member& m : ms) total += m.bytes;
  if (ms.empty() || total < kMinOverlapBytes) return 0;
  std::vector<std::vector<Member>> bs = buckets(std::move(ms));
  std::vector<ValueId> replaced;
  for (size_t b = 0; b < bs.size(); ++b) {
    split(f, bs[b], static_cast<int64_t>(b));
    for (const Member& m : bs[b]) replaced.push_back(m.sum);
  }
  // The all_reduces whose sums the waits now give: unused, removed.
  std::vector<bool> keep(f.size(), true);
  for (size_t i = 0; i < f.size(); ++i)
    if (f.node(i).op == ir::Op::AllReduce &&
        std::find(replaced.begin(), replaced.end(), f.node(i).result()) != replaced.end())
      keep[i] = false;
  f.remove_nodes(keep);
  f.renumber();
  return static_cast<int>(bs.size());
}

bool OverlapAllReduce::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs) {
    int n = overlap_all_reduce(f);
    if (n > 0) note("@{}: the gradient sums in {} buckets of up to {} MiB, each started after its gradients", f.name(),
                    n, kBucketBytes >> 20);
    changed = n > 0 || changed;
  }
  return changed;
}

}  // namespace minigrad::passes
