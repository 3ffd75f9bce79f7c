// dce: dead code elimination. Removes every node whose results nothing uses,
// repeatedly, so whole dead chains go. Sinks (output, store_state) are the roots
// of liveness; inputs stay even when unused, since they are the function's
// signature. It applies to every function, after the simplifications that orphan
// nodes. It does not remove a state load that is used, reorder anything, or look
// inside fused bodies (the fusers never leave dead nodes there).
#pragma once

#include "passes/pass.h"

namespace minigrad::passes {

class Dce : public Pass {
 public:
  std::string_view name() const override { return "dce"; }
  bool run(ir::Module& m) override;
};

}  // namespace minigrad::passes
