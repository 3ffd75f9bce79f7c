// Checks and rewrites of a function before code generation; see prepare.h.
#include "backend/llvm/prepare.h"

#include <cmath>
#include <set>
#include <string>

#include "ir/error.h"
#include "ir/printer.h"

namespace minigrad::jit {

using ir::Op;

void check_constants(const ir::Function& f) {
  for (size_t i = 0; i < f.size(); ++i) {
    const ir::Node& n = f.node(i);
    if (n.op == Op::Constant && f.type(n.result()).dtype == ir::DType::I32) {
      double t = std::trunc(n.attrs.f("value"));
      if (!(t >= -2147483648.0 && t <= 2147483647.0))
        fail("{} at {}: {} does not fit in i32", ir::op_name(n.op), ir::to_string(n.locs), n.attrs.f("value"));
    }
    if (n.op == Op::Fused) check_constants(*n.body);
  }
}

// Whether f loads a state after storing it (legal: every load sees the state as
// it was on entry).
bool loads_after_store(const ir::Function& f) {
  std::set<std::string> stored;
  for (size_t i = 0; i < f.size(); ++i) {
    const ir::Node& n = f.node(i);
    if (n.op == Op::StoreState) stored.insert(n.attrs.s("name"));
    if (n.op == Op::LoadState && stored.count(n.attrs.s("name"))) return true;
  }
  return false;
}

// f with every load_state moved to the front, which changes nothing (loads see
// the state on entry) and lets memory planning place the stores.
ir::Function hoist_loads(const ir::Function& f) {
  ir::Function out = f;
  std::vector<size_t> loads;
  for (size_t i = 0; i < out.size(); ++i)
    if (out.node(i).op == Op::LoadState) loads.push_back(i);
  for (size_t k = 0; k < loads.size(); ++k) {
    const ir::Node& old = out.node(loads[k] + k);  // k copies now precede it
    ir::Attrs attrs = old.attrs;
    ir::Locs locs = old.locs;
    ir::ValueId from = old.result();
    ir::ValueId v = out.insert(k, Op::LoadState, {}, attrs, locs, {out.type(from)}).result();
    out.replace_all_uses(from, v);
  }
  std::vector<bool> keep(out.size(), true);
  for (size_t i = loads.size(); i < out.size(); ++i) keep[i] = out.node(i).op != Op::LoadState;
  out.remove_nodes(keep);
  return out;
}

}  // namespace minigrad::jit
