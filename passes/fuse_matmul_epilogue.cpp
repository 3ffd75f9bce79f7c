// Matmul epilogue fusion; see fuse_matmul_epilogue.h.
#include "passes/fuse_matmul_epilogue.h"

#include <algorithm>

#include "passes/fusion.h"

namespace minigrad::passes {
namespace {

class EpilogueFuser {
 public:
  EpilogueFuser(ir::Function& f, std::vector<std::string>& notes)
      : f_(f), part_(f), defs_(def_index(f)), uses_(users(f)), claimed_(f.size(), false), updates_(state_updates()),
        notes_(notes) {}

  std::vector<FusionGroup> run() {
    std::vector<FusionGroup> groups;
    for (size_t i = 0; i < f_.size(); ++i)
      if (f_.node(i).op == ir::Op::Matmul) grow(i, groups);
    return groups;
  }

 private:
  void grow(size_t mm, std::vector<FusionGroup>& groups) {
    const ir::Node& m = f_.node(mm);
    if (m.operands[0] == m.operands[1]) {
      notes_.push_back(fmt::format("{}: its operands are one value", describe(f_, m)));
      return;
    }
    const ir::Shape& s = f_.type(m.result()).shape;
    std::vector<size_t> members{mm};
    for (size_t i = mm + 1; i < f_.size(); ++i) {
      const ir::Node& n = f_.node(i);
      if (claimed_[i] || !is_loop_node(f_, n) || f_.type(n.result()).shape != s || !uses_group(n, mm)) continue;
      if (updates_[i]) {
        notes_.push_back(fmt::format("{} stays out of {}: it computes a state update (a loop of its own)",
                                     describe(f_, n), describe(f_, m)));
        continue;
      }
      if (std::find(n.operands.begin(), n.operands.end(), m.operands[0]) != n.operands.end() ||
          std::find(n.operands.begin(), n.operands.end(), m.operands[1]) != n.operands.end()) {
        notes_.push_back(fmt::format("{} stays out of {}: it reads an operand of the matmul", describe(f_, n),
                                     describe(f_, m)));
        continue;
      }
      if (!part_.merge(mm, i)) {
        notes_.push_back(fmt::format("{} stays out of {}: the fused node would depend on itself", describe(f_, n),
                                     describe(f_, m)));
        continue;
      }
      members.push_back(i);
    }
    add_feeders(mm, members);
    if (members.size() < 2) {
      notes_.push_back(fmt::format("{}: {}", describe(f_, m), why_alone(m)));
      return;
    }
    for (size_t i : members) claimed_[i] = true;
    std::sort(members.begin() + 1, members.end());  // the matmul first: nothing in the group feeds it
    groups.push_back({members, ir::FusedKind::Matmul, {m.operands[0], m.operands[1]}, {}});
  }

  // Elementwise nodes of the product's shape whose every use is in the group (a
  // sign test the activation's backward reads): computed inside the loop instead
  // of stored. Not the matmul's own operands: the kernel reads those in its product.
  void add_feeders(size_t mm, std::vector<size_t>& members) {
    const ir::Node& m = f_.node(mm);
    const ir::Shape& s = f_.type(m.result()).shape;
    for (size_t k = 1; k < members.size(); ++k)
      for (ir::ValueId v : f_.node(members[k]).operands) {
        int d = defs_[static_cast<size_t>(v)];
        if (d < 0 || claimed_[static_cast<size_t>(d)] || part_.together(static_cast<size_t>(d), mm)) continue;
        const ir::Node& n = f_.node(static_cast<size_t>(d));
        if (!is_loop_node(f_, n) || f_.type(n.result()).shape != s || v == m.operands[0] || v == m.operands[1]) continue;
        bool only_group = true;
        for (size_t u : uses_[static_cast<size_t>(v)]) only_group = only_group && part_.together(u, mm);
        if (only_group && part_.merge(mm, static_cast<size_t>(d))) members.push_back(static_cast<size_t>(d));
      }
  }

  // Nodes that lead to a store_state through elementwise nodes alone: a state
  // update (an optimiser step over a weight gradient, with its moments), which
  // is one elementwise loop of its own, not the epilogue of the gradient's matmul.
  std::vector<bool> state_updates() const {
    std::vector<bool> upd(f_.size(), false);
    for (size_t i = f_.size(); i-- > 0;) {
      if (!is_loop_node(f_, f_.node(i))) continue;
      for (size_t u : uses_[static_cast<size_t>(f_.node(i).result())])
        upd[i] = upd[i] || f_.node(u).op == ir::Op::StoreState || upd[u];
    }
    return upd;
  }

  // Why a matmul got no epilogue: its consumers are fused already, or none is an
  // elementwise node of its shape.
  std::string why_alone(const ir::Node& m) const {
    for (size_t u : uses_[static_cast<size_t>(m.result())])
      if (f_.node(u).op == ir::Op::Fused)
        return fmt::format("its product feeds {}, fused already", describe(f_, f_.node(u)));
    return "no elementwise consumer of its shape to fuse";
  }

  bool uses_group(const ir::Node& n, size_t mm) const {
    for (ir::ValueId v : n.operands) {
      int d = defs_[static_cast<size_t>(v)];
      if (d >= 0 && part_.together(static_cast<size_t>(d), mm)) return true;
    }
    return false;
  }

  ir::Function& f_;
  Partition part_;
  std::vector<int> defs_;
  std::vector<std::vector<size_t>> uses_;
  std::vector<bool> claimed_;
  std::vector<bool> updates_;  // per node: part of a state update
  std::vector<std::string>& notes_;
};

}  // namespace

bool FuseMatmulEpilogue::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs) {
    std::vector<std::string> notes;
    std::vector<FusionGroup> groups = EpilogueFuser(f, notes).run();
    for (const std::string& s : notes) note("@{}: not fused: {}", f.name(), s);
    for (const FusionGroup& g : groups)
      note("@{}: fused {} with {} epilogue node(s)", f.name(), describe(f, f.node(g.members[0])), g.members.size() - 1);
    if (groups.empty()) continue;
    fuse_groups(f, groups);
    changed = true;
  }
  return changed;
}

}  // namespace minigrad::passes
