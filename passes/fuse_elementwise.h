// fuse-elementwise: chains of elementwise ops (and broadcast_to reads) over one
// shape become one `fused {kind="elementwise"}` node: one loop, no buffer between
// its parts. A node joins the group of each elementwise producer of the same
// shape, so producers shared by several consumers end up in one group with
// several outputs. Inputs of smaller shapes (a bias, a scalar) are broadcast
// inside the loop.
// It applies after autodiff and the other fusions, to what they left. It does not
// fuse across shapes (a scalar chain is its own loop: recomputing it per element
// would multiply its cost), through reductions, layout ops other than
// broadcast_to, matmuls or fused nodes, nor form a group of one node; it declines a
// merge that would make a fused node depend on itself, and says so under
// --debug-fusion.
#pragma once

#include "passes/pass.h"

namespace minigrad::passes {

class FuseElementwise : public Pass {
 public:
  std::string_view name() const override { return "fuse-elementwise"; }
  bool run(ir::Module& m) override;
};

}  // namespace minigrad::passes
