// Which machine the LLVM code generator writes code for, as the user names it:
// an LLVM target triple, a CPU and extra features. The empty spec is the host (the
// JIT's only target); any other spec is for dumps (`dump-ir --target`) and ahead-
// of-time objects (`minigradc compile --target`). This header has no LLVM types, so
// the tools can hold a spec; backend/llvm/target.h turns it into a TargetMachine and
// the TargetInfo the code generator reads.
#pragma once

#include <string>

namespace minigrad::jit {

struct TargetSpec {
  std::string triple;    // "aarch64-apple-macos", "x86_64-linux-gnu"; "" = the host's
  std::string cpu;       // "apple-m1", "skylake-avx512"; "" = the host's CPU for the host, else "generic"
  std::string features;  // "+sve,-fma" added to the CPU's own; "" = the CPU's own
  // The host itself: the CPU and features LLVM detects and the caches it reports.
  bool is_host() const { return triple.empty() && cpu.empty() && features.empty(); }
};

}  // namespace minigrad::jit
