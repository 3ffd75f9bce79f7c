// cse: common subexpression elimination. A node that computes what an earlier
// node computes (the same op, attributes and operands; for add and mul, operands
// in either order, since IEEE addition and multiplication are commutative) is
// replaced by the earlier one. Constants of the same type and value, and loads of
// the same state (every load sees the state as on entry), are shared too; so are
// dropouts with the same operands and salt (the same mask). It applies to every
// function after autodiff, where VJP rules and optimisers repeat constants and
// subexpressions. It does not merge inputs, sinks or fused nodes, and does not
// reorder maximum/minimum operands (NaN and signed-zero results depend on order).
#pragma once

#include "passes/pass.h"

namespace minigrad::passes {

class Cse : public Pass {
 public:
  std::string_view name() const override { return "cse"; }
  bool run(ir::Module& m) override;
};

}  // namespace minigrad::passes
