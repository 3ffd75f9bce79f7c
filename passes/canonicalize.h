// canonicalize: puts computations in one form, so that the patterns of later
// passes have one shape to match.
//   - add and mul with a constant operand first get it second: c + x -> x + c,
//     c * x -> x * c (IEEE addition and multiplication are commutative, exactly).
//   - log(softmax(x)) -> log_softmax(x) (equal in exact arithmetic; the right side
//     is the stable form: softmax can round to 0, whose log is -inf).
// It applies to every function, before autodiff or after. It does not reorder
// maximum/minimum (their NaN and signed-zero results depend on the order), does not
// sort non-constant operands, and does not remove a softmax that other nodes use.
#pragma once

#include "passes/pass.h"

namespace minigrad::passes {

class Canonicalize : public Pass {
 public:
  std::string_view name() const override { return "canonicalize"; }
  bool run(ir::Module& m) override;
};

}  // namespace minigrad::passes
