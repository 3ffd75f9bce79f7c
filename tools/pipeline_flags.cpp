// Pipeline flags; see pipeline_flags.h.
#include "tools/pipeline_flags.h"

#include "passes/registry.h"

namespace minigrad::tools {

void add_pipeline_flags(CLI::App* cmd, passes::PipelineOptions& o) {
  const std::string group = "Pass pipeline";
  // One value per occurrence, so that a positional argument after the flag is not
  // taken as a second pass name.
  repeatable(cmd->add_option("--disable-pass", o.disabled,
                             "switch a pass off (repeatable; 'all': every pass but autodiff): " + passes::pass_names()))
      ->group(group);
  cmd->add_flag("--print-after-all", o.print_after_all, "print the IR after every pass (to stderr)")->group(group);
  repeatable(cmd->add_option("--print-after", o.print_after, "print the IR after this pass (repeatable)"))->group(group);
  cmd->add_flag("--print-changed", o.print_changed,
                "print the IR only after passes that changed it (alone: after every such pass)")->group(group);
  cmd->add_flag("--time-passes", o.time_passes, "print the time each pass took")->group(group);
  cmd->add_flag("--stats", o.stats, "print each function's nodes by op before and after each pass")->group(group);
  cmd->add_option("--dump-dir", o.dump_dir, "write the IR after each pass to DIR/NN-PASS.mgir")->group(group);
  cmd->add_flag("--debug-fusion", o.debug_fusion, "say what each fusion fused and what it declined, and why")
      ->group(group);
}

}  // namespace minigrad::tools
