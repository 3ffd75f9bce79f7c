// What the code generator needs to know of each node's kernel: the emitter of its
// op family (the JIT's op table: one switch, -Werror=switch finds a missing op),
// whether it can fail on data (then it returns a status and names its node),
// whether it may run in place over an operand, the scratch it needs, and the
// cycles it is expected to take (whether splitting it over threads pays).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "backend/llvm/homes.h"
#include "backend/llvm/kernel.h"
#include "ir/graph.h"

namespace minigrad::jit {

inline int64_t aligned(int64_t bytes) { return (bytes + 63) / 64 * 64; }

// A fused node compiled as one elementwise loop.
bool single_loop(const ir::Node& n);
// The operand that is a masked node's row count (docs/ir.md, "Partial batches"),
// or nothing for a node that is not masked.
std::optional<size_t> row_count_operand(const ir::Node& n);
// The row counts the entry of top-level function f checks once, before any kernel
// runs (codegen.cpp): inputs of f that masked nodes (in fused bodies too) take as
// their row count, each with the fewest rows of those nodes and the first node
// with that many rows (to name in the error).
struct EntryRowCount {
  ir::ValueId value;
  int64_t rows;
  const ir::Node* node;
};
std::vector<EntryRowCount> entry_row_counts(const ir::Function& f);
// Whether the node's kernel checks its data (labels, i32 division, casts to i32,
// a row count that is not in `checked`: those the function's entry checked).
bool node_can_fail(const ir::Function& f, const ir::Node& n, const std::set<ir::ValueId>& checked = {});
// `checked` (values of f) as the values of the fused node n's body.
std::set<ir::ValueId> checked_in_body(const ir::Node& n, const std::set<ir::ValueId>& checked);
// Whether n's kernel may write its results over operand `operand`.
bool in_place_ok(const ir::Function& f, const ir::Node& n, size_t operand);

// Cycles a kernel is expected to take, to decide whether splitting it across
// threads pays. A parallel region costs a microsecond or so of handing out and
// waiting, and more in the kernels after it, which read what the other core
// wrote (from its cache, not theirs): on the seed's step at 64 rows the split
// GEMMs (14 us each) and Adam loop (5 us) were no faster split, and the kernels
// after them slower, so that the step went from 47 to 60-75 us on two cores.
// Kernels of tens of microseconds and more are split (the evaluation's, large
// batches), and the pool still runs each alone when that is faster
// (thread_pool.h).
constexpr int64_t kParallelCycles = 100000;
constexpr int64_t kTasksPerThread = 8;
int64_t work_cycles(const ir::Function& f, const ir::Node& n, unsigned lanes);
// The vector instructions one element vector of an elementwise op costs: 1 for
// arithmetic, more where the op is a sequence of them (dropout's counter hash, the
// polynomials of exp, log, tanh, ...).
int64_t elementwise_vector_ops(const ir::Node& n);
// The same summed over a fused body's elementwise nodes (constants are free),
// with a load per array input and a store per output if `loads_and_stores`.
int64_t body_vector_ops(const ir::Function& body, bool loads_and_stores);

// The scratch bytes a node's kernel needs (packed GEMM panels, a fused body's frame).
int64_t kernel_scratch(const ir::Function& f, const ir::Node& n, const TargetInfo& target);
// Planned values, snapshots, then the largest scratch any kernel needs, once per thread.
int64_t frame_bytes(const ir::Function& f, const Homes& h, const TargetInfo& target, int threads = 1);

// Emits the kernel of a node that is a kernel on its own, by its op family.
void emit_kernel_body(Kernel& k);

}  // namespace minigrad::jit
