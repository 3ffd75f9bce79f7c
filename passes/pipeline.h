// The pass pipeline that takes a traced module to what a backend executes: an
// ordered list of passes, each with the reason it sits where it does (see
// pipeline.cpp), run by the pass manager with the instrumentation that
// PipelineOptions asks for. Stages name points of the pipeline, for
// `minigradc dump-ir --stage`:
//   traced     nothing run
//   fused      after the passes before autodiff (canonicalize, fuse-softmax-xent)
//   autodiff   after autodiff
//   optimized  after simplification and every fusion
//   planned    after memory planning (the whole pipeline)
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"

namespace minigrad::passes {

struct PipelineOptions {
  std::vector<std::string> disabled;     // --disable-pass=NAME ("all": every pass that can be)
  bool print_after_all = false;          // --print-after-all
  std::vector<std::string> print_after;  // --print-after=NAME
  bool print_changed = false;            // --print-changed: print only after passes that changed the IR
  bool time_passes = false;              // --time-passes: a table of seconds per pass at the end
  bool stats = false;                    // --stats: nodes by op before and after each pass
  std::string dump_dir;                  // --dump-dir: one file of IR per pass
  bool debug_fusion = false;             // --debug-fusion: fusers say what they fuse and decline
  bool print_locs = true;                // source locations in printed IR
  std::FILE* log = nullptr;              // where prints, notes, timings go (nullptr: stderr)
};

enum class Stage { Traced, Fused, Autodiff, Optimized, Planned };
std::string_view stage_name(Stage s);
std::optional<Stage> parse_stage(std::string_view name);
inline constexpr const char* kStageNames = "traced|fused|autodiff|optimized|planned";

// One entry of the pipeline: a pass by CLI name, why it is there, and the stage it
// completes when it has run.
struct PipelineEntry {
  std::string_view pass;
  std::string_view reason;
  Stage stage;
};
const std::vector<PipelineEntry>& default_pipeline();

// Runs the pipeline over `m` in place, up to and including stage `until`, and
// verifies the module after every pass. Error for an unknown or required pass in
// options.disabled, an unknown name in options.print_after, or a pass's failure.
void run_pipeline(ir::Module& m, const PipelineOptions& options = {}, Stage until = Stage::Planned);

// Checks the names in the options (unknown passes, disabling autodiff) without
// running anything; run_pipeline does the same.
void check_options(const PipelineOptions& options);

}  // namespace minigrad::passes
