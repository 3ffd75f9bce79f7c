// Sample uses of every op of the op table, shared by the test suites: the IR round
// trip, the interpreter's kernels, the gradient checks and the JIT-vs-interpreter
// agreement. samples_for() switches over Op with no default case, so an op added to
// ir/ops.def does not compile until it has samples here.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "backend/buffer.h"
#include "ir/graph.h"

namespace minigrad::testing {

// How a sample's operand is filled with values.
enum class Gen {
  Normal,        // N(0, 1)
  Positive,      // U(0.5, 2)
  AwayFromZero,  // N(0, 1) with |x| >= 0.1, so kinks (relu, abs) are not straddled by finite differences
  Mask01,        // 0 or 1
  Labels,        // i32 in [0, classes)
  SmallInt,      // i32 in [0, 1000)
  RowCount,      // an i32 row count in [1, classes] (classes: the rows)
  Ties,          // -1, 0 or 1 by the flat index (i mod 3 - 1): a {3,4} operand against a {4} one
                 // is equal in row 0, less or greater in rows 1 and 2, for every seed
};

struct OperandSpec {
  ir::Type type;
  Gen gen = Gen::Normal;
  int64_t classes = 0;        // for Gen::Labels
  bool differentiable = true; // a float operand that the gradient check perturbs
};

struct OpSample {
  std::string label;  // "matmul ta" etc., for test names and messages
  ir::Op op;
  std::vector<OperandSpec> operands;
  ir::Attrs attrs;
  std::shared_ptr<const ir::Function> body = nullptr;  // for fused
};

// At least one sample per op; empty only for sources, sinks and grad, which
// samples cannot exercise alone (the round-trip module covers them).
std::vector<OpSample> samples_for(ir::Op op);
std::vector<OpSample> all_samples();

// A module with one function @f: an input per operand ("in0", ...), the op, and an
// output per result ("out0", ...).
ir::Module sample_module(const OpSample& s);

// Operand values drawn from the sample's generators with a fixed seed.
std::vector<Buffer> sample_inputs(const OpSample& s, uint32_t seed);

// A module with every op, sources, sinks and grad included (for the round trip).
ir::Module module_with_every_op();

}  // namespace minigrad::testing
