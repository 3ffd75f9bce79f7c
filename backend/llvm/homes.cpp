// Homes of values; see homes.h.
#include "backend/llvm/homes.h"

namespace minigrad::jit {
namespace {

using ir::Op;

int64_t aligned(int64_t bytes) { return (bytes + 63) / 64 * 64; }

struct Uses {
  std::vector<std::vector<std::pair<size_t, size_t>>> of;  // per value: (node index, operand position)
  std::vector<size_t> def;                                 // per value: index of its node
};

Uses uses_of(const ir::Function& f) {
  Uses u;
  u.of.resize(size_t(f.num_values()));
  u.def.assign(size_t(f.num_values()), 0);
  for (size_t i = 0; i < f.size(); ++i) {
    const ir::Node& n = f.node(i);
    for (size_t j = 0; j < n.operands.size(); ++j) u.of[size_t(n.operands[j])].push_back({i, j});
    for (ir::ValueId r : n.results) u.def[size_t(r)] = i;
  }
  return u;
}

bool is_source(const ir::Node& n) { return n.info().has(ir::kSource); }

}  // namespace

Homes assign_homes(const ir::Function& f, bool top_level, InPlaceTest in_place) {
  Homes h;
  passes::MemoryPlan plan = passes::plan_memory(f);
  h.of.resize(size_t(f.num_values()));
  h.sink_done.assign(f.size(), false);
  h.values_bytes = plan.arena_bytes;
  Uses uses = uses_of(f);
  std::map<std::string, size_t> state_index;
  std::map<std::string, std::vector<ir::ValueId>> loads;  // state name -> its loads
  auto state = [&](const std::string& name) {
    auto it = state_index.find(name);
    if (it != state_index.end()) return it->second;
    h.states.push_back(name);
    return state_index[name] = h.states.size() - 1;
  };
  size_t inputs = 0, outputs = 0;
  std::vector<size_t> output_pos(f.size(), 0);
  for (size_t i = 0; i < f.size(); ++i) {
    const ir::Node& n = f.node(i);
    if (n.op == Op::Input) h.of[size_t(n.result())] = {Home::Kind::Input, inputs++, 0};
    else if (n.op == Op::LoadState) {
      h.of[size_t(n.result())] = {Home::Kind::State, state(n.attrs.s("name")), 0};
      loads[n.attrs.s("name")].push_back(n.result());
    } else if (n.op == Op::Constant) h.of[size_t(n.result())] = {Home::Kind::Constant, 0, 0};
    else if (n.op == Op::Output) output_pos[i] = outputs++;
    else if (n.op == Op::StoreState) state(n.attrs.s("name"));
    else
      for (ir::ValueId r : n.results) h.of[size_t(r)] = {Home::Kind::Arena, 0, plan.offset[size_t(r)]};
  }
  if (top_level) {
    // Stores written in place by the node that computes the value.
    for (size_t s = 0; s < f.size(); ++s) {
      const ir::Node& n = f.node(s);
      if (n.op != Op::StoreState) continue;
      ir::ValueId v = n.operands[0];
      size_t p = uses.def[size_t(v)];
      const ir::Node& producer = f.node(p);
      if (is_source(producer) || h.of[size_t(v)].kind != Home::Kind::Arena) continue;
      bool safe = true;
      for (ir::ValueId l : loads[n.attrs.s("name")])
        for (auto [at, operand] : uses.of[size_t(l)])
          if (at > p || (at == p && !in_place(f, producer, operand))) safe = false;
      if (!safe) continue;
      h.of[size_t(v)] = {Home::Kind::State, state(n.attrs.s("name")), 0};
      h.sink_done[s] = true;
    }
  }
  // Outputs written straight into the caller's buffer.
  for (size_t o = 0; o < f.size(); ++o) {
    const ir::Node& n = f.node(o);
    if (n.op != Op::Output) continue;
    ir::ValueId v = n.operands[0];
    if (is_source(f.node(uses.def[size_t(v)])) || h.of[size_t(v)].kind != Home::Kind::Arena) continue;
    h.of[size_t(v)] = {Home::Kind::Output, output_pos[o], 0};
    h.sink_done[o] = true;
  }
  // Snapshots of loads still used after their state's copying store.
  for (size_t s = 0; s < f.size(); ++s) {
    const ir::Node& n = f.node(s);
    if (n.op != Op::StoreState || h.sink_done[s]) continue;
    for (ir::ValueId l : loads[n.attrs.s("name")]) {
      bool late = false;
      for (auto [at, operand] : uses.of[size_t(l)]) late = late || at > s;
      if (!late) continue;
      int64_t off = h.values_bytes;
      h.values_bytes += aligned(int64_t(f.type(l).bytes()));
      h.snapshots.push_back({h.of[size_t(l)].index, off});
      h.of[size_t(l)] = {Home::Kind::Arena, 0, off};
    }
  }
  h.values_bytes = aligned(h.values_bytes);
  return h;
}

}  // namespace minigrad::jit
