// Liveness-based memory planning; see memory_plan.h.
#include "passes/memory_plan.h"

#include <algorithm>
#include <map>
#include <set>

#include "ir/error.h"

namespace minigrad::passes {
namespace {

int64_t aligned(int64_t bytes) { return (bytes + MemoryPlan::kAlign - 1) / MemoryPlan::kAlign * MemoryPlan::kAlign; }

// Free blocks of the arena by offset; first fit, merging neighbours on release.
class Arena {
 public:
  int64_t take(int64_t size) {
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->second < size) continue;
      int64_t at = it->first, rest = it->second - size;
      free_.erase(it);
      if (rest > 0) free_[at + size] = rest;
      return at;
    }
    int64_t at = top_;
    top_ += size;
    return at;
  }

  void give(int64_t at, int64_t size) {
    auto next = free_.lower_bound(at);
    if (next != free_.end() && at + size == next->first) size += next->second, next = free_.erase(next);
    if (next != free_.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second == at) {
        prev->second += size;
        return;
      }
    }
    free_[at] = size;
  }

  int64_t peak() const { return top_; }

 private:
  std::map<int64_t, int64_t> free_;
  int64_t top_ = 0;
};

// Index of the last node that uses each value (its definition if it has no use).
std::vector<size_t> last_uses(const ir::Function& f) {
  std::vector<size_t> last(static_cast<size_t>(f.num_values()), 0);
  for (size_t i = 0; i < f.size(); ++i) {
    for (ir::ValueId r : f.node(i).results) last[static_cast<size_t>(r)] = i;
    for (ir::ValueId v : f.node(i).operands) last[static_cast<size_t>(v)] = i;
  }
  return last;
}

void check_no_load_after_store(const ir::Function& f) {
  std::set<std::string> stored;
  for (size_t i = 0; i < f.size(); ++i) {
    const ir::Node& n = f.node(i);
    if (n.op == ir::Op::StoreState) stored.insert(n.attrs.s("name"));
    if (n.op == ir::Op::LoadState && stored.count(n.attrs.s("name")))
      fail("{}: @{} loads state '{}' after storing it; memory planning needs loads first", ir::to_string(n.locs),
           f.name(), n.attrs.s("name"));
  }
}

}  // namespace

MemoryPlan plan_memory(const ir::Function& f) {
  check_no_load_after_store(f);
  MemoryPlan plan;
  plan.offset.assign(static_cast<size_t>(f.num_values()), -1);
  std::vector<size_t> last = last_uses(f);
  std::vector<std::vector<ir::ValueId>> dies_at(f.size());
  Arena arena;
  for (size_t i = 0; i < f.size(); ++i) {
    const ir::Node& n = f.node(i);
    if (!n.info().has(ir::kSource)) {
      for (ir::ValueId r : n.results) {
        int64_t size = aligned(static_cast<int64_t>(f.type(r).bytes()));
        plan.offset[static_cast<size_t>(r)] = arena.take(size);
        plan.unplanned_bytes += size;
        dies_at[last[static_cast<size_t>(r)]].push_back(r);
      }
    }
    for (ir::ValueId v : dies_at[i]) arena.give(plan.offset[static_cast<size_t>(v)], aligned(static_cast<int64_t>(f.type(v).bytes())));
  }
  plan.arena_bytes = arena.peak();
  return plan;
}

}  // namespace minigrad::passes
