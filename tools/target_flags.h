// --target TRIPLE, --cpu CPU and --target-features F: the machine that dump-ir and
// compile write code for (backend/llvm/target_spec.h; none given: the host). The
// commands that run code (train) are host-only: they take the flags only to refuse
// them with a message naming the flag and the commands that take it.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "backend/llvm/target_spec.h"

namespace minigrad::tools {

struct TargetFlags {
  std::string triple, cpu, features;
  jit::TargetSpec spec() const { return {triple, cpu, features}; }
};

void add_target_flags(CLI::App* cmd, TargetFlags& flags);

// For a command that runs the JIT: Error naming the first target flag given.
void check_host_only(const TargetFlags& flags, const char* command);

}  // namespace minigrad::tools
