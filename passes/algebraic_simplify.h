// algebraic-simplify: removes algebraic identities, mostly those that VJP rules
// and optimisers leave behind. Each rule is one entry of a table in
// algebraic_simplify.cpp with its algebra; all are exact in IEEE arithmetic (the
// one exception, x + 0 for x = -0, is stated at its rule):
//   x*1, 1*x, x/1, x+0, 0+x, x-0 -> x;  x*-1 -> neg(x);  neg(neg(x)) -> x;
//   x + neg(y), neg(y) + x -> x - y;  x - neg(y) -> x + y;  select(c, x, x) -> x;
//   pow(x, 1) -> x;  transpose(transpose(x)) -> x;  reshape(reshape(x)) -> reshape(x);
//   reshape or broadcast_to to x's own shape -> x;
//   [x > 0] -> [act(x) > 0] where act(x) = relu(x) or leaky_relu(x) exists already
//     (so x need not live until the backward: the activation's sign is x's).
// A rule applies only when the result keeps the node's type (no broadcasting is
// lost). It runs to a fixed point. It does not apply rules that are exact only
// without NaN or infinities (x*0 -> 0, x - x -> 0), nor reassociate (a*c1)*c2.
#pragma once

#include "passes/pass.h"

namespace minigrad::passes {

class AlgebraicSimplify : public Pass {
 public:
  std::string_view name() const override { return "algebraic-simplify"; }
  bool run(ir::Module& m) override;
};

}  // namespace minigrad::passes
