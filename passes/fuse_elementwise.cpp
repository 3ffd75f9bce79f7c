// Elementwise fusion; see fuse_elementwise.h.
#include "passes/fuse_elementwise.h"

#include "passes/fusion.h"

namespace minigrad::passes {
namespace {

std::string ops_of(const ir::Function& f, const std::vector<size_t>& nodes) {
  std::string s;
  for (size_t i : nodes) {
    if (!s.empty()) s += ' ';
    s += f.node(i).info().name;
  }
  return s;
}

}  // namespace

bool FuseElementwise::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs) {
    Partition part(f);
    std::vector<int> defs = def_index(f);
    for (size_t i = 0; i < f.size(); ++i) {
      const ir::Node& n = f.node(i);
      if (!is_loop_node(f, n)) continue;
      for (ir::ValueId v : n.operands) {
        int d = defs[static_cast<size_t>(v)];
        if (d < 0 || part.together(static_cast<size_t>(d), i)) continue;
        const ir::Node& p = f.node(static_cast<size_t>(d));
        if (!is_loop_node(f, p)) continue;
        if (f.type(p.result()).shape != f.type(n.result()).shape) {
          note("@{}: {} stays out of the loop of {}: shapes differ", f.name(), describe(f, p), describe(f, n));
          continue;
        }
        if (!part.merge(static_cast<size_t>(d), i))
          note("@{}: {} and {} stay apart: one fused node would depend on the other through a third",
               f.name(), describe(f, p), describe(f, n));
      }
    }
    std::vector<FusionGroup> groups;
    for (std::vector<size_t>& g : part.groups(2)) {
      note("@{}: fused {} nodes over {}: {}", f.name(), g.size(), ir::to_string(f.type(f.node(g[0]).result()).shape),
           ops_of(f, g));
      groups.push_back({std::move(g), ir::FusedKind::Elementwise, {}, {}});
    }
    if (groups.empty()) continue;
    fuse_groups(f, groups);
    changed = true;
  }
  return changed;
}

}  // namespace minigrad::passes
