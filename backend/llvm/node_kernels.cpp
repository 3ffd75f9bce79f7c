// What the code generator needs to know of each node's kernel; see node_kernels.h.
#include "backend/llvm/node_kernels.h"
#include "backend/llvm/run_context.h"

#include <algorithm>
#include <functional>
#include <map>

#include "backend/llvm/fused.h"
#include "backend/llvm/image/image_kernels.h"
#include "ir/error.h"

namespace minigrad::jit {

using ir::Op;

// A fused node compiled as one elementwise loop.
bool single_loop(const ir::Node& n) { return n.op == Op::Fused && plan_fused(n) == ir::FusedKind::Elementwise; }

std::optional<size_t> row_count_operand(const ir::Node& n) {
  size_t at = 0;  // where the row count is, if there is one
  switch (n.op) {
    case Op::MaskRows: return 1;
    case Op::SoftmaxXent: case Op::Nll: case Op::Correct: case Op::Mse: at = 2; break;
    case Op::BatchNormTrain: at = 3; break;
    case Op::BatchNormGrad: at = 5; break;
    default: return std::nullopt;
  }
  return n.operands.size() > at ? std::optional<size_t>(at) : std::nullopt;
}

namespace {
// The fused node n's operand behind each input value of its body (input j is operand j).
std::map<ir::ValueId, ir::ValueId> outer_operands(const ir::Node& n) {
  std::map<ir::ValueId, ir::ValueId> outside;
  size_t input = 0;
  for (size_t j = 0; j < n.body->size(); ++j)
    if (n.body->node(j).op == Op::Input) outside[n.body->node(j).result()] = n.operands[input++];
  return outside;
}
}  // namespace

std::set<ir::ValueId> checked_in_body(const ir::Node& n, const std::set<ir::ValueId>& checked) {
  std::set<ir::ValueId> inside;
  for (auto [in_body, outer] : outer_operands(n))
    if (checked.count(outer)) inside.insert(in_body);
  return inside;
}

namespace {
// Each masked node of f (and of its fused bodies, as the fused node) whose row
// count is `of(count)`: the rows of its operand 0 (1 for a scalar).
void masked_users(const ir::Function& f, const std::function<ir::ValueId(ir::ValueId)>& of, const ir::Node* outer,
                  std::vector<EntryRowCount>& found) {
  for (size_t i = 0; i < f.size(); ++i) {
    const ir::Node& n = f.node(i);
    if (std::optional<size_t> at = row_count_operand(n)) {
      const ir::Shape& s = f.type(n.operands[0]).shape;
      found.push_back({of(n.operands[*at]), s.rank() == 0 ? 1 : s[0], outer ? outer : &n});
    }
    if (n.op != Op::Fused) continue;
    std::map<ir::ValueId, ir::ValueId> outside = outer_operands(n);
    masked_users(*n.body, [&](ir::ValueId v) { return outside.count(v) ? of(outside.at(v)) : ir::ValueId(-1); },
                 outer ? outer : &n, found);
  }
}
}  // namespace

std::vector<EntryRowCount> entry_row_counts(const ir::Function& f) {
  std::vector<EntryRowCount> users, counts;
  masked_users(f, [](ir::ValueId v) { return v; }, nullptr, users);
  for (const EntryRowCount& u : users) {
    if (u.value < 0 || f.value(u.value).def->op != Op::Input) continue;  // computed in f: checked where used
    auto same = std::find_if(counts.begin(), counts.end(), [&](const EntryRowCount& c) { return c.value == u.value; });
    if (same == counts.end()) counts.push_back(u);
    else if (u.rows < same->rows) *same = u;
  }
  return counts;
}

bool node_can_fail(const ir::Function& f, const ir::Node& n, const std::set<ir::ValueId>& checked) {
  if (n.op == Op::SoftmaxXent || n.op == Op::Nll || n.op == Op::OneHot || n.op == Op::Correct) return true;
  // A masked node checks its row count (docs/ir.md, "Partial batches") unless the entry did.
  if (std::optional<size_t> at = row_count_operand(n)) return !checked.count(n.operands[*at]);
  if (n.op == Op::Div) return f.type(n.result()).dtype == ir::DType::I32;
  if (n.op == Op::Cast) return f.type(n.result()).dtype == ir::DType::I32 && f.type(n.operands[0]).dtype != ir::DType::I32;
  if (n.op == Op::Fused) {
    std::set<ir::ValueId> inside = checked_in_body(n, checked);
    for (size_t i = 0; i < n.body->size(); ++i)
      if (node_can_fail(*n.body, n.body->node(i), inside)) return true;
  }
  return false;
}

// Elementwise kernels read element i of an operand of the results' shape before
// writing element i, so they may run in place over it; a fused kernel says which
// of its operands it reads so (FusedKernel::in_place).
bool in_place_ok(const ir::Function& f, const ir::Node& n, size_t operand) {
  if (n.op == Op::Fused) {
    std::optional<ir::FusedKind> kind = plan_fused(n);
    if (!kind || !fused_kernel(*kind).in_place(n, operand)) return false;
  } else if (!n.info().has(ir::kElementwise)) {
    return false;
  }
  for (ir::ValueId r : n.results)
    if (f.type(r).shape != f.type(n.operands[operand]).shape) return false;
  return true;
}

// Dropout: the murmur3 finaliser (3 xor-shifts, 2 multiplies), the index and key,
// the conversion to a uniform, the compare, the scale and the select. The vector
// math of vmath.cpp: a range reduction and a polynomial of about ten terms.
int64_t elementwise_vector_ops(const ir::Node& n) {
  if (n.op == Op::Dropout) return 14;
  if (n.op == Op::Exp || n.op == Op::Log || n.op == Op::Sigmoid || n.op == Op::Tanh || n.op == Op::Pow) return 12;
  return 1;
}

int64_t body_vector_ops(const ir::Function& body, bool loads_and_stores) {
  int64_t ops = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    const ir::Node& n = body.node(i);
    if (n.info().has(ir::kElementwise)) ops += elementwise_vector_ops(n);
    bool array_input = n.op == Op::Input && body.type(n.result()).shape.rank() > 0;
    if (loads_and_stores && (array_input || n.op == Op::Output)) ops += 1;
  }
  return ops;
}

// The cost model: two FMAs of `lanes` a cycle for GEMMs, batch norm's passes
// (fused.cpp: bn_cycles), the vector ops of each element for loops.
int64_t work_cycles(const ir::Function& f, const ir::Node& n, unsigned lanes) {
  auto numel = [&](ir::ValueId v) { return f.type(v).numel(); };
  switch (n.op) {
    case Op::Matmul: {
      const ir::Shape &a = f.type(n.operands[0]).shape, &c = f.type(n.result()).shape;
      int64_t k = n.attrs.b("transpose_a") ? a[0] : a[1];
      return 2 * c[0] * c[1] * k / (4 * int64_t(lanes));  // two FMA of `lanes` a cycle
    }
    case Op::BatchNormTrain: case Op::BatchNormGrad: return bn_cycles(f, n, lanes);
    case Op::BatchNormEval: return 2 * numel(n.operands[0]) / lanes;
    case Op::Conv2d: case Op::Conv2dInputGrad: case Op::Conv2dWeightGrad: return conv_cycles(f, n, lanes);
    case Op::MaxPool2d: case Op::AvgPool2d: case Op::MaxPool2dGrad: case Op::AvgPool2dGrad: {
      // a few cycles per tap of each window (an output element, or dy's for the VJPs)
      const std::vector<int64_t>& window = n.attrs.ints("kernel");
      bool forward = n.op == Op::MaxPool2d || n.op == Op::AvgPool2d;
      return 2 * (forward ? numel(n.result()) : numel(n.operands[0])) * window[0] * window[1];
    }
    default: break;
  }
  if (n.op != Op::Fused)
    return n.info().has(ir::kElementwise) ? numel(n.result()) * elementwise_vector_ops(n) / lanes : 0;
  std::optional<ir::FusedKind> kind = plan_fused(n);
  return kind ? fused_kernel(*kind).cycles(f, n, lanes) : 0;
}

int64_t kernel_scratch(const ir::Function& f, const ir::Node& n, const TargetInfo& target) {
  if (n.op == Op::Matmul)
    return aligned(matmul_scratch_bytes(f.type(n.operands[0]), f.type(n.operands[1]), n.attrs.b("transpose_a"),
                                        n.attrs.b("transpose_b"), target));
  if (n.op == Op::BatchNormEval) return aligned(int64_t(f.type(n.operands[0]).bytes()) / f.type(n.operands[0]).shape[0]);
  if (n.op == Op::Conv2d || n.op == Op::Conv2dInputGrad || n.op == Op::Conv2dWeightGrad)
    return aligned(conv_scratch_bytes(f, n, target));
  if (n.op == Op::Fused) {
    if (std::optional<ir::FusedKind> kind = plan_fused(n)) return aligned(fused_kernel(*kind).scratch_bytes(n, target));
    return frame_bytes(*n.body, assign_homes(*n.body, false, in_place_ok), target);
  }
  return 0;
}

// Planned values, snapshots, then the largest scratch any kernel needs (one per
// thread: each slice of a split kernel has its own).
int64_t frame_bytes(const ir::Function& f, const Homes& h, const TargetInfo& target, int threads) {
  int64_t scratch = 0;
  for (size_t i = 0; i < f.size(); ++i) scratch = std::max(scratch, kernel_scratch(f, f.node(i), target));
  return h.values_bytes + scratch * threads;
}

// The family emitter of every op that is a kernel on its own.
void emit_kernel_body(Kernel& k) {
  switch (k.node.op) {
    case Op::Input: case Op::LoadState: case Op::Constant: case Op::StoreState: case Op::Output: case Op::Grad:
    case Op::Fused: break;
    case Op::Neg: case Op::Abs: case Op::Exp: case Op::Log: case Op::Sqrt: case Op::Rsqrt: case Op::Relu:
    case Op::LeakyRelu: case Op::Sigmoid: case Op::Tanh: case Op::Pow: case Op::Cast: case Op::Add: case Op::Sub:
    case Op::Mul: case Op::Div: case Op::Maximum: case Op::Minimum: case Op::Cmp: case Op::Select:
    case Op::Dropout: return emit_elementwise(k);
    case Op::ReduceSum: case Op::ReduceMean: case Op::ReduceMax: return emit_reduce(k);
    case Op::Reshape: return emit_reshape(k);
    case Op::BroadcastTo: return emit_broadcast_to(k);
    case Op::Transpose: return emit_transpose(k);
    case Op::Slice: return emit_slice(k);
    case Op::Pad: return emit_pad(k);
    case Op::MaskRows: return emit_mask_rows(k);
    case Op::Matmul: return emit_matmul(k);
    case Op::Softmax: return emit_softmax(k, false);
    case Op::LogSoftmax: return emit_softmax(k, true);
    case Op::SoftmaxXent: return emit_class_loss(k, true);
    case Op::Nll: return emit_class_loss(k, false);
    case Op::Mse: return emit_mse(k);
    case Op::OneHot: return emit_one_hot(k);
    case Op::Argmax: return emit_argmax(k);
    case Op::Correct: return emit_correct(k);
    case Op::BatchNormTrain: return k.shape(0).rank() == 4 ? emit_batch_norm2d_train(k) : emit_batch_norm_train(k);
    case Op::BatchNormEval: return k.shape(0).rank() == 4 ? emit_batch_norm2d_eval(k) : emit_batch_norm_eval(k);
    case Op::BatchNormGrad: return k.shape(1).rank() == 4 ? emit_batch_norm2d_grad(k) : emit_batch_norm_grad(k);
    case Op::Conv2d: return emit_conv2d(k);
    case Op::Conv2dInputGrad: return emit_conv2d_input_grad(k);
    case Op::Conv2dWeightGrad: return emit_conv2d_weight_grad(k);
    case Op::MaxPool2d: return emit_max_pool2d(k);
    case Op::MaxPool2dGrad: return emit_max_pool2d_grad(k);
    case Op::AvgPool2d: return emit_avg_pool2d(k);
    case Op::AvgPool2dGrad: return emit_avg_pool2d_grad(k);
    case Op::AllReduce: return emit_all_reduce(k);
    case Op::AllReduceStart: return emit_all_reduce_half(k, kAllReduceStartSymbol);
    case Op::AllReduceWait: return emit_all_reduce_half(k, kAllReduceWaitSymbol);
  }
  fail("{} at {}: is not a kernel", ir::op_name(k.node.op), ir::to_string(k.node.locs));
}

}  // namespace minigrad::jit
