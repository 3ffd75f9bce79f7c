// The pass manager: runs an ordered list of passes over a module, verifying it
// after each one (ir::verify, and every fused node against its kind's contract,
// passes/fusion_contract.h, unless the input already had fused nodes outside it), with the instrumentation of PipelineOptions: printing the IR
// after all or named passes (or only after changes), a dump directory with one
// file per pass, time per pass, and node counts by op before and after each pass.
// Disabled passes are skipped (and said so when printing); a verification failure
// names the pass that broke the module.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "passes/pass.h"
#include "passes/pipeline.h"

namespace minigrad::passes {

// Number of top-level nodes of each op in a function ("fused.elementwise" for a
// fused node of that kind), and the total.
using OpCounts = std::map<std::string, int>;
OpCounts count_ops(const ir::Function& f);

// What happened to one pass.
struct PassRecord {
  std::string name;
  bool ran = false;  // false: disabled
  bool changed = false;
  double seconds = 0;
  uint64_t visits = 0;  // node visits during the pass (ir::node_visit_count): its work
  std::map<std::string, OpCounts> counts;  // per function, after the pass
};

class PassManager;
// The records of the latest PassManager::run on this thread.
const std::vector<PassRecord>& last_records();

class PassManager {
 public:
  explicit PassManager(PipelineOptions options);

  void add(std::unique_ptr<Pass> pass);
  // Runs every pass in order (skipping disabled ones) and returns the records;
  // last_records() keeps the records of the latest run on this thread (run_pipeline's);
  // prints what the options ask for as it goes, and the timing and statistics
  // tables at the end.
  const std::vector<PassRecord>& run(ir::Module& m);
  const std::vector<PassRecord>& records() const { return records_; }

 private:
  bool disabled(std::string_view name) const;
  void after_pass(const Pass& p, const ir::Module& m, PassRecord& r, size_t index);
  void write_dump(const std::string& file, const std::string& text) const;
  void print_timing() const;
  void print_stats(const std::map<std::string, OpCounts>& input) const;

  PipelineOptions options_;
  PassContext ctx_;
  std::vector<std::unique_ptr<Pass>> passes_;
  std::vector<PassRecord> records_;
};

}  // namespace minigrad::passes
