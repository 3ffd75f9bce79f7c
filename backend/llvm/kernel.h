// What every kernel emitter of the LLVM backend shares. A kernel is one generated
// function that computes one node (or one fused group): it receives a pointer per
// result and per operand, a scratch area and an error record, and is emitted by
// the emitter of its op family, declared below (one file per family). The entry
// function (codegen.cpp) calls the kernels in the order of the nodes.
//
// Kernels that can fail on bad input (a label out of range, an integer division by
// zero, a float that does not fit in i32) return i32: 0, or 1 after filling the
// error record {site, a, b}; the site names the node, and the executable turns the
// record into a minigrad::Error with the node's source location.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "backend/llvm/emitter.h"
#include "ir/graph.h"

namespace minigrad::jit {

// One operand or result as a kernel sees it.
struct Operand {
  ir::Type type;
  llvm::Value* ptr = nullptr;       // the kernel's parameter
  std::optional<double> constant;   // the operand is a constant node of this value
};

// The kind of check that failed, for the error message.
enum class Check { Label, IntDivByZero, CastToI32, RowCount };

// A place where generated code checks its input: the node, and how to word it.
struct ErrorSite {
  ir::Op op;
  ir::Locs locs;
  Check check;
  int64_t classes = 0;  // Label: the number of classes; RowCount: the rows of the batch
};

// The error sites of a whole compiled function, shared by its kernels.
class ErrorSites {
 public:
  int64_t add(const ir::Node& node, Check check, int64_t classes = 0) {
    sites_.push_back({node.op, node.locs, check, classes});
    return static_cast<int64_t>(sites_.size() - 1);
  }
  const std::vector<ErrorSite>& all() const { return sites_; }
  // "<op> at <loc>: <what>" for error record {site, a, b}.
  std::string message(int64_t site, int64_t a, int64_t b) const;

 private:
  std::vector<ErrorSite> sites_;
};

struct Kernel {
  Emitter& e;
  const ir::Node& node;
  std::vector<Operand> in, out;
  llvm::Value* scratch = nullptr;  // scratch_bytes(node) bytes, 64-byte aligned
  llvm::Value* err = nullptr;      // i64[3]: site, a, b
  ErrorSites* sites = nullptr;
  // A kernel that can be split across threads sets `units`, the number of
  // independent slices of its work (row tiles, feature blocks, ...), and, when
  // begin and end (i64) are given, does only slices [begin, end).
  llvm::Value *begin = nullptr, *end = nullptr;
  int64_t units = 0;
  int threads = 1;  // the threads a split kernel's units are shared by (1: not split)
  bool can_fail = false;  // made with can_fail: returns a status (node_can_fail)
  std::string note{};  // how the kernel was lowered, for dumps (a GEMM's plan)

  ir::DType dtype(size_t operand) const { return in[operand].type.dtype; }
  const ir::Shape& shape(size_t operand) const { return in[operand].type.shape; }
  // Returns 1 from the kernel when `bad` (i1) holds, after recording (site, a, b);
  // a and b are i64. Only in kernels made with can_fail.
  void fail_if(llvm::Value* bad, int64_t site, llvm::Value* a, llvm::Value* b);
};

// The row count of a masked node (docs/ir.md, "Partial batches") at `ptr` (i32[]),
// as i64, checked to be in [1, rows] (an error naming the node otherwise) unless
// the kernel cannot fail (the function's entry checked it: node_can_fail); null
// when `ptr` is null (the node is not masked).
llvm::Value* checked_row_count(Kernel& k, llvm::Value* ptr, int64_t rows);
// The row-count operand's pointer of a node whose row count is operand `index`, or null.
inline llvm::Value* row_count_ptr(const Kernel& k, size_t index) {
  return k.node.operands.size() > index ? k.in[index].ptr : nullptr;
}

// ---- the families (one .cpp each)
// elementwise.cpp: every kElementwise op (broadcasting, dropout) and broadcast_to.
void emit_elementwise(Kernel& k);
void emit_broadcast_to(Kernel& k);
// The single loop of a fused elementwise body: inputs broadcast to the outputs'
// iteration shape; every body node is kElementwise or a constant.
void emit_elementwise_body(Kernel& k, const ir::Function& body);
bool is_elementwise_body(const ir::Function& body);
// Whether a kernel of this elementwise body must run element by element and may fail.
bool has_checked_op(const ir::Function& body);
// reduce.cpp: reduce_sum, reduce_mean, reduce_max.
void emit_reduce(Kernel& k);
// layout.cpp
void emit_reshape(Kernel& k);
void emit_transpose(Kernel& k);
void emit_slice(Kernel& k);
void emit_pad(Kernel& k);
void emit_mask_rows(Kernel& k);
// gemm/gemm.cpp
void emit_matmul(Kernel& k);
int64_t matmul_scratch_bytes(const ir::Type& a, const ir::Type& b, bool transpose_a, bool transpose_b,
                             const TargetInfo& target);
// rowwise.cpp: softmax and log_softmax along the last axis.
void emit_softmax(Kernel& k, bool log);
// losses.cpp: softmax_xent and nll (labels checked), mse, one_hot, argmax, correct.
void emit_class_loss(Kernel& k, bool from_logits);
void emit_mse(Kernel& k);
void emit_one_hot(Kernel& k);
void emit_argmax(Kernel& k);
void emit_correct(Kernel& k);
// collective.cpp: all_reduce, a call into the host.
void emit_all_reduce(Kernel& k);
// all_reduce_start / all_reduce_wait: a call to `symbol` (run_context.h) with the bucket's addresses.
void emit_all_reduce_half(Kernel& k, const char* symbol);
// batch_norm.cpp
void emit_batch_norm_train(Kernel& k);
void emit_batch_norm_eval(Kernel& k);
void emit_batch_norm_grad(Kernel& k);

}  // namespace minigrad::jit
