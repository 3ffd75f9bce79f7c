// The body's shape and each fused kind's form; see fused_forms.h.
#include "backend/llvm/fused_forms.h"

#include <functional>
#include <set>

#include "ir/error.h"

namespace minigrad::jit {
namespace {

using ir::Op;

bool is_source_or_sink(const ir::Node& n) {
  return n.op == Op::Input || n.op == Op::Output || n.op == Op::Constant;
}

// Whether value v of the body is computed from inputs and constants only through
// elementwise nodes (never from `avoid`).
bool elementwise_from_inputs(const ir::Function& f, ir::ValueId v, const std::set<ir::ValueId>& avoid) {
  if (avoid.count(v)) return false;
  const ir::Node& n = *f.value(v).def;
  if (n.op == Op::Input || n.op == Op::Constant) return true;
  if (!is_elementwise_node(f, n)) return false;
  for (ir::ValueId o : n.operands)
    if (!elementwise_from_inputs(f, o, avoid)) return false;
  return true;
}

bool uses_only(const ir::Function& f, ir::ValueId v, const ir::Node& user) {
  for (size_t i = 0; i < f.size(); ++i)
    for (ir::ValueId o : f.node(i).operands)
      if (o == v && &f.node(i) != &user) return false;
  return true;
}

}  // namespace

bool is_elementwise_node(const ir::Function& f, const ir::Node& n) {
  if (n.info().has(ir::kElementwise)) return true;
  if (n.op != Op::BroadcastTo) return false;
  Op from = f.value(n.operands[0]).def->op;
  return from == Op::Input || from == Op::Constant;
}

BodyShape shape_of(const ir::Function& body) {
  BodyShape s;
  for (size_t i = 0; i < body.size(); ++i) {
    const ir::Node& n = body.node(i);
    if (n.op == Op::Input) {
      s.input_index[n.result()] = s.inputs.size();
      s.inputs.push_back(&n);
    } else if (n.op == Op::Output) {
      s.outputs.push_back(&n);
    } else if (!is_source_or_sink(n) && !is_elementwise_node(body, n)) {
      s.special.push_back(&n);
    }
  }
  return s;
}

bool is_input(const BodyShape& s, ir::ValueId v) { return s.input_index.count(v) != 0; }

bool matmul_form(const ir::Function& f) {
  BodyShape s = shape_of(f);
  if (s.special.size() != 1 || s.special[0]->op != Op::Matmul || s.inputs.size() < 2) return false;
  const ir::Node& mm = *s.special[0];
  if (mm.operands[0] != s.inputs[0]->result() || mm.operands[1] != s.inputs[1]->result()) return false;
  if (!uses_only(f, mm.operands[0], mm) || !uses_only(f, mm.operands[1], mm)) return false;
  for (const ir::Node* o : s.outputs)
    if (f.type(o->operands[0]).shape != f.type(mm.result()).shape) return false;
  return true;
}

bool bn_act_form(const ir::Function& f) {
  BodyShape s = shape_of(f);
  if (s.special.size() != 1 || s.special[0]->op != Op::BatchNormTrain) return false;
  const ir::Node& bn = *s.special[0];
  for (ir::ValueId o : bn.operands)
    if (!is_input(s, o)) return false;
  // Outputs: mean, var, and values that are y or elementwise in y, inputs and
  // constants (not in mean or var, which the kernel has per feature only).
  bool mean = false, var = false;
  for (const ir::Node* o : s.outputs) {
    ir::ValueId v = o->operands[0];
    mean = mean || v == bn.result(1);
    var = var || v == bn.result(2);
    if (v == bn.result(1) || v == bn.result(2)) continue;
    if (f.type(v).shape != f.type(bn.result(0)).shape) return false;
    std::set<ir::ValueId> avoid{bn.result(1), bn.result(2)};
    std::function<bool(ir::ValueId)> ok = [&](ir::ValueId x) {
      if (x == bn.result(0)) return true;
      if (avoid.count(x)) return false;
      const ir::Node& n = *f.value(x).def;
      if (n.op == Op::Input || n.op == Op::Constant) return true;
      if (!is_elementwise_node(f, n)) return false;
      for (ir::ValueId a : n.operands)
        if (!ok(a)) return false;
      return true;
    };
    if (!ok(v)) return false;
  }
  return mean && var;
}

bool bn_act_grad_form(const ir::Function& f) {
  BodyShape s = shape_of(f);
  if (s.special.size() != 1 || s.special[0]->op != Op::BatchNormGrad) return false;
  const ir::Node& bn = *s.special[0];
  for (size_t i = 1; i < 5; ++i)
    if (!is_input(s, bn.operands[i])) return false;
  if (!elementwise_from_inputs(f, bn.operands[0], {})) return false;
  std::set<ir::ValueId> seen;
  for (const ir::Node* o : s.outputs) {
    ir::ValueId v = o->operands[0];
    if (v != bn.result(0) && v != bn.result(1) && v != bn.result(2)) return false;
    seen.insert(v);
  }
  return seen.size() == 3 && s.outputs.size() == 3;
}

// softmax(in0), one_hot(in1), elementwise nodes over their shape, and at most one
// softmax_xent(in0, in1) and one correct(in0, in1) whose results are outputs.
// Masked: one mask_rows(v, n) of an input n, whose result is the one [N, C]
// output, and the heads take n as their third operand.
bool loss_grad_form(const ir::Function& f) {
  BodyShape s = shape_of(f);
  const ir::Node *sm = nullptr, *oh = nullptr, *xent = nullptr, *hits = nullptr, *mask = nullptr;
  for (const ir::Node* n : s.special) {
    if (n->op == Op::Softmax && !sm) sm = n;
    else if (n->op == Op::OneHot && !oh) oh = n;
    else if (n->op == Op::SoftmaxXent && !xent) xent = n;
    else if (n->op == Op::Correct && !hits) hits = n;
    else if (n->op == Op::MaskRows && !mask) mask = n;
    else return false;
  }
  if (!sm || !oh || !is_input(s, sm->operands[0]) || !is_input(s, oh->operands[0])) return false;
  std::vector<ir::ValueId> heads{sm->operands[0], oh->operands[0]};
  if (mask) {
    if (!is_input(s, mask->operands[1])) return false;
    heads.push_back(mask->operands[1]);
  }
  for (const ir::Node* h : {xent, hits})
    if (h && h->operands != heads) return false;
  const ir::Shape& shape = f.type(sm->result()).shape;
  if (shape.rank() != 2 || f.type(oh->result()).shape != shape) return false;
  size_t grads = 0;
  for (const ir::Node* o : s.outputs) {
    ir::ValueId v = o->operands[0];
    bool head = (xent && v == xent->result()) || (hits && v == hits->result());
    if (!head && f.type(v).shape != shape) return false;
    grads += !head;
    if (mask && !head && v != mask->result()) return false;
  }
  return !mask || grads == 1;
}

const ir::Node* find_special(const ir::Function& f, Op op) {
  for (size_t i = 0; i < f.size(); ++i)
    if (f.node(i).op == op) return &f.node(i);
  return nullptr;
}

const ir::Node& special_node(const ir::Function& f, Op op) {
  if (const ir::Node* n = find_special(f, op)) return *n;
  fail("a fused body without {}", ir::op_name(op));  // not reached: the plans checked it
}

const Operand& operand_of(const Kernel& k, const ir::Function& f, ir::ValueId v) {
  return k.in[shape_of(f).input_index.at(v)];
}

}  // namespace minigrad::jit
