// Optimiser-update fusion; see fuse_optimizer.h.
#include "passes/fuse_optimizer.h"

#include "passes/fusion.h"

namespace minigrad::passes {
namespace {

class UpdateFuser {
 public:
  UpdateFuser(ir::Function& f, std::vector<std::string>& notes)
      : f_(f), defs_(def_index(f)), stores_(stores_by_param(f)), part_(f), claimed_(f.size(), false), notes_(notes) {}

  // The group of parameter `p`, or nothing (with a note saying why).
  std::optional<FusionGroup> group(const std::string& p, const ir::Shape& shape) {
    std::vector<size_t> members = update_cone(f_, defs_, stores_[p], shape, claimed_);
    if (members.size() < 2) {
      notes_.push_back(fmt::format("'{}': {} elementwise node(s) of its shape in its update", p, members.size()));
      return std::nullopt;
    }
    // One search for the whole cone; only a refusal retries node by node, to name
    // the node that closes the cycle (the same answer: Partition::merge_all).
    if (!part_.merge_all(members)) {
      Partition trial = part_;
      size_t i = 1;
      while (i + 1 < members.size() && trial.merge(members[0], members[i])) ++i;
      notes_.push_back(fmt::format("'{}': its update would depend on itself through {}", p,
                                   describe(f_, f_.node(members[i]))));
      return std::nullopt;
    }
    for (size_t i : members) claimed_[i] = true;
    return FusionGroup{members, ir::FusedKind::Elementwise, {}, {}};
  }

 private:
  ir::Function& f_;
  std::vector<int> defs_;
  std::map<std::string, std::vector<size_t>> stores_;
  Partition part_;
  std::vector<bool> claimed_;
  std::vector<std::string>& notes_;
};

}  // namespace

bool FuseOptimizer::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs) {
    std::vector<std::string> notes;
    std::vector<FusionGroup> groups;
    UpdateFuser fuser(f, notes);
    for (const ir::StateDecl* s : updated_params(m, f)) {
      if (std::optional<FusionGroup> g = fuser.group(s->name, s->type.shape)) {
        note("@{}: fused the update of '{}': {} nodes", f.name(), s->name, g->members.size());
        groups.push_back(std::move(*g));
      }
    }
    for (const std::string& s : notes) note("@{}: not fused: {}", f.name(), s);
    if (groups.empty()) continue;
    fuse_groups(f, groups);
    changed = true;
  }
  return changed;
}

}  // namespace minigrad::passes
