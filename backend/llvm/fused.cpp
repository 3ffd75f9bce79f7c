// Kernels of the fused kinds and their table; see fused.h. Each kind first
// checks that its body has the kind's form (plan_fused, fused_forms.h), then
// emits the kernel around the part it computes itself, handing that part's
// vectors to the body's elementwise nodes (BodyAtPoint, fused_body.h) as given
// values. The loss_grad kernel is in loss_grad.cpp.
#include "backend/llvm/fused.h"

#include "backend/llvm/batch_norm.h"
#include "backend/llvm/fused_body.h"
#include "backend/llvm/fused_forms.h"
#include "backend/llvm/gemm/gemm.h"
#include "backend/llvm/node_kernels.h"
#include "ir/error.h"

namespace minigrad::jit {
namespace {

using ir::Op;
using llvm::Value;

// A matmul_update: its epilogue reads and writes the weight and moments (plan_gemm's `update`).
bool is_update(const ir::Node& n) { return ir::parse_fused_kind(n.attrs.s("kind")) == ir::FusedKind::MatmulUpdate; }

void emit_matmul_kind(Kernel& k) {
  const ir::Function& body = *k.node.body;
  const ir::Node& mm = special_node(body, Op::Matmul);
  GemmPlan plan = plan_gemm(matmul_shape(body, mm), k.e.target(), true, k.threads, is_update(k.node));
  BodyAtPoint point(k, body, ir::Shape{plan.s.m, plan.s.n}, {}, {mm.result()}, true);
  point.prologue();
  unsigned width = point.width();
  k.units = plan.units;
  k.note = plan.describe();
  GemmEpilogue epilogue;
  epilogue.flat = point.flat();
  epilogue.store = [&](Value* row, Value* col, Value* sum) {
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
  };
  if (point.prefetches())
    epilogue.prefetch = [&](Value* row, Value* col) {
      std::vector<bool> contiguous;
      point.prefetch(point.offsets_2d(row, col, &contiguous));
    };
  emit_gemm(k.e, plan, nullptr, k.in[0].ptr, k.in[1].ptr, k.scratch, epilogue, k.begin, k.end);
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
  if (bn.operands.size() > 3) t.n_rows = checked_row_count(k, operand_of(k, body, bn.operands[3]).ptr, t.rows);
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
  if (bn.operands.size() > 5) g.n_rows = checked_row_count(k, operand_of(k, body, bn.operands[5]).ptr, g.rows);
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

// The product's cycles: two FMAs of `lanes` a cycle.
int64_t gemm_cycles(const ir::Function& f, const ir::Node& mm, unsigned lanes) {
  const ir::Shape &a = f.type(mm.operands[0]).shape, &c = f.type(mm.result()).shape;
  int64_t k = mm.attrs.b("transpose_a") ? a[0] : a[1];
  return 2 * c[0] * c[1] * k / (4 * int64_t(lanes));
}

// The product's FMAs and the epilogue's vector ops at each element of C (a
// dropout's hash after a product with a short K can cost more than the product).
int64_t matmul_kind_cycles(const ir::Function&, const ir::Node& n, unsigned lanes) {
  const ir::Node& mm = special_node(*n.body, Op::Matmul);
  int64_t epilogue = n.body->type(mm.result()).numel() * body_vector_ops(*n.body, false) / lanes;
  return gemm_cycles(*n.body, mm, lanes) + epilogue;
}

int64_t matmul_kind_scratch(const ir::Node& n, const TargetInfo& t) {
  return plan_gemm(matmul_shape(*n.body, special_node(*n.body, Op::Matmul)), t, true, 1, is_update(n)).scratch_bytes;
}

// Each row's max and 1 / sum, when computed by columns.
int64_t loss_grad_scratch(const ir::Node& n, const TargetInfo&) {
  const ir::Type& t = n.body->type(special_node(*n.body, Op::Softmax).result());
  return 2 * t.shape[0] * int64_t(ir::dtype_size(t.dtype));
}

int64_t no_scratch(const ir::Node&, const TargetInfo&) { return 0; }
int64_t no_cycles(const ir::Function&, const ir::Node&, unsigned) { return 0; }
bool never_in_place(const ir::Node&, size_t) { return false; }

constexpr FusedKernel kElementwiseKernel{
    is_elementwise_body, no_scratch,
    [](const ir::Function& f, const ir::Node& n, unsigned lanes) {
      return f.type(n.result()).numel() * body_vector_ops(*n.body, true) / lanes;
    },
    [](const ir::Node&, size_t) { return true; },  // element i of every operand is read before element i is written
    [](Kernel& k) { emit_elementwise_body(k, *k.node.body); }};
constexpr FusedKernel kMatmulKernel{matmul_form, matmul_kind_scratch, matmul_kind_cycles, never_in_place,
                                    emit_matmul_kind};
// Operands 0 and 1 are the product's (read across the whole K extent); the
// epilogue reads every other operand of the product's shape at (row, col) once,
// after the last K block, before it writes the results there (BodyAtPoint::at
// stores last), and the thread slices own disjoint rows.
constexpr FusedKernel kMatmulUpdateKernel{matmul_form, matmul_kind_scratch, matmul_kind_cycles,
                                          [](const ir::Node&, size_t operand) { return operand >= 2; },
                                          emit_matmul_kind};
constexpr FusedKernel kBnActKernel{bn_act_form, no_scratch, bn_cycles, never_in_place, emit_bn_act};
constexpr FusedKernel kBnActGradKernel{bn_act_grad_form, no_scratch, bn_cycles, never_in_place, emit_bn_act_grad};
constexpr FusedKernel kLossGradKernel{loss_grad_form, loss_grad_scratch, no_cycles, never_in_place, emit_loss_grad};

}  // namespace

// Batch norm's passes over x[N, F] (train: three reads of x and a store; grad:
// two of x and of dy and a store) walk columns down the rows, a new cache line
// (and, for rows of 4 KiB and more, a new page) per access: measured on Zen 5 at
// 256 x 1024, about 20-30 cycles per vector of x in all.
int64_t bn_cycles(const ir::Function& f, const ir::Node& n, unsigned lanes) {
  return 20 * f.type(n.operands[0]).numel() / lanes;
}

const FusedKernel& fused_kernel(ir::FusedKind kind) {
  switch (kind) {
    case ir::FusedKind::Elementwise: return kElementwiseKernel;
    case ir::FusedKind::Matmul: return kMatmulKernel;
    case ir::FusedKind::MatmulUpdate: return kMatmulUpdateKernel;
    case ir::FusedKind::BnAct: return kBnActKernel;
    case ir::FusedKind::BnActGrad: return kBnActGradKernel;
    case ir::FusedKind::LossGrad: return kLossGradKernel;
  }
  fail("internal error: fused kind {} has no kernel", int(kind));
}

std::optional<ir::FusedKind> plan_fused(const ir::Node& node) {
  std::optional<ir::FusedKind> kind = ir::parse_fused_kind(node.attrs.s("kind"));
  if (kind && fused_kernel(*kind).form(*node.body)) return kind;
  return std::nullopt;
}

}  // namespace minigrad::jit
