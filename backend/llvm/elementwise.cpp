// Elementwise kernels. Every kElementwise node, and every fused `elementwise`
// body, becomes one loop nest over the iteration shape (loop_nest.h) whose body
// evaluates the ops on vectors (fused_body.h): loads (or splats of broadcast
// operands), the ops in order, stores. A single node is compiled as a body of one
// node, so there is one code path; the ops' semantics are listed in
// fused_body.cpp. Bodies with a checked op (i32 division, cast to i32) run one
// element at a time, so that the error names the first offending element.
#include "backend/llvm/fused_body.h"
#include "backend/llvm/loop_nest.h"
#include "ir/builder.h"
#include "ir/error.h"

namespace minigrad::jit {
namespace {

using ir::Op;
using llvm::Value;

// The shape of every output (they agree, by the fusion contract).
ir::Shape output_shape(const Kernel& k, const ir::Function& body) {
  const ir::Node* first = nullptr;
  for (size_t i = 0; i < body.size(); ++i) {
    const ir::Node& n = body.node(i);
    if (n.op != Op::Output) continue;
    if (first && body.type(n.operands[0]).shape != body.type(first->operands[0]).shape)
      fail("{} at {}: the outputs of an elementwise body have shapes {} and {}; they must agree",
           ir::op_name(k.node.op), ir::to_string(k.node.locs), ir::to_string(body.type(first->operands[0]).shape),
           ir::to_string(body.type(n.operands[0]).shape));
    if (!first) first = &n;
  }
  if (!first) fail("{} at {}: a fused body needs an output", ir::op_name(k.node.op), ir::to_string(k.node.locs));
  return body.type(first->operands[0]).shape;
}

}  // namespace

bool has_checked_op(const ir::Function& body) {
  for (size_t i = 0; i < body.size(); ++i)
    if (is_checked(body, body.node(i))) return true;
  return false;
}

bool is_elementwise_body(const ir::Function& body) {
  for (size_t i = 0; i < body.size(); ++i) {
    const ir::Node& n = body.node(i);
    bool ok = n.info().has(ir::kElementwise) || n.op == Op::Input || n.op == Op::Output || n.op == Op::Constant;
    bool broadcast_read = n.op == Op::BroadcastTo && (body.value(n.operands[0]).def->op == Op::Input ||
                                                      body.value(n.operands[0]).def->op == Op::Constant);
    if (!ok && !broadcast_read) return false;
  }
  return true;
}

void emit_elementwise_body(Kernel& k, const ir::Function& body) {
  BodyAtPoint point(k, body, output_shape(k, body), {}, {}, true);
  point.prologue();
  LoopNest nest = make_loop_nest(point.iter(), point.access_shapes());
  std::vector<bool> contiguous;
  for (size_t a = 0; a < nest.stride.size(); ++a) contiguous.push_back(nest.contiguous(a));
  k.units = nest_units(nest, point.width());
  walk_nest(k.e, nest, point.width(), [&](const Values& offsets, unsigned lanes) {
    point.at(offsets, contiguous, lanes);
  }, k.begin, k.end);
}

// A single node as a body of one node: an input per operand, the node, an output.
void emit_elementwise(Kernel& k) {
  ir::Function body("node");
  ir::Builder b(body);
  b.set_locs(k.node.locs);
  std::vector<ir::ValueId> ins;
  for (size_t i = 0; i < k.in.size(); ++i) ins.push_back(b.input("in" + std::to_string(i), k.in[i].type));
  std::vector<ir::ValueId> outs = b.emit(k.node.op, ins, k.node.attrs);
  for (size_t i = 0; i < outs.size(); ++i) b.output("out" + std::to_string(i), outs[i]);
  emit_elementwise_body(k, body);
}

// y = x broadcast: a loop over y's shape loading x's broadcast element.
void emit_broadcast_to(Kernel& k) {
  const ir::Type& y = k.out[0].type;
  LoopNest nest = make_loop_nest(y.shape, {k.in[0].type.shape, y.shape});
  ir::DType d = y.dtype;
  walk_nest(k.e, nest, k.e.width(d), [&](const Values& off, unsigned lanes) {
    Value* v = nest.contiguous(0) ? k.e.load(d, lanes, k.in[0].ptr, off[0])
                                  : k.e.splat(k.e.load(d, 1, k.in[0].ptr, off[0]), lanes);
    k.e.store(d, v, k.out[0].ptr, off[1]);
  });
}

}  // namespace minigrad::jit
