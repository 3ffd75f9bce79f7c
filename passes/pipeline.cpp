// The pass pipeline; see pipeline.h.
#include "passes/pipeline.h"

#include "ir/verifier.h"
#include "passes/autodiff.h"

namespace minigrad::passes {

void run_pipeline(ir::Module& m, const PipelineOptions&) {
  Autodiff().run(m);
  ir::verify(m);
}

}  // namespace minigrad::passes
