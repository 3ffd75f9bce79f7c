// Batch norm + activation fusion, forward and backward; see fuse_bn_leaky_relu.h.
#include "passes/fuse_bn_leaky_relu.h"

#include <algorithm>
#include <optional>

#include "passes/fusion.h"

namespace minigrad::passes {
namespace {

using ir::Op;
using ir::ValueId;

bool is_activation(const ir::Node& n) { return n.op == Op::Relu || n.op == Op::LeakyRelu; }

class BnFuser {
 public:
  BnFuser(ir::Function& f, std::vector<std::string>& notes) : f_(f), notes_(notes) {}

  // Sign tests redirected to the activation (a change even if nothing fuses).
  int redirected = 0;

  std::vector<FusionGroup> run() {
    redirect_sign_tests();
    defs_ = def_index(f_);
    uses_ = users(f_);
    Partition part(f_);
    std::vector<FusionGroup> groups;
    for (size_t i = 0; i < f_.size(); ++i) {
      std::optional<FusionGroup> g;
      const ir::Node& n = f_.node(i);
      bool bn = n.op == Op::BatchNormTrain || n.op == Op::BatchNormGrad;
      if (bn && f_.type(n.operands[n.op == Op::BatchNormGrad ? 1 : 0]).shape.rank() != 2) {
        decline(n, "images ([N, C, H, W]): the bn_act kernels walk [N, F] only");
        continue;
      }
      if (n.op == Op::BatchNormTrain) g = forward(i);
      if (n.op == Op::BatchNormGrad) g = backward(i);
      if (g && merge_all(part, *g)) groups.push_back(std::move(*g));
    }
    return groups;
  }

 private:
  const ir::Node* def(ValueId v) const { return f_.value(v).def; }
  bool is_op(ValueId v, Op op) const { return def(v) != nullptr && def(v)->op == op; }
  bool is_const(ValueId v, double c) const { return is_op(v, Op::Constant) && def(v)->attrs.f("value") == c; }
  size_t uses(ValueId v) const { return uses_[static_cast<size_t>(v)].size(); }
  size_t index(const ir::Node* n) const { return static_cast<size_t>(defs_[static_cast<size_t>(n->result())]); }

  void decline(const ir::Node& n, const std::string& why) { notes_.push_back(describe(f_, n) + ": " + why); }

  // [y > 0] -> [act(y) > 0] for the y of every batch_norm_train followed by relu or
  // leaky_relu (slope >= 0): both hold exactly when y > 0.
  void redirect_sign_tests() {
    std::vector<std::vector<size_t>> u = users(f_);
    for (size_t i = 0; i < f_.size(); ++i) {
      const ir::Node& bn = f_.node(i);
      if (bn.op != Op::BatchNormTrain) continue;
      const std::vector<size_t>& yu = u[static_cast<size_t>(bn.result(0))];
      auto act = std::find_if(yu.begin(), yu.end(), [&](size_t k) { return is_activation(f_.node(k)); });
      if (act == yu.end()) continue;
      for (size_t k : yu) {
        ir::Node& c = f_.node(k);
        if (k > *act && c.op == Op::Cmp && c.attrs.s("pred") == "gt" && c.operands[0] == bn.result(0) &&
            def(c.operands[1]) != nullptr && def(c.operands[1])->op == Op::Constant &&
            def(c.operands[1])->attrs.f("value") == 0)
          c.operands[0] = f_.node(*act).result(), ++redirected;
      }
    }
  }

  std::optional<FusionGroup> forward(size_t b) {
    const ir::Node& bn = f_.node(b);
    const std::vector<size_t>& yu = uses_[static_cast<size_t>(bn.result(0))];
    if (yu.size() != 1 || !is_activation(f_.node(yu[0]))) {
      auto other = std::find_if(yu.begin(), yu.end(), [&](size_t k) { return !is_activation(f_.node(k)); });
      decline(bn, other == yu.end() ? "the normalised value does not feed exactly one relu or leaky_relu"
                                    : fmt::format("the normalised value is used by {}, not only by relu or leaky_relu",
                                                  describe(f_, f_.node(*other))));
      return std::nullopt;
    }
    const ir::Node& act = f_.node(yu[0]);
    std::vector<ValueId> in = bn.operands;
    if (!distinct(in)) return decline(bn, "two of its operands are one value"), std::nullopt;
    return FusionGroup{{b, yu[0]}, ir::FusedKind::BnAct, in, {act.result(), bn.result(1), bn.result(2)}};
  }

  std::optional<FusionGroup> backward(size_t g) {
    const ir::Node& bg = f_.node(g);
    ValueId dy = bg.operands[0];
    if (uses(dy) != 1) return decline(bg, "its dy has other uses"), std::nullopt;
    std::vector<size_t> members;
    std::optional<std::pair<ValueId, ValueId>> ga = leaky_backward(dy, members);
    if (!ga) ga = relu_backward(dy, members);
    if (!ga) return decline(bg, "its dy is not the backward of relu or leaky_relu"), std::nullopt;
    members.push_back(g);
    std::sort(members.begin(), members.end());
    std::vector<ValueId> in{ga->first, ga->second, bg.operands[1], bg.operands[2], bg.operands[3], bg.operands[4]};
    if (!distinct(in)) return decline(bg, "two of its inputs are one value"), std::nullopt;
    return FusionGroup{members, ir::FusedKind::BnActGrad, in, bg.results};
  }

  // c = [a > 0] used once, by `user`; gives a, or -1.
  ValueId sign_test(ValueId c) const {
    if (!is_op(c, Op::Cmp) || uses(c) != 1) return -1;
    const ir::Node& n = *def(c);
    if (n.attrs.s("pred") != "gt" || !is_const(n.operands[1], 0)) return -1;
    return n.operands[0];
  }

  // dy = select([a > 0], g, g * slope): gives (g, a) and the nodes.
  std::optional<std::pair<ValueId, ValueId>> leaky_backward(ValueId dy, std::vector<size_t>& members) const {
    if (!is_op(dy, Op::Select)) return std::nullopt;
    const ir::Node& sel = *def(dy);
    ValueId g = sel.operands[1], gs = sel.operands[2], a = sign_test(sel.operands[0]);
    if (a < 0 || !is_op(gs, Op::Mul) || uses(gs) != 1) return std::nullopt;
    const ir::Node& mul = *def(gs);
    bool slope_second = mul.operands[0] == g && is_op(mul.operands[1], Op::Constant);
    bool slope_first = mul.operands[1] == g && is_op(mul.operands[0], Op::Constant);
    if (!slope_second && !slope_first) return std::nullopt;
    if (f_.type(g) != f_.type(dy) || f_.type(a) != f_.type(dy)) return std::nullopt;
    members = {index(def(sel.operands[0])), index(&mul), index(&sel)};
    return std::make_pair(g, a);
  }

  // dy = g * [a > 0] (either order): gives (g, a) and the nodes.
  std::optional<std::pair<ValueId, ValueId>> relu_backward(ValueId dy, std::vector<size_t>& members) const {
    if (!is_op(dy, Op::Mul)) return std::nullopt;
    const ir::Node& mul = *def(dy);
    for (int k = 0; k < 2; ++k) {
      ValueId g = mul.operands[static_cast<size_t>(1 - k)], a = sign_test(mul.operands[static_cast<size_t>(k)]);
      if (a < 0 || f_.type(g) != f_.type(dy) || f_.type(a) != f_.type(dy)) continue;
      members = {index(def(mul.operands[static_cast<size_t>(k)])), index(&mul)};
      return std::make_pair(g, a);
    }
    return std::nullopt;
  }

  static bool distinct(std::vector<ValueId> v) {
    std::sort(v.begin(), v.end());
    return std::adjacent_find(v.begin(), v.end()) == v.end();
  }

  bool merge_all(Partition& part, const FusionGroup& g) {
    part.begin_trial();
    for (size_t i : g.members)
      if (!part.merge(g.members[0], i)) {
        part.rollback();
        decline(f_.node(g.members.back()), "the fused node would depend on itself");
        return false;
      }
    part.commit();
    return true;
  }

  ir::Function& f_;
  std::vector<std::string>& notes_;
  std::vector<int> defs_;
  std::vector<std::vector<size_t>> uses_;
};

}  // namespace

bool FuseBnLeakyRelu::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs) {
    std::vector<std::string> notes;
    BnFuser fuser(f, notes);
    std::vector<FusionGroup> groups = fuser.run();
    for (const std::string& s : notes) note("@{}: not fused: {}", f.name(), s);
    for (const FusionGroup& g : groups) note("@{}: fused {} ({} nodes)", f.name(), ir::fused_kind_name(g.kind), g.members.size());
    changed = changed || fuser.redirected > 0;
    if (groups.empty()) continue;
    fuse_groups(f, groups);
    changed = true;
  }
  return changed;
}

}  // namespace minigrad::passes
