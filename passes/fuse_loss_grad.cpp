// Softmax cross-entropy backward as one row-wise kernel; see fuse_loss_grad.h.
#include "passes/fuse_loss_grad.h"

#include <algorithm>
#include <optional>

#include "passes/fusion.h"

namespace minigrad::passes {
namespace {

using ir::Op;
using ir::ValueId;

class LossGradFuser {
 public:
  LossGradFuser(ir::Function& f, std::vector<std::string>& notes)
      : f_(f), notes_(notes), defs_(def_index(f)), uses_(users(f)), part_(f) {}

  std::vector<FusionGroup> run() {
    std::vector<FusionGroup> groups;
    for (size_t i = 0; i < f_.size(); ++i)
      if (f_.node(i).op == Op::Softmax)
        if (std::optional<FusionGroup> g = match(i)) groups.push_back(std::move(*g));
    return groups;
  }

 private:
  const ir::Node& node_of(ValueId v) const { return f_.node(static_cast<size_t>(defs_[static_cast<size_t>(v)])); }
  size_t index_of(ValueId v) const { return static_cast<size_t>(defs_[static_cast<size_t>(v)]); }
  const std::vector<size_t>& uses(ValueId v) const { return uses_[static_cast<size_t>(v)]; }

  std::optional<FusionGroup> decline(const ir::Node& n, const std::string& why) {
    notes_.push_back(describe(f_, n) + ": " + why);
    return std::nullopt;
  }

  std::optional<FusionGroup> match(size_t s) {
    const ir::Node& sm = f_.node(s);
    ValueId p = sm.result();
    if (uses(p).size() != 1) return decline(sm, "the softmax has other uses");
    const ir::Node& sub = f_.node(uses(p)[0]);
    if (sub.op != Op::Sub || sub.operands[0] != p || f_.type(sub.result()) != f_.type(p))
      return decline(sm, "the softmax is not followed by softmax - target");
    std::vector<size_t> target;
    ValueId labels = -1;
    if (!target_chain(sub.operands[1], f_.type(p).shape, target, labels)) return decline(sm, "the target is not made from one one_hot");
    std::vector<size_t> members{s, target[0]};
    std::sort(target.begin() + 1, target.end());
    members.insert(members.end(), target.begin() + 1, target.end());
    members.push_back(uses(p)[0]);
    scale(sub.result(), members);
    ValueId count = mask(f_.node(members.back()).result(), members);
    std::vector<ValueId> outputs{f_.node(members.back()).result()};
    Partition trial = part_;
    for (size_t m : members)
      if (!trial.merge(s, m)) return decline(sm, "the fused node would depend on itself");
    std::vector<size_t> body;  // the loss and the count first: they use only the node's inputs
    for (size_t h : row_heads(sm.operands[0], labels, count))
      if (trial.merge(s, h)) body.push_back(h), outputs.push_back(f_.node(h).result());
      else notes_.push_back(describe(f_, f_.node(h)) + " stays out: the fused node would depend on itself");
    part_ = trial;
    body.insert(body.end(), members.begin(), members.end());
    return FusionGroup{body, ir::FusedKind::LossGrad, {sm.operands[0], labels}, outputs};
  }

  // softmax_xent(x, labels) and correct(x, labels), at most one of each: the loss
  // and the count of correct rows of the same logits and labels, which need the row
  // maxima and sums of exponentials the gradient computes (in that order). With a
  // masked gradient (count != -1), the masked heads over the same rows:
  // softmax_xent(x, labels, count) and correct(x, labels, count).
  std::vector<size_t> row_heads(ValueId x, ValueId labels, ValueId count) const {
    std::vector<ValueId> operands{x, labels};
    if (count >= 0) operands.push_back(count);
    std::vector<size_t> heads;
    for (Op op : {Op::SoftmaxXent, Op::Correct})
      for (size_t u : uses(x)) {
        const ir::Node& n = f_.node(u);
        if (n.op == op && n.operands == operands) {
          heads.push_back(u);
          break;
        }
      }
    return heads;
  }

  // t = one_hot(labels), or elementwise nodes of t's shape over it and constants,
  // each used once, all of `shape`. target[0] is the one_hot.
  bool target_chain(ValueId t, const ir::Shape& shape, std::vector<size_t>& target, ValueId& labels) {
    const ir::Node& n = node_of(t);
    if (uses(t).size() != 1 || f_.type(t).shape != shape) return false;
    if (n.op == Op::OneHot) {
      if (labels >= 0) return false;  // a second one_hot
      labels = n.operands[0];
      target.insert(target.begin(), index_of(t));
      return true;
    }
    if (!is_elementwise(n)) return false;
    bool any = false;
    for (ValueId v : n.operands) {
      if (is_constant(node_of(v))) continue;
      if (!target_chain(v, shape, target, labels)) return false;
      any = true;
    }
    if (!any) return false;
    target.push_back(index_of(t));
    return true;
  }

  // d * s or s * d with a scalar s, if that is d's only use.
  void scale(ValueId d, std::vector<size_t>& members) const {
    if (uses(d).size() != 1) return;
    const ir::Node& m = f_.node(uses(d)[0]);
    if (m.op != Op::Mul || f_.type(m.result()) != f_.type(d)) return;
    ValueId s = m.operands[0] == d ? m.operands[1] : m.operands[0];
    if (f_.type(s).shape.rank() != 0 || s == d) return;
    members.push_back(uses(d)[0]);
  }

  // mask_rows(d, n), if that is d's only use (a partial batch's gradient, docs/ir.md
  // "Partial batches"): it joins the group and n is returned; else -1.
  ValueId mask(ValueId d, std::vector<size_t>& members) const {
    if (uses(d).size() != 1) return -1;
    const ir::Node& m = f_.node(uses(d)[0]);
    if (m.op != Op::MaskRows || m.operands[0] != d) return -1;
    members.push_back(uses(d)[0]);
    return m.operands[1];
  }

  ir::Function& f_;
  std::vector<std::string>& notes_;
  std::vector<int> defs_;
  std::vector<std::vector<size_t>> uses_;
  Partition part_;
};

}  // namespace

bool FuseLossGrad::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs) {
    std::vector<std::string> notes;
    std::vector<FusionGroup> groups = LossGradFuser(f, notes).run();
    for (const std::string& s : notes) note("@{}: not fused: {}", f.name(), s);
    for (const FusionGroup& g : groups) note("@{}: fused the softmax-xent backward ({} nodes)", f.name(), g.members.size());
    if (groups.empty()) continue;
    fuse_groups(f, groups);
    changed = true;
  }
  return changed;
}

}  // namespace minigrad::passes
