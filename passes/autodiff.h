// Autodiff: expands every grad(loss, w1..wn) node into the backward graph, in
// reverse mode, in the same function. It applies one VJP rule per forward node
// (vjp_rules.h) in reverse topological order, sums the contributions of every
// use, and replaces the grad node's results by the cotangents of w1..wn. Only
// active values get cotangents: those that depend on some wi and that the loss
// depends on; ops marked kZeroGrad stop the flow (argmax, cmp, one_hot, ...). A w
// the loss does not depend on gets a zero gradient. An op without a VJP rule on the
// path from the loss is an error naming it and its source line.
//
// The backward nodes carry the source location of the forward node they
// differentiate. Nodes a rule made that turn out unused are removed.
#pragma once

#include "passes/pass.h"

namespace minigrad::passes {

class Autodiff : public Pass {
 public:
  std::string_view name() const override { return "autodiff"; }
  bool run(ir::Module& m) override;
};

// Expands the grad nodes of one function; returns whether there were any.
bool expand_grads(ir::Function& f);

}  // namespace minigrad::passes
