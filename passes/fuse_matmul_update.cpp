// Optimiser update in the weight gradient's GEMM; see fuse_matmul_update.h.
#include "passes/fuse_matmul_update.h"

#include <algorithm>
#include <set>

#include "passes/fusion.h"

namespace minigrad::passes {
namespace {

class UpdateInGemm {
 public:
  UpdateInGemm(ir::Function& f, std::vector<std::string>& notes)
      : f_(f), defs_(def_index(f)), uses_(users(f)), stores_(stores_by_param(f)), part_(f), claimed_(f.size(), false), notes_(notes) {}

  // The group of parameter `p` (its gradient's matmul first), or nothing, with a
  // note saying why.
  std::optional<FusionGroup> group(const std::string& p, const ir::Shape& shape) {
    std::vector<size_t> cone = update_cone(f_, defs_, stores_[p], shape, claimed_);
    std::set<size_t> in_cone(cone.begin(), cone.end());
    std::optional<size_t> mm = gradient_matmul(p, cone, in_cone, shape);
    if (!mm || !fits(p, *mm, cone, in_cone)) return std::nullopt;
    std::vector<size_t> members{*mm};
    members.insert(members.end(), cone.begin(), cone.end());  // the matmul first: nothing in the cone feeds it
    // One search for the group; only a refusal retries node by node, to name the
    // node that closes the cycle (the same answer: Partition::merge_all).
    if (!part_.merge_all(members)) {
      Partition trial = part_;
      for (size_t i : cone)
        if (!trial.merge(*mm, i)) {
          decline(p, fmt::format("the fused node would depend on itself through {}", describe(f_, f_.node(i))));
          break;
        }
      return std::nullopt;
    }
    for (size_t i : members) claimed_[i] = true;
    const ir::Node& m = f_.node(*mm);
    return FusionGroup{members, ir::FusedKind::MatmulUpdate, {m.operands[0], m.operands[1]}, {}};
  }

 private:
  void decline(const std::string& p, const std::string& why) { notes_.push_back(fmt::format("'{}': {}", p, why)); }

  // The one matmul of the parameter's shape whose result the update reads.
  std::optional<size_t> gradient_matmul(const std::string& p, const std::vector<size_t>& cone,
                                        const std::set<size_t>& in_cone, const ir::Shape& shape) {
    if (cone.empty()) {
      decline(p, "no elementwise update of its shape");
      return std::nullopt;
    }
    std::set<size_t> found;
    for (size_t i : cone)
      for (ir::ValueId v : f_.node(i).operands) {
        int d = defs_[static_cast<size_t>(v)];
        if (d < 0 || in_cone.count(static_cast<size_t>(d))) continue;
        const ir::Node& n = f_.node(static_cast<size_t>(d));
        if (n.op == ir::Op::Matmul && f_.type(n.result()).shape == shape && !claimed_[static_cast<size_t>(d)])
          found.insert(static_cast<size_t>(d));
      }
    if (found.size() != 1) {
      decline(p, found.empty() ? "its update reads no matmul of its shape (its gradient is not one GEMM, or a node "
                                 "sits between the GEMM and the update)"
                               : "its update reads several matmuls");
      return std::nullopt;
    }
    return *found.begin();
  }

  // Nothing but the update reads the gradient (no node between the GEMM and the
  // update, no second use); the update neither reads nor computes the matmul's
  // operands (the kernel reads those in its product loop only); and what the
  // update computes is read by store_states and the update alone.
  bool fits(const std::string& p, size_t mm, const std::vector<size_t>& cone, const std::set<size_t>& in_cone) {
    const ir::Node& m = f_.node(mm);
    for (size_t u : uses_[static_cast<size_t>(m.result())])
      if (!in_cone.count(u)) {
        decline(p, fmt::format("its gradient {} is also used by {}", describe(f_, m), describe(f_, f_.node(u))));
        return false;
      }
    if (m.operands[0] == m.operands[1]) {
      decline(p, fmt::format("{}: its operands are one value", describe(f_, m)));
      return false;
    }
    for (size_t i : cone) {
      const ir::Node& n = f_.node(i);
      for (ir::ValueId o : m.operands)
        if (std::find(n.operands.begin(), n.operands.end(), o) != n.operands.end() ||
            defs_[static_cast<size_t>(o)] == static_cast<int>(i)) {
          decline(p, fmt::format("{} reads or computes an operand of {}", describe(f_, n), describe(f_, m)));
          return false;
        }
      for (size_t u : uses_[static_cast<size_t>(n.result())])
        if (!in_cone.count(u) && f_.node(u).op != ir::Op::StoreState) {
          decline(p, fmt::format("{} is also used by {}", describe(f_, n), describe(f_, f_.node(u))));
          return false;
        }
    }
    return true;
  }

  ir::Function& f_;
  std::vector<int> defs_;
  std::vector<std::vector<size_t>> uses_;
  std::map<std::string, std::vector<size_t>> stores_;
  Partition part_;
  std::vector<bool> claimed_;
  std::vector<std::string>& notes_;
};

}  // namespace

bool FuseMatmulUpdate::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs) {
    std::vector<std::string> notes;
    std::vector<FusionGroup> groups;
    UpdateInGemm fuser(f, notes);
    for (const ir::StateDecl* s : updated_params(m, f)) {
      if (std::optional<FusionGroup> g = fuser.group(s->name, s->type.shape)) {
        note("@{}: fused the update of '{}' into {}: {} nodes", f.name(), s->name, describe(f, f.node(g->members[0])),
             g->members.size());
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
