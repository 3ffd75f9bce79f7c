// What the kernels of the fused kinds share (fused.cpp, loss_grad.cpp): the body
// as the plans see it (its inputs, its non-elementwise "special" nodes, its
// outputs), the form each kind's kernel needs (docs/fusion-kinds.md on the passes'
// side; a body outside its kind's form is lowered node after node), and the
// lookups of a special node and of the kernel operand behind a body input.
#pragma once

#include <map>
#include <vector>

#include "backend/llvm/kernel.h"

namespace minigrad::jit {

// The body's view used by the plans: its inputs in order, its non-elementwise
// compute nodes, and its outputs' values in order.
struct BodyShape {
  std::vector<const ir::Node*> inputs, special, outputs;
  std::map<ir::ValueId, size_t> input_index;  // value -> position among the inputs
};

BodyShape shape_of(const ir::Function& body);
bool is_input(const BodyShape& s, ir::ValueId v);
// An elementwise body node: a kElementwise op, or a broadcast read of an input or constant.
bool is_elementwise_node(const ir::Function& f, const ir::Node& n);

// Whether a body has the form of its kind's kernel.
bool matmul_form(const ir::Function& f);
bool bn_act_form(const ir::Function& f);
bool bn_act_grad_form(const ir::Function& f);
bool loss_grad_form(const ir::Function& f);

// The first body node of `op`, or null; special_node: the one the form guarantees.
const ir::Node* find_special(const ir::Function& f, ir::Op op);
const ir::Node& special_node(const ir::Function& f, ir::Op op);
// The kernel's operand for body input value v.
const Operand& operand_of(const Kernel& k, const ir::Function& f, ir::ValueId v);

// The loss_grad kernel (loss_grad.cpp).
void emit_loss_grad(Kernel& k);

}  // namespace minigrad::jit
