// Softmax + cross-entropy into softmax_xent; see fuse_softmax_xent.h.
#include "passes/fuse_softmax_xent.h"

#include <algorithm>

#include "passes/fusion.h"
#include "passes/rewriter.h"

namespace minigrad::passes {
namespace {

const ir::Node* def(const ir::Function& f, ir::ValueId v, ir::Op op) {
  const ir::Node* d = f.value(v).def;
  return d != nullptr && d->op == op ? d : nullptr;
}

// The logits x when `logp` is log_softmax(x) or log(softmax(x)), else -1.
ir::ValueId logits_of(const ir::Function& f, ir::ValueId logp) {
  if (const ir::Node* ls = def(f, logp, ir::Op::LogSoftmax)) return ls->operands[0];
  if (const ir::Node* lg = def(f, logp, ir::Op::Log))
    if (const ir::Node* sm = def(f, lg->operands[0], ir::Op::Softmax)) return sm->operands[0];
  return -1;
}

void add_locs(ir::Locs& to, const ir::Locs& from) {
  for (const ir::SourceLoc& l : from)
    if (std::find(to.begin(), to.end(), l) == to.end()) to.push_back(l);
}

// Removes the nodes of `producers` left without a use, last first (the log
// before its softmax). DCE would remove them later; the fused stage reads better.
void remove_unused(ir::Function& f, const std::vector<const ir::Node*>& producers) {
  std::vector<int> uses = f.use_counts();
  std::vector<bool> keep(f.size(), true);
  for (size_t i = f.size(); i-- > 0;) {
    const ir::Node& n = f.node(i);
    if (std::find(producers.begin(), producers.end(), &n) == producers.end()) continue;
    if (uses[static_cast<size_t>(n.result())] != 0) continue;
    keep[i] = false;
    for (ir::ValueId v : n.operands) --uses[static_cast<size_t>(v)];
  }
  f.remove_nodes(keep);
  f.renumber();
}

class Fuser {
 public:
  explicit Fuser(ir::Function& f) : rw_(f) {}

  bool run() {
    ir::Function& f = rw_.function();
    for (size_t i = 0; i < f.size(); ++i) {
      const ir::Node& n = f.node(i);
      if (n.op != ir::Op::Nll) continue;
      ir::ValueId x = logits_of(f, n.operands[0]);
      if (x < 0) {
        declined_.push_back(describe(f, n));
        continue;
      }
      ir::Builder b = rw_.before(i);
      const ir::Node* lp = f.value(n.operands[0]).def;
      std::vector<const ir::Node*> parts;  // in order: softmax, log; or log_softmax
      if (lp->op == ir::Op::Log) parts.push_back(f.value(lp->operands[0]).def);
      parts.push_back(lp);
      ir::Locs locs;  // the parts' lines, then the nll's
      for (const ir::Node* p : parts) producers_.push_back(p), add_locs(locs, p->locs);
      add_locs(locs, n.locs);
      b.set_locs(locs);
      ir::ValueId loss = b.emit1(ir::Op::SoftmaxXent, {x, n.operands[1]}, {{"label_smoothing", n.attrs.f("label_smoothing")}});
      rw_.replace(n, loss);
      ++i;
    }
    bool changed = rw_.finish();
    if (changed) remove_unused(f, producers_);
    return changed;
  }

  const std::vector<std::string>& declined() const { return declined_; }

 private:
  Rewriter rw_;
  std::vector<const ir::Node*> producers_;
  std::vector<std::string> declined_;
};

}  // namespace

bool FuseSoftmaxXent::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs) {
    Fuser fuser(f);
    changed = fuser.run() || changed;
    for (const std::string& d : fuser.declined())
      note("@{}: not fused: {}: its scores are not log_softmax(x) or log(softmax(x))", f.name(), d);
  }
  return changed;
}

}  // namespace minigrad::passes
