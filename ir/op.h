// The Op enum and its static description, expanded from ir/ops.def. Consumers
// switch over Op without a default case (-Werror=switch), so a new op fails to
// compile until every consumer handles it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "ir/attrs.h"
#include "ir/types.h"

namespace minigrad::ir {

enum class Op : uint16_t {
#define OP(E, ...) E,
#include "ir/ops.def"
#undef OP
};

inline constexpr int kVariadic = -1;

// Groups of ops; passes test membership instead of listing ops.
enum OpTrait : uint32_t {
  kNone = 0,
  kSource = 1u << 0,       // no operands: input, state, constant
  kSink = 1u << 1,         // no results, side effect: store_state, output
  kElementwise = 1u << 2,  // result[i] depends on operand[i] only (after broadcasting)
  kCommutative = 1u << 3,  // binary op with f(a, b) == f(b, a)
  kReduce = 1u << 4,       // reduces a list of axes
  kLayout = 1u << 5,       // moves data, computes nothing
  kMatmul = 1u << 6,
  kRowwise = 1u << 7,      // independent per row, along the last axis
  kLoss = 1u << 8,         // scalar loss of a batch
  kNorm = 1u << 9,         // batch normalisation
  kZeroGrad = 1u << 10,    // gradient is zero (or undefined): autodiff stops here
  kNoVjp = 1u << 11,       // no VJP rule: autodiff reports an error if one is needed
  kCollective = 1u << 12,  // communicates with the other ranks: every rank must run it, in the same order;
                           // passes never remove, merge, reorder, fold or fuse it
  kConv = 1u << 13,        // a convolution over NCHW images, or one of its VJPs
  kPool = 1u << 14,        // a pooling over NCHW images, or one of its VJPs
};

struct TypeRuleArgs;
using TypeRule = std::vector<Type> (*)(const TypeRuleArgs&);

struct OpInfo {
  Op op;
  std::string_view name;
  int num_operands;  // or kVariadic
  int num_results;   // or kVariadic
  uint32_t traits;
  TypeRule type_rule;  // nullptr: result type declared by the creator (sources)
  std::span<const AttrSpec> attrs;

  bool has(OpTrait t) const { return (traits & t) != 0; }
  const AttrSpec* attr(std::string_view attr_name) const;
};

const OpInfo& op_info(Op op);
std::span<const OpInfo> all_ops();
std::optional<Op> op_by_name(std::string_view name);
inline std::string_view op_name(Op op) { return op_info(op).name; }

}  // namespace minigrad::ir
