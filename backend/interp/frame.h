// One run of a function in the interpreter: a buffer per SSA value, the caller's
// input and output views, and the state writes that wait for the function to
// return. `execute` (dispatch.cpp) runs one node of the run; the executable
// (interp.cpp) binds each source and sink node to its input, output or state buffer
// when it compiles the function, and applies the waiting state writes at the end.
#pragma once

#include <span>
#include <utility>
#include <vector>

#include "backend/buffer.h"
#include "ir/graph.h"

namespace minigrad::interp {

// What a source or sink node reads or writes outside the function.
struct Binding {
  size_t io = 0;            // input: its index in the inputs; output: in the outputs
  Buffer* state = nullptr;  // load_state, store_state: the StateStore's buffer
};

struct Frame {
  std::vector<Buffer> values;  // indexed by ValueId
  std::span<const TensorView> inputs, outputs;
  std::vector<std::pair<Buffer*, const Buffer*>> stores;  // (state, new value), applied on return
};

// Runs one node: reads the buffers of its operands, writes those of its results.
void execute(const ir::Node& node, const Binding& binding, Frame& frame);

}  // namespace minigrad::interp
