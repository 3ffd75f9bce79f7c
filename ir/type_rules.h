// Type rules: for each op, the result types as a function of the operand types and
// the attributes. A rule throws Error with the reason when the operands are illegal;
// the caller (builder, verifier, parser) adds the node's name and place.
#pragma once

#include <span>
#include <vector>

#include "ir/attrs.h"
#include "ir/op.h"
#include "ir/types.h"

namespace minigrad::ir {

struct TypeRuleArgs {
  const OpInfo& info;
  std::span<const Type> operands;
  const Attrs& attrs;
};

// Checks the operand count and the attributes, then applies the op's rule. Ops whose
// result type is declared by their creator (sources) are rejected: use the type given.
std::vector<Type> infer_types(Op op, std::span<const Type> operands, const Attrs& attrs);

// Checks every attribute of `attrs` against the op's declaration: required ones are
// present, none is unknown, each has its kind and lies in its range.
void check_attrs(const OpInfo& info, const Attrs& attrs);

// Fills in the declared defaults of optional attributes that are absent.
Attrs with_defaults(const OpInfo& info, Attrs attrs);

// numpy broadcasting of two shapes (right-aligned; an extent 1 stretches).
Shape broadcast_shapes(const Shape& a, const Shape& b);

std::vector<Type> type_sink(const TypeRuleArgs&);
std::vector<Type> type_grad(const TypeRuleArgs&);
std::vector<Type> type_same(const TypeRuleArgs&);
std::vector<Type> type_same_all(const TypeRuleArgs&);
std::vector<Type> type_same_float(const TypeRuleArgs&);
std::vector<Type> type_cast(const TypeRuleArgs&);
std::vector<Type> type_broadcast(const TypeRuleArgs&);
std::vector<Type> type_reduce(const TypeRuleArgs&);
std::vector<Type> type_reshape(const TypeRuleArgs&);
std::vector<Type> type_broadcast_to(const TypeRuleArgs&);
std::vector<Type> type_transpose(const TypeRuleArgs&);
std::vector<Type> type_slice(const TypeRuleArgs&);
std::vector<Type> type_pad(const TypeRuleArgs&);
std::vector<Type> type_matmul(const TypeRuleArgs&);
std::vector<Type> type_mask_rows(const TypeRuleArgs&);
std::vector<Type> type_class_loss(const TypeRuleArgs&);
std::vector<Type> type_mse(const TypeRuleArgs&);
std::vector<Type> type_one_hot(const TypeRuleArgs&);
std::vector<Type> type_argmax(const TypeRuleArgs&);
std::vector<Type> type_correct(const TypeRuleArgs&);
std::vector<Type> type_bn_train(const TypeRuleArgs&);
std::vector<Type> type_bn_grad(const TypeRuleArgs&);
std::vector<Type> type_bn_eval(const TypeRuleArgs&);
std::vector<Type> type_dropout(const TypeRuleArgs&);
// type_rules_image.cpp: convolution and pooling over NCHW images.
std::vector<Type> type_conv2d(const TypeRuleArgs&);
std::vector<Type> type_conv2d_input_grad(const TypeRuleArgs&);
std::vector<Type> type_conv2d_weight_grad(const TypeRuleArgs&);
std::vector<Type> type_pool2d(const TypeRuleArgs&);
std::vector<Type> type_max_pool2d_grad(const TypeRuleArgs&);
std::vector<Type> type_avg_pool2d_grad(const TypeRuleArgs&);
// A fused node's types come from its body (see fused_result_types in graph.h).
std::vector<Type> type_fused(const TypeRuleArgs&);

}  // namespace minigrad::ir
