// The contract of docs/fusion-kinds.md as code: check_fused_node() accepts a fused
// node exactly when its body has the form its kind promises, and otherwise throws
// Error naming the node, its source lines and the rule it breaks. The pass manager
// checks every fused node after every pass; a backend can call it before lowering.
#pragma once

#include "ir/graph.h"

namespace minigrad::passes {

void check_fused_node(const ir::Function& f, const ir::Node& n);

// Every fused node of the module.
void check_fusion_contract(const ir::Module& m);

}  // namespace minigrad::passes
