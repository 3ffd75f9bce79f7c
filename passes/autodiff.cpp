// Reverse-mode autodiff over the IR; see autodiff.h.
#include "passes/autodiff.h"

#include <map>

#include "ir/builder.h"
#include "ir/error.h"
#include "passes/vjp_rules.h"

namespace minigrad::passes {
namespace {

using ir::ValueId;

// Values that both depend on one of `wrt` and feed `loss`, among nodes [0, end).
std::vector<bool> active_values(const ir::Function& f, size_t end, ValueId loss, const std::vector<ValueId>& wrt) {
  size_t nv = static_cast<size_t>(f.num_values());
  std::vector<bool> varied(nv, false), useful(nv, false);
  for (ValueId w : wrt) varied[static_cast<size_t>(w)] = true;
  for (size_t i = 0; i < end; ++i) {
    const ir::Node& n = f.node(i);
    if (n.info().has(ir::kZeroGrad)) continue;
    bool any = false;
    for (ValueId v : n.operands) any = any || varied[static_cast<size_t>(v)];
    if (any)
      for (ValueId r : n.results) varied[static_cast<size_t>(r)] = true;
  }
  useful[static_cast<size_t>(loss)] = true;
  for (size_t i = end; i-- > 0;) {
    const ir::Node& n = f.node(i);
    bool any = false;
    for (ValueId r : n.results) any = any || useful[static_cast<size_t>(r)];
    if (any)
      for (ValueId v : n.operands) useful[static_cast<size_t>(v)] = true;
  }
  std::vector<bool> active(nv, false);
  for (size_t v = 0; v < nv; ++v)
    active[v] = varied[v] && useful[v] && f.value(static_cast<ValueId>(v)).def != nullptr &&
                ir::is_float(f.type(static_cast<ValueId>(v)).dtype);
  return active;
}

class GradExpansion {
 public:
  GradExpansion(ir::Function& f, size_t pos) : f_(f), pos_(pos), b_(f, pos) {
    const ir::Node& g = f.node(pos);
    loss_ = g.operands[0];
    wrt_.assign(g.operands.begin() + 1, g.operands.end());
    locs_ = g.locs;
  }

  void run() {
    std::vector<bool> active = active_values(f_, pos_, loss_, wrt_);
    b_.set_locs(locs_);
    cot_[loss_] = b_.constant(1, f_.type(loss_));
    for (size_t i = pos_; i-- > 0;) backprop(f_.node(i), active);
    finish();
  }

 private:
  void backprop(const ir::Node& n, const std::vector<bool>& active) {
    if (n.info().has(ir::kZeroGrad)) return;
    VjpArgs args{b_, n, {}, {}};
    bool any_out = false, any_in = false;
    for (ValueId r : n.results) {
      auto it = cot_.find(r);
      args.dout.push_back(it == cot_.end() ? -1 : it->second);
      any_out = any_out || it != cot_.end();
    }
    for (ValueId v : n.operands) {
      args.need.push_back(active[static_cast<size_t>(v)]);
      any_in = any_in || args.need.back();
    }
    if (!any_out || !any_in) return;
    b_.set_locs(n.locs);
    std::vector<ValueId> d = vjp(args);
    for (size_t k = 0; k < d.size(); ++k)
      if (args.need[k] && d[k] >= 0) accumulate(n.operands[k], d[k]);
  }

  // Sums the contributions of every use: cot[v] += d.
  void accumulate(ValueId v, ValueId d) {
    auto [it, fresh] = cot_.emplace(v, d);
    if (!fresh) it->second = b_.add(it->second, d);
  }

  // Replaces the grad node's results by the gradients and drops it and the
  // backward nodes nothing uses.
  void finish() {
    b_.set_locs(locs_);
    const ir::Node& g = f_.node(b_.position());
    std::vector<ValueId> results = g.results;
    for (size_t i = 0; i < wrt_.size(); ++i) {
      auto it = cot_.find(wrt_[i]);
      ValueId grad = it != cot_.end() ? it->second : b_.constant(0, f_.type(wrt_[i]));
      f_.replace_all_uses(results[i], grad);
    }
    size_t grad_pos = b_.position();
    std::vector<bool> keep(f_.size(), true);
    keep[grad_pos] = false;
    std::vector<int> uses = f_.use_counts();
    for (size_t i = grad_pos; i-- > pos_;) {  // the inserted backward nodes, last first
      const ir::Node& n = f_.node(i);
      bool used = false;
      for (ValueId r : n.results) used = used || uses[static_cast<size_t>(r)] > 0;
      if (used) continue;
      keep[i] = false;
      for (ValueId v : n.operands) --uses[static_cast<size_t>(v)];
    }
    f_.remove_nodes(keep);
  }

  ir::Function& f_;
  size_t pos_;
  ir::Builder b_;
  ValueId loss_;
  std::vector<ValueId> wrt_;
  ir::Locs locs_;
  std::map<ValueId, ValueId> cot_;
};

}  // namespace

bool expand_grads(ir::Function& f) {
  bool changed = false;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f.node(i).op != ir::Op::Grad) continue;
    GradExpansion(f, i).run();
    changed = true;
    i = 0;  // positions moved; look again from the start
  }
  if (changed) f.renumber();
  return changed;
}

bool Autodiff::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs) changed = expand_grads(f) || changed;
  return changed;
}

}  // namespace minigrad::passes
