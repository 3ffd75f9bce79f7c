// The memory planning stage; see plan_memory.h.
#include "passes/plan_memory.h"

#include <algorithm>
#include <iterator>
#include <map>

#include "ir/error.h"
#include "ir/printer.h"

namespace minigrad::passes {
namespace {

struct Live {
  size_t def = 0, last = 0;
};

std::vector<Live> live_ranges(const ir::Function& f) {
  std::vector<Live> live(static_cast<size_t>(f.num_values()));
  for (size_t i = 0; i < f.size(); ++i) {
    for (ir::ValueId r : f.node(i).results) live[static_cast<size_t>(r)] = {i, i};
    for (ir::ValueId v : f.node(i).operands) live[static_cast<size_t>(v)].last = i;
  }
  return live;
}

// Whether the plan is surely sound, by one sweep in order of definition: the values
// live at one node must hold disjoint bytes, and a set of intervals is disjoint
// exactly when each one is disjoint from its neighbours in order of offset, so each
// value is checked against its two neighbours among the live ones when it is
// defined (the set only shrinks otherwise). A result in place of its dying operand
// (same offset, no more bytes) takes the operand's place. Anything else that
// overlaps, or passes the arena's end, answers false: the pairwise check then says
// which values, as before.
bool surely_sound(const ir::Function& f, const MemoryPlan& plan, const std::vector<Live>& live) {
  auto bytes = [&](ir::ValueId v) { return static_cast<int64_t>(f.type(v).bytes()); };
  std::vector<ir::ValueId> order;
  for (ir::ValueId v = 0; v < f.num_values(); ++v)
    if (plan.offset[size_t(v)] >= 0 && bytes(v) > 0) order.push_back(v);
  std::stable_sort(order.begin(), order.end(), [&](ir::ValueId a, ir::ValueId b) { return live[size_t(a)].def < live[size_t(b)].def; });
  std::map<int64_t, ir::ValueId> active;                   // by offset
  std::multimap<size_t, ir::ValueId> by_last;              // the same values by last use
  bool reuses = plan.reuses.size() == plan.offset.size();
  for (ir::ValueId b : order) {
    int64_t ob = plan.offset[size_t(b)];
    if (ob + bytes(b) > plan.arena_bytes) return false;
    size_t at = live[size_t(b)].def;
    while (!by_last.empty() && by_last.begin()->first < at) {
      active.erase(plan.offset[size_t(by_last.begin()->second)]);
      by_last.erase(by_last.begin());
    }
    auto same = active.find(ob);
    if (same != active.end()) {
      ir::ValueId a = same->second;
      if (!reuses || plan.reuses[size_t(b)] != a || bytes(b) > bytes(a)) return false;
      for (auto it = by_last.lower_bound(live[size_t(a)].last); it != by_last.end(); ++it)
        if (it->second == a) {
          by_last.erase(it);
          break;
        }
      active.erase(same);
    }
    auto next = active.lower_bound(ob);
    if (next != active.end() && next->first < ob + bytes(b)) return false;
    if (next != active.begin()) {
      auto prev = std::prev(next);
      if (prev->first + bytes(prev->second) > ob) return false;
    }
    active.emplace(ob, b);
    by_last.emplace(live[size_t(b)].last, b);
  }
  return true;
}

}  // namespace

void check_plan(const ir::Function& f, const MemoryPlan& plan) {
  std::vector<Live> live = live_ranges(f);
  if (surely_sound(f, plan, live)) return;
  std::vector<int> num = ir::number_values(f);
  std::vector<ir::ValueId> planned;
  for (ir::ValueId v = 0; v < f.num_values(); ++v)
    if (plan.offset[static_cast<size_t>(v)] >= 0) planned.push_back(v);
  auto bytes = [&](ir::ValueId v) { return static_cast<int64_t>(f.type(v).bytes()); };
  for (size_t i = 0; i < planned.size(); ++i) {
    ir::ValueId a = planned[i];
    int64_t oa = plan.offset[static_cast<size_t>(a)];
    if (oa + bytes(a) > plan.arena_bytes)
      fail("@{}: memory plan: %{} ends at byte {}, past the arena's {}", f.name(), num[size_t(a)], oa + bytes(a),
           plan.arena_bytes);
    for (size_t j = i + 1; j < planned.size(); ++j) {
      ir::ValueId b = planned[j];
      int64_t ob = plan.offset[static_cast<size_t>(b)];
      const Live &la = live[size_t(a)], &lb = live[size_t(b)];
      // A result that took a dying operand's bytes in place shares its node with it.
      bool in_place = plan.reuses.size() == plan.offset.size() &&
                      (plan.reuses[size_t(b)] == a || plan.reuses[size_t(a)] == b);
      bool together = la.def <= lb.last && lb.def <= la.last && !in_place;
      bool overlap = oa < ob + bytes(b) && ob < oa + bytes(a);
      if (together && overlap)
        fail("@{}: memory plan: %{} and %{} are live at once but share bytes", f.name(), num[size_t(a)], num[size_t(b)]);
    }
  }
}

std::string describe_plan(const ir::Function& f, const MemoryPlan& plan, bool values) {
  size_t count = 0;
  for (int64_t o : plan.offset) count += o >= 0;
  double share = plan.unplanned_bytes > 0 ? 100.0 * static_cast<double>(plan.arena_bytes) / static_cast<double>(plan.unplanned_bytes) : 0;
  std::string s = fmt::format("// @{}: planned peak {} bytes, unplanned sum {} bytes ({} values; the plan needs {:.1f}%)\n",
                              f.name(), plan.arena_bytes, plan.unplanned_bytes, count, share);
  if (!values) return s;
  std::vector<Live> live = live_ranges(f);
  std::vector<int> num = ir::number_values(f);
  s += fmt::format("//   {:<7} {:<16} {:>10} {:>10}  live (nodes)\n", "value", "type", "offset", "bytes");
  for (ir::ValueId v = 0; v < f.num_values(); ++v) {
    int64_t o = plan.offset[static_cast<size_t>(v)];
    if (o < 0) continue;
    ir::ValueId r = plan.reuses.empty() ? -1 : plan.reuses[static_cast<size_t>(v)];
    s += fmt::format("//   %{:<6} {:<16} {:>10} {:>10}  {}..{}{}\n", num[size_t(v)], ir::to_string(f.type(v)), o,
                     f.type(v).bytes(), live[size_t(v)].def, live[size_t(v)].last,
                     r >= 0 ? fmt::format("  (in place of %{})", num[size_t(r)]) : "");
  }
  return s;
}

std::string describe_plans(const ir::Function& f) {
  MemoryPlan in_place = plan_memory(f, {.in_place = true});
  std::string s = describe_plan(f, plan_memory(f));
  return s + fmt::format("// @{}: with elementwise results in place of dying operands (PlanOptions::in_place): "
                         "planned peak {} bytes\n", f.name(), in_place.arena_bytes);
}

bool PlanMemory::run(ir::Module& m) {
  for (const ir::Function& f : m.funcs) {
    MemoryPlan plan = plan_memory(f);
    check_plan(f, plan);
    check_plan(f, plan_memory(f, {.in_place = true}));
    std::string summary = describe_plan(f, plan, false);
    note("{}", summary.substr(3, summary.size() - 4));  // without "// " and the newline
  }
  return false;
}

std::string PlanMemory::print(const ir::Module& m, const ir::PrintOptions& opts) const {
  std::string s = ir::print(m, opts);
  for (const ir::Function& f : m.funcs) s += describe_plans(f);
  return s;
}

}  // namespace minigrad::passes
