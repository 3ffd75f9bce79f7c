// The interface of a pass: a named rewrite of a module. run() returns whether
// anything changed, or throws minigrad::Error naming the node and its source line.
// The pass manager (passes/pass_manager.h) runs an ordered list of passes and
// verifies the module after each one.
#pragma once

#include <string_view>

#include "ir/graph.h"

namespace minigrad::passes {

class Pass {
 public:
  virtual ~Pass() = default;
  virtual std::string_view name() const = 0;  // the CLI name: --disable-pass=NAME
  virtual bool run(ir::Module& m) = 0;
};

}  // namespace minigrad::passes
