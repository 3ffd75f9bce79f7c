// The fused kinds' body forms; see fusion_contract.h and docs/fusion-kinds.md.
#include "passes/fusion_contract.h"

#include <algorithm>
#include <set>

#include "ir/error.h"
#include "passes/fusion.h"

namespace minigrad::passes {
namespace {

using ir::Op;

bool broadcasts_to(const ir::Shape& from, const ir::Shape& to) {
  if (from.rank() > to.rank()) return false;
  int lead = to.rank() - from.rank();
  for (int i = 0; i < from.rank(); ++i)
    if (from[i] != 1 && from[i] != to[i + lead]) return false;
  return true;
}

class Contract {
 public:
  Contract(const ir::Function& f, const ir::Node& n) : f_(f), n_(n), b_(*n.body) {}

  void check() {
    common();
    std::optional<ir::FusedKind> kind = ir::parse_fused_kind(n_.attrs.s("kind"));
    if (!kind) bad("unknown kind");
    switch (*kind) {
      case ir::FusedKind::Elementwise: return loop(0, shape_of_outputs());
      case ir::FusedKind::Matmul: return matmul();
      case ir::FusedKind::MatmulUpdate: return matmul_update();
      case ir::FusedKind::BnAct: return bn_act();
      case ir::FusedKind::BnActGrad: return bn_act_grad();
      case ir::FusedKind::LossGrad: return loss_grad();
    }
  }

 private:
  template <typename... Args>
  [[noreturn]] void bad(fmt::format_string<Args...> f, Args&&... args) {
    fail("@{}: {} does not follow docs/fusion-kinds.md: {}", f_.name(), describe(f_, n_),
         fmt::format(f, std::forward<Args>(args)...));
  }

  // Inputs first and outputs last, in order and named "0", "1", ...; no dead
  // node; outputs are distinct compute values.
  void common() {
    size_t ni = n_.operands.size(), no = n_.results.size();
    if (b_.size() < ni + no) bad("the body is shorter than its inputs and outputs");
    for (size_t i = 0; i < ni; ++i)
      if (b_.node(i).op != Op::Input || b_.node(i).attrs.s("name") != std::to_string(i)) bad("input {} is not node {}", i, i);
    for (size_t k = 0; k < no; ++k) {
      const ir::Node& o = b_.node(b_.size() - no + k);
      if (o.op != Op::Output || o.attrs.s("name") != std::to_string(k)) bad("output {} is not in its place", k);
      const ir::Node* d = b_.value(o.operands[0]).def;
      if (d->op == Op::Input || d->op == Op::Constant) bad("output {} is an input or a constant", k);
      if (!outputs_.insert(o.operands[0]).second) bad("a value is output twice");
    }
    std::vector<int> uses = b_.use_counts();
    for (size_t i = 0; i + no < b_.size(); ++i)
      for (ir::ValueId r : b_.node(i).results)
        if (uses[static_cast<size_t>(r)] == 0) bad("{} is not used", describe(b_, b_.node(i)));
    for (size_t i = ni; i + no < b_.size(); ++i)
      if (b_.node(i).op == Op::Input || b_.node(i).op == Op::Output) bad("an input or output out of place");
  }

  ir::Shape shape_of_outputs() {
    ir::Shape s = b_.type(b_.node(b_.size() - 1).operands[0]).shape;
    for (ir::ValueId v : outputs_)
      if (b_.type(v).shape != s) bad("outputs of different shapes");
    return s;
  }

  bool is_source(ir::ValueId v) const {
    Op op = b_.value(v).def->op;
    return op == Op::Input || op == Op::Constant;
  }

  // The compute nodes from body position `from` on follow the elementwise rules
  // over S.
  void loop(size_t from, const ir::Shape& s) {
    for (size_t i = std::max(from, n_.operands.size()); i + n_.results.size() < b_.size(); ++i) {
      const ir::Node& c = b_.node(i);
      if (c.op == Op::Constant) {
        if (!broadcasts_to(b_.type(c.result()).shape, s)) bad("a constant does not broadcast to the loop");
        continue;
      }
      bool bcast = c.op == Op::BroadcastTo && is_source(c.operands[0]);
      if (!is_elementwise(c) && !bcast) bad("{} is not elementwise", describe(b_, c));
      if (b_.type(c.result()).shape != s) bad("{} is not of the loop's shape {}", describe(b_, c), ir::to_string(s));
      for (ir::ValueId v : c.operands)
        if (is_source(v) && !broadcasts_to(b_.type(v).shape, s)) bad("an input does not broadcast to the loop");
    }
  }

  void matmul() {
    const ir::Node& mm = b_.node(n_.operands.size());
    if (mm.op != Op::Matmul || mm.operands[0] != b_.node(0).result() || mm.operands[1] != b_.node(1).result())
      bad("the first compute node is not matmul(in0, in1)");
    std::vector<int> uses = b_.use_counts();
    if (uses[static_cast<size_t>(b_.node(0).result())] != 1 || uses[static_cast<size_t>(b_.node(1).result())] != 1)
      bad("inputs 0 and 1 are used by the matmul only");
    ir::Shape s = b_.type(mm.result()).shape;
    if (shape_of_outputs() != s) bad("outputs are not of the product's shape");
    loop(n_.operands.size() + 1, s);
  }

  // The matmul kind's body, whose results are all stored to states and nothing
  // else, and whose product is not one of them (the gradient is never stored).
  void matmul_update() {
    matmul();
    if (outputs_.count(b_.node(n_.operands.size()).result())) bad("the product is an output");
    for (size_t i = 0; i < f_.size(); ++i)
      for (ir::ValueId v : f_.node(i).operands)
        if (f_.node(i).op != Op::StoreState && std::find(n_.results.begin(), n_.results.end(), v) != n_.results.end())
          bad("a result is used by {}, not only stored", describe(f_, f_.node(i)));
  }

  // Masked (docs/ir.md, "Partial batches"): one more operand, the row count,
  // which batch_norm_train (bn_act) or batch_norm_grad (bn_act_grad) takes last.
  void bn_act() {
    size_t ins = n_.operands.size();
    if ((ins != 3 && ins != 4) || n_.results.size() != 3) bad("bn_act takes 3 operands (4 masked) and gives 3 results");
    const ir::Node& bn = b_.node(ins);
    const ir::Node& act = b_.node(ins + 1);
    if (b_.size() != ins + 5 || bn.op != Op::BatchNormTrain || (act.op != Op::Relu && act.op != Op::LeakyRelu))
      bad("the body is not batch_norm_train then relu or leaky_relu");
    if (act.operands[0] != bn.result(0)) bad("the activation does not take the normalised value");
    if (bn.operands.size() != ins) bad("batch_norm_train does not take every input");
    for (size_t i = 0; i < ins; ++i)
      if (bn.operands[i] != b_.node(i).result()) bad("batch_norm_train does not take the inputs in order");
    std::vector<ir::ValueId> want{act.result(), bn.result(1), bn.result(2)};
    for (size_t k = 0; k < 3; ++k)
      if (b_.node(ins + 2 + k).operands[0] != want[k]) bad("the outputs are not (activation, mean, var)");
  }

  void bn_act_grad() {
    size_t ins = n_.operands.size();
    if ((ins != 6 && ins != 7) || n_.results.size() != 3) bad("bn_act_grad takes 6 operands (7 masked) and gives 3 results");
    const ir::Node& bg = b_.node(b_.size() - 4);
    if (bg.op != Op::BatchNormGrad) bad("batch_norm_grad is not the last compute node");
    if (bg.operands.size() != ins - 1) bad("batch_norm_grad does not take inputs 2..{}", ins - 1);
    for (size_t i = 1; i < ins - 1; ++i)
      if (bg.operands[i] != b_.node(i + 1).result()) bad("batch_norm_grad does not take inputs 2..{}", ins - 1);
    for (size_t k = 0; k < 3; ++k)
      if (b_.node(b_.size() - 3 + k).operands[0] != bg.results[k]) bad("the outputs are not dx, dgamma, dbeta");
    ir::Shape s = b_.type(bg.results[0]).shape;
    for (size_t i = ins; i + 4 < b_.size(); ++i) {
      const ir::Node& c = b_.node(i);
      if (c.op != Op::Constant && (!is_elementwise(c) || b_.type(c.result()).shape != s))
        bad("{} in the prologue is not elementwise over {}", describe(b_, c), ir::to_string(s));
    }
  }

  void loss_grad() {
    size_t no = n_.results.size();
    if (n_.operands.size() < 2 || no < 1 || no > 3) bad("loss_grad takes the logits, the labels and gives 1 to 3 results");
    bool softmax = false, one_hot = false, xent = false, correct = false, mask = false;
    ir::Shape s = b_.type(b_.node(b_.size() - no).operands[0]).shape;
    std::vector<ir::ValueId> heads{b_.node(0).result(), b_.node(1).result()};  // and the row count if masked
    const ir::Node& last = *b_.value(b_.node(b_.size() - no).operands[0]).def;
    if (last.op == Op::MaskRows) {
      if (b_.value(last.operands[1]).def->op != Op::Input) bad("the mask's row count is not an input");
      heads.push_back(last.operands[1]);
    }
    for (size_t i = n_.operands.size(); i + no < b_.size(); ++i) {
      const ir::Node& c = b_.node(i);
      if (c.op == Op::Softmax && c.operands[0] == b_.node(0).result() && !softmax) softmax = true;
      else if (c.op == Op::OneHot && c.operands[0] == b_.node(1).result() && !one_hot) one_hot = true;
      else if (c.op == Op::SoftmaxXent && c.operands == heads && !xent) xent = true;
      else if (c.op == Op::Correct && c.operands == heads && !correct) correct = true;
      else if (&c == &last && c.op == Op::MaskRows && !mask) mask = true;
      else if (c.op != Op::Constant && (!is_elementwise(c) || b_.type(c.result()).shape != s))
        bad("{} is not elementwise over {}", describe(b_, c), ir::to_string(s));
    }
    if (!softmax || !one_hot) bad("the body lacks softmax(in0) or one_hot(in1)");
    for (size_t k = 1; k < no; ++k) {
      const ir::Node* d = b_.value(b_.node(b_.size() - no + k).operands[0]).def;
      if (d->op != Op::SoftmaxXent && d->op != Op::Correct)
        bad("output {} is not softmax_xent or correct of in0, in1 (and the mask's row count)", k);
    }
    if (int(xent) + int(correct) != int(no) - 1) bad("softmax_xent and correct are outputs 1 and 2 or absent");
    for (size_t i = 2; i < n_.operands.size(); ++i)
      if (b_.type(b_.node(i).result()).shape.rank() != 0) bad("input {} is not a scalar", i);
  }

  const ir::Function& f_;
  const ir::Node& n_;
  const ir::Function& b_;
  std::set<ir::ValueId> outputs_;
};

}  // namespace

void check_fused_node(const ir::Function& f, const ir::Node& n) {
  if (n.op != Op::Fused || !n.body) fail("@{}: {} is not a fused node", f.name(), describe(f, n));
  Contract(f, n).check();
}

void check_fusion_contract(const ir::Module& m) {
  for (const ir::Function& f : m.funcs)
    for (size_t i = 0; i < f.size(); ++i)
      if (f.node(i).op == Op::Fused) check_fused_node(f, f.node(i));
}

}  // namespace minigrad::passes
