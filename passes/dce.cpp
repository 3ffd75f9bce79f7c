// Dead code elimination; see dce.h. The walk itself is remove_dead_nodes
// (fusion.h), which the fusers share.
#include "passes/dce.h"

#include "passes/fusion.h"

namespace minigrad::passes {

bool Dce::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs) changed = remove_dead_nodes(f) > 0 || changed;
  return changed;
}

}  // namespace minigrad::passes
