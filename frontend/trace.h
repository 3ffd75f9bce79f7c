// TraceContext: the function being traced. While a model's forward pass runs, one
// TraceContext is current (per thread); tensor operations and modules append
// nodes to its function through an ir::Builder, declare the state they use in its
// module, and read whether the trace is for training or for evaluation.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "frontend/here.h"
#include "frontend/tensor.h"
#include "ir/builder.h"
#include "ir/graph.h"

namespace minigrad {

ir::SourceLoc to_loc(const Here& here);

// The share of one rank in a data-parallel training step (runtime/distributed):
// the function is traced for this rank's `rows` rows of each global batch of
// global_rows rows, starting at row_offset. The layers whose result depends on
// the rows of the whole batch read it: batch normalisation (statistics over the
// global batch with sync_batchnorm, all_reduce), dropout (masks drawn by global
// row), the loss (scaled to its share of the global mean). ranks == 1: one
// process, traced as always.
struct Sharding {
  int ranks = 1;
  int64_t rows = 0;         // this rank's rows (the traced batch)
  int64_t global_rows = 0;
  int64_t row_offset = 0;
  bool sync_batchnorm = true;
  bool active() const { return ranks > 1; }
};

class TraceContext {
 public:
  // Makes this context current until it is destroyed; traces do not nest.
  TraceContext(ir::Module& m, ir::Function& f, bool training);
  ~TraceContext();
  TraceContext(const TraceContext&) = delete;
  TraceContext& operator=(const TraceContext&) = delete;

  // The current context; an Error if no trace is running.
  static TraceContext& current();

  ir::Module& module() { return module_; }
  ir::Function& function() { return function_; }
  bool training() const { return training_; }
  ir::Type type(const Tensor& t) const { return function_.type(t.id()); }

  Tensor wrap(ir::ValueId v) { return Tensor(this, v); }
  ir::ValueId id(const Tensor& t) const;  // Error if t belongs to another trace
  std::vector<ir::ValueId> emit(ir::Op op, std::vector<ir::ValueId> operands, ir::Attrs attrs, const Here& here);
  Tensor emit1(ir::Op op, std::vector<ir::ValueId> operands, ir::Attrs attrs, const Here& here);
  Tensor constant(double value, const ir::Type& type, const Here& here);
  Tensor input(const std::string& name, const ir::Type& type, const Here& here);
  void output(const std::string& name, const Tensor& v, const Here& here);

  // Declares `decl` in the module (if new) and loads it; each state is loaded once
  // per function, so a module used twice shares its parameters.
  Tensor state(const ir::StateDecl& decl, const Here& here);
  void store(const std::string& name, const Tensor& v, const Here& here);
  // Parameters loaded so far, in order of first use.
  const std::vector<std::string>& params() const { return params_; }
  Tensor loaded(const std::string& name) const;

  // The training step counter (after this step's increment) and the run's seed,
  // i32 scalars that dropout masks are drawn from.
  void set_step(const Tensor& step) { step_ = step; }
  Tensor step(const Here& here);
  Tensor seed(const Here& here);
  int64_t next_salt() { return salt_++; }

  // A masked trace (docs/ir.md, "Partial batches"): n_rows is the i32[] row count
  // input and `batch` the traced rows. row_count(x) is n_rows when x's first axis
  // is the batch's (the ops over rows take it as their last operand), else undefined.
  void set_row_count(const Tensor& n_rows, int64_t batch) { row_count_ = n_rows, batch_ = batch; }
  Tensor row_count(const Tensor& x) const;

  // Set by the tracer for a training step of a data-parallel run; inactive otherwise.
  void set_sharding(const Sharding& s) { sharding_ = s; }
  const Sharding& sharding() const { return sharding_; }

 private:
  ir::Module& module_;
  ir::Function& function_;
  ir::Builder builder_;
  bool training_;
  std::map<std::string, ir::ValueId> loaded_;
  std::vector<std::string> params_;
  Tensor step_;
  Tensor row_count_;
  int64_t batch_ = 0;
  int64_t salt_ = 0;
  Sharding sharding_;
};

}  // namespace minigrad
