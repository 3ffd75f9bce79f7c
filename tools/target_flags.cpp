// The target flags; see target_flags.h.
#include "tools/target_flags.h"

#include "ir/error.h"

namespace minigrad::tools {

void add_target_flags(CLI::App* cmd, TargetFlags& f) {
  cmd->add_option("--target", f.triple,
                  "generate code for this LLVM target triple (x86_64-linux-gnu, aarch64-linux-gnu, "
                  "arm64-apple-macos) instead of the host");
  cmd->add_option("--cpu", f.cpu, "the target's CPU (apple-m1, neoverse-n1, skylake-avx512, ...; default: generic, "
                                  "or the host's CPU when no --target is given)");
  cmd->add_option("--target-features", f.features, "LLVM target features to add or remove (+sve,-fma)");
}

void check_host_only(const TargetFlags& f, const char* command) {
  const char* flag = !f.triple.empty() ? "--target" : !f.cpu.empty() ? "--cpu" : !f.features.empty() ? "--target-features" : nullptr;
  if (flag != nullptr)
    fail("{} {}: the JIT runs code on this machine only, so it compiles for the host; dump-ir and compile take {} "
         "to show or build code for another target",
         command, flag, flag);
}

}  // namespace minigrad::tools
