// Kernels of the fused kinds; see fused.h. Each kind first checks that its body
// has the kind's form (plan_fused), then emits the kernel around the part it
// computes itself, handing that part's vectors to the body's elementwise nodes
// (BodyAtPoint, fused_body.h) as given values.
#include "backend/llvm/fused.h"

#include <functional>

#include "backend/llvm/batch_norm.h"
#include "backend/llvm/fused_body.h"
#include "backend/llvm/gemm.h"
#include "backend/llvm/rowwise.h"
#include "backend/llvm/vmath.h"
#include "ir/error.h"

namespace minigrad::jit {
namespace {

using ir::Op;
using llvm::Value;

bool is_source_or_sink(const ir::Node& n) {
  return n.op == Op::Input || n.op == Op::Output || n.op == Op::Constant;
}

// An elementwise body node: a kElementwise op, or a broadcast read of an input or constant.
bool is_elementwise_node(const ir::Function& f, const ir::Node& n) {
  if (n.info().has(ir::kElementwise)) return true;
  if (n.op != Op::BroadcastTo) return false;
  Op from = f.value(n.operands[0]).def->op;
  return from == Op::Input || from == Op::Constant;
}

// The body's view used by the plans: its inputs in order, its non-elementwise
// compute nodes, and its outputs' values in order.
struct BodyShape {
  std::vector<const ir::Node*> inputs, special, outputs;
  std::map<ir::ValueId, size_t> input_index;  // value -> position among the inputs
};

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

bool loss_grad_form(const ir::Function& f) {
  BodyShape s = shape_of(f);
  const ir::Node *sm = nullptr, *oh = nullptr;
  for (const ir::Node* n : s.special) {
    if (n->op == Op::Softmax && !sm) sm = n;
    else if (n->op == Op::OneHot && !oh) oh = n;
    else return false;
  }
  if (!sm || !oh || !is_input(s, sm->operands[0]) || !is_input(s, oh->operands[0])) return false;
  const ir::Shape& shape = f.type(sm->result()).shape;
  if (shape.rank() != 2 || f.type(oh->result()).shape != shape) return false;
  for (const ir::Node* o : s.outputs)
    if (f.type(o->operands[0]).shape != shape) return false;
  return true;
}

const ir::Node& special_node(const ir::Function& f, Op op) {
  for (size_t i = 0; i < f.size(); ++i)
    if (f.node(i).op == op) return f.node(i);
  fail("a fused body without {}", ir::op_name(op));  // not reached: the plans checked it
}

// The kernel's operand for body input value v.
const Operand& operand_of(const Kernel& k, const ir::Function& f, ir::ValueId v) {
  return k.in[shape_of(f).input_index.at(v)];
}

void emit_matmul_kind(Kernel& k) {
  const ir::Function& body = *k.node.body;
  const ir::Node& mm = special_node(body, Op::Matmul);
  GemmShape s = matmul_shape(body.type(mm.operands[0]), body.type(mm.operands[1]), mm.attrs.b("transpose_a"),
                             mm.attrs.b("transpose_b"));
  BodyAtPoint point(k, body, ir::Shape{s.m, s.n}, {}, {mm.result()}, true);
  point.prologue();
  unsigned width = point.width();
  k.units = gemm_row_tiles(k.e, s);
  emit_gemm(k.e, s, nullptr, k.in[0].ptr, k.in[1].ptr, k.scratch, [&](Value* row, Value* col, Value* sum) {
    unsigned lanes = k.e.lanes_of(sum);
    std::vector<bool> contiguous;
    if (width >= lanes) {
      Values off = point.offsets_2d(row, col, &contiguous);
      point.at(off, contiguous, lanes, {{mm.result(), sum}});
      return;
    }
    // A checked op in the epilogue: one element at a time.
    for (unsigned i = 0; i < lanes; ++i) {
      Value* c = k.e.b().CreateAdd(col, k.e.idx(i));
      Values off = point.offsets_2d(row, c, &contiguous);
      point.at(off, contiguous, 1, {{mm.result(), k.e.b().CreateExtractElement(sum, uint64_t(i))}});
    }
  }, k.begin, k.end);
}

void emit_bn_act(Kernel& k) {
  const ir::Function& body = *k.node.body;
  const ir::Node& bn = special_node(body, Op::BatchNormTrain);
  const ir::Shape& xs = body.type(bn.operands[0]).shape;
  BnTrain t;
  t.rows = xs[0], t.features = xs[1], t.dtype = body.type(bn.operands[0]).dtype, t.eps = bn.attrs.f("eps");
  t.x = operand_of(k, body, bn.operands[0]).ptr;
  t.gamma = operand_of(k, body, bn.operands[1]).ptr;
  t.beta = operand_of(k, body, bn.operands[2]).ptr;
  std::vector<ir::ValueId> roots;
  std::vector<Value*> root_ptrs;
  BodyShape s = shape_of(body);
  for (size_t j = 0; j < s.outputs.size(); ++j) {
    ir::ValueId v = s.outputs[j]->operands[0];
    if (v == bn.result(1)) t.mean = k.out[j].ptr;
    else if (v == bn.result(2)) t.var = k.out[j].ptr;
    else roots.push_back(v), root_ptrs.push_back(k.out[j].ptr);
  }
  BodyAtPoint point(k, body, xs, roots, {bn.result(0)}, false);
  point.prologue();
  Emitter& e = k.e;
  t.store_y = [&](Value* y, Value* n, Value* f0) {
    std::vector<bool> contiguous;
    Values off = point.offsets_2d(n, f0, &contiguous);
    Values out = point.at(off, contiguous, e.lanes_of(y), {{bn.result(0), y}});
    Value* at = e.b().CreateAdd(e.b().CreateMul(n, e.idx(t.features)), f0);
    for (size_t j = 0; j < roots.size(); ++j) e.store(body.type(roots[j]).dtype, out[j], root_ptrs[j], at);
  };
  t.begin = k.begin, t.end = k.end;
  k.units = bn_blocks(e, t.dtype, t.features);
  emit_bn_train(e, t);
}

void emit_bn_act_grad(Kernel& k) {
  const ir::Function& body = *k.node.body;
  const ir::Node& bn = special_node(body, Op::BatchNormGrad);
  const ir::Shape& xs = body.type(bn.operands[1]).shape;
  BnGrad g;
  g.rows = xs[0], g.features = xs[1], g.dtype = body.type(bn.operands[1]).dtype, g.eps = bn.attrs.f("eps");
  g.x = operand_of(k, body, bn.operands[1]).ptr;
  g.gamma = operand_of(k, body, bn.operands[2]).ptr;
  g.mean = operand_of(k, body, bn.operands[3]).ptr;
  g.var = operand_of(k, body, bn.operands[4]).ptr;
  BodyShape s = shape_of(body);
  for (size_t j = 0; j < s.outputs.size(); ++j) {
    ir::ValueId v = s.outputs[j]->operands[0];
    (v == bn.result(0) ? g.dx : v == bn.result(1) ? g.dgamma : g.dbeta) = k.out[j].ptr;
  }
  BodyAtPoint point(k, body, xs, {bn.operands[0]}, {}, false);
  point.prologue();
  g.dy = [&](Value* n, Value* f0, unsigned lanes) {
    std::vector<bool> contiguous;
    Values off = point.offsets_2d(n, f0, &contiguous);
    return point.at(off, contiguous, lanes)[0];
  };
  g.begin = k.begin, g.end = k.end;
  k.units = bn_blocks(k.e, g.dtype, g.features);
  emit_bn_grad(k.e, g);
}

// Per row: m = max, s = sum exp(x - m); then p = exp(x - m) / s and the one-hot
// row (1 where the column is the label) go into the body's elementwise tail.
// Short rows (rowwise.h) get m and 1 / s by columns first, into scratch, so the
// row pass has no horizontal reduction left.
void emit_loss_grad(Kernel& k) {
  const ir::Function& body = *k.node.body;
  const ir::Node& sm = special_node(body, Op::Softmax);
  const ir::Node& oh = special_node(body, Op::OneHot);
  const ir::Shape& shape = body.type(sm.result()).shape;
  int64_t rows = shape[0], classes = shape[1];
  ir::DType d = body.type(sm.result()).dtype, hot = body.type(oh.result()).dtype;
  Value* x = operand_of(k, body, sm.operands[0]).ptr;
  Value* labels = operand_of(k, body, oh.operands[0]).ptr;
  int64_t site = k.sites->add(oh, Check::Label, classes);
  BodyAtPoint point(k, body, shape, {}, {sm.result(), oh.result()}, true);
  point.prologue();
  Emitter& e = k.e;
  auto& b = e.b();
  bool columns = by_columns(e, d, classes);
  Value* max_at = k.scratch;
  Value* inv_at = e.at(d, k.scratch, e.idx(rows));
  if (columns) {
    e.vector_loop(rows, e.width(d), [&](Value* r0, unsigned lanes) {
      Values cols = block_columns(e, d, x, r0, classes, lanes);
      Value* m = columns_max(e, cols);
      e.store(d, m, max_at, r0);
      e.store(d, b.CreateFDiv(e.constant(d, 1.0, lanes), columns_sum_exp(e, d, x, r0, classes, lanes, m)), inv_at, r0);
    });
  }
  e.loop(0, rows, 1, [&](Value* r) {
    Value* base = b.CreateMul(r, e.idx(classes));
    Value *m = nullptr, *inv = nullptr;
    if (columns) {
      m = e.load(d, 1, max_at, r), inv = e.load(d, 1, inv_at, r);
    } else {
      m = row_max(e, d, x, base, classes);
      inv = b.CreateFDiv(e.constant(d, 1.0), row_sum_exp(e, d, x, base, classes, m, nullptr));
    }
    Value* label = b.CreateSExt(e.load(ir::DType::I32, 1, labels, r), e.i64());
    k.fail_if(b.CreateICmpUGE(label, e.idx(classes)), site, r, label);
    e.vector_loop(classes, e.width(d), [&](Value* c, unsigned lanes) {
      Value* ex = vexp(e, b.CreateFSub(e.load(d, lanes, x, b.CreateAdd(base, c)), e.splat(m, lanes)));
      Value* p = b.CreateFMul(ex, e.splat(inv, lanes));
      Value* cols = e.splat(c, lanes);
      if (lanes > 1) {
        std::vector<uint64_t> iota(lanes);
        for (unsigned i = 0; i < lanes; ++i) iota[i] = i;
        cols = b.CreateAdd(cols, llvm::ConstantDataVector::get(e.ctx(), iota));
      }
      Value* is_label = b.CreateICmpEQ(cols, e.splat(label, lanes));
      Value* onehot = b.CreateSelect(is_label, e.constant(hot, 1.0, lanes), e.constant(hot, 0.0, lanes));
      std::vector<bool> contiguous;
      Values off = point.offsets_2d(r, c, &contiguous);
      point.at(off, contiguous, lanes, {{sm.result(), p}, {oh.result(), onehot}});
    });
  });
}

}  // namespace

FusedPlan plan_fused(const ir::Node& node) {
  const ir::Function& body = *node.body;
  const std::string& kind = node.attrs.s("kind");
  if (kind == "elementwise") return is_elementwise_body(body) ? FusedPlan::Loop : FusedPlan::NodeByNode;
  if (kind == "matmul" && matmul_form(body)) return FusedPlan::Matmul;
  if (kind == "bn_act" && bn_act_form(body)) return FusedPlan::BnAct;
  if (kind == "bn_act_grad" && bn_act_grad_form(body)) return FusedPlan::BnActGrad;
  if (kind == "loss_grad" && loss_grad_form(body)) return FusedPlan::LossGrad;
  return FusedPlan::NodeByNode;
}

int64_t fused_scratch_bytes(const ir::Node& node, FusedPlan plan) {
  if (plan == FusedPlan::LossGrad) {  // each row's max and 1 / sum, when computed by columns
    const ir::Type& t = node.body->type(special_node(*node.body, Op::Softmax).result());
    return 2 * t.shape[0] * int64_t(ir::dtype_size(t.dtype));
  }
  if (plan != FusedPlan::Matmul) return 0;
  const ir::Node& mm = special_node(*node.body, Op::Matmul);
  return gemm_scratch_bytes(matmul_shape(node.body->type(mm.operands[0]), node.body->type(mm.operands[1]),
                                         mm.attrs.b("transpose_a"), mm.attrs.b("transpose_b")));
}

void emit_fused(Kernel& k, FusedPlan plan) {
  switch (plan) {
    case FusedPlan::Loop: return emit_elementwise_body(k, *k.node.body);
    case FusedPlan::Matmul: return emit_matmul_kind(k);
    case FusedPlan::BnAct: return emit_bn_act(k);
    case FusedPlan::BnActGrad: return emit_bn_act_grad(k);
    case FusedPlan::LossGrad: return emit_loss_grad(k);
    case FusedPlan::NodeByNode: break;
  }
  fail("{} at {}: internal error: no single kernel for this fused body", ir::op_name(k.node.op), ir::to_string(k.node.locs));
}

}  // namespace minigrad::jit
