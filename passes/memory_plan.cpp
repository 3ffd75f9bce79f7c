// Liveness-based memory planning; see memory_plan.h.
#include "passes/memory_plan.h"

#include <algorithm>
#include <map>
#include <set>

#include "ir/checked.h"
#include "ir/error.h"
#include "ir/fused_kind.h"

namespace minigrad::passes {
namespace {

// Sizes and offsets are checked (ir/checked.h): a value of 2^62 bytes is legal IR,
// and the sum of a few of them must be an Error, not a negative offset.
int64_t aligned(int64_t bytes) {
  return ir::checked_add(bytes, MemoryPlan::kAlign - 1, "memory plan: a value's size") / MemoryPlan::kAlign *
         MemoryPlan::kAlign;
}

// Free blocks of the arena by offset; first fit, merging neighbours on release.
class Arena {
 public:
  int64_t take(int64_t size) {
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->second < size) continue;
      int64_t at = it->first, rest = it->second - size;
      free_.erase(it);
      if (rest > 0) free_[at + size] = rest;  // at + size <= the block's end: no overflow
      return at;
    }
    // The free block that ends at the top grows instead of a fresh one.
    if (!free_.empty()) {
      auto last = std::prev(free_.end());
      if (last->first + last->second == top_) {
        int64_t at = last->first;
        free_.erase(last);
        top_ = ir::checked_add(at, size, "memory plan: the arena's size");
        return at;
      }
    }
    int64_t at = top_;
    top_ = ir::checked_add(top_, size, "memory plan: the arena's size");
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

// Whether node n computes elementwise, so that a result may overwrite an operand
// read at the same index.
bool loops_elementwise(const ir::Node& n) {
  if (n.op == ir::Op::Fused) return ir::parse_fused_kind(n.attrs.s("kind")) == ir::FusedKind::Elementwise;
  return n.info().has(ir::kElementwise);
}

class Planner {
 public:
  Planner(const ir::Function& f, const PlanOptions& o) : f_(f), o_(o), last_(last_uses(f)), dies_at_(f.size()) {
    plan_.offset.assign(static_cast<size_t>(f.num_values()), -1);
    plan_.reuses.assign(static_cast<size_t>(f.num_values()), -1);
  }

  MemoryPlan run() {
    for (size_t i = 0; i < f_.size(); ++i) {
      const ir::Node& n = f_.node(i);
      if (!n.info().has(ir::kSource))
        for (ir::ValueId r : n.results) place(i, n, r);
      for (ir::ValueId v : dies_at_[i]) arena_.give(offset(v), size(v));
    }
    plan_.arena_bytes = arena_.peak();
    return std::move(plan_);
  }

 private:
  int64_t size(ir::ValueId v) const { return aligned(static_cast<int64_t>(f_.type(v).bytes())); }
  int64_t& offset(ir::ValueId v) { return plan_.offset[static_cast<size_t>(v)]; }

  void place(size_t i, const ir::Node& n, ir::ValueId r) {
    plan_.unplanned_bytes = ir::checked_add(plan_.unplanned_bytes, size(r), "memory plan: the unplanned size");
    dies_at_[last_[static_cast<size_t>(r)]].push_back(r);
    ir::ValueId v = o_.in_place && loops_elementwise(n) ? dying_operand(i, n, r) : -1;
    if (v < 0) {
      offset(r) = arena_.take(size(r));
      return;
    }
    offset(r) = offset(v);  // r takes v's bytes; v's block is not given back at i
    plan_.reuses[static_cast<size_t>(r)] = v;
    auto& d = dies_at_[i];
    d.erase(std::find(d.begin(), d.end(), v));
  }

  // An operand of n that dies at node i, is planned, has r's type and has not
  // been taken by another result of n.
  ir::ValueId dying_operand(size_t i, const ir::Node& n, ir::ValueId r) const {
    for (ir::ValueId v : n.operands) {
      const auto& d = dies_at_[i];
      if (plan_.offset[static_cast<size_t>(v)] >= 0 && f_.type(v) == f_.type(r) &&
          std::find(d.begin(), d.end(), v) != d.end())
        return v;
    }
    return -1;
  }

  const ir::Function& f_;
  PlanOptions o_;
  std::vector<size_t> last_;
  std::vector<std::vector<ir::ValueId>> dies_at_;
  Arena arena_;
  MemoryPlan plan_;
};

}  // namespace

MemoryPlan plan_memory(const ir::Function& f, const PlanOptions& options) {
  check_no_load_after_store(f);
  return Planner(f, options).run();
}

}  // namespace minigrad::passes
