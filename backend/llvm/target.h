// Target selection: one place that turns a TargetSpec (target_spec.h) into an
// llvm::TargetMachine and the TargetInfo the code generator reads (vector width
// and register count as the target's cost model reports them, FMA issue and
// latency, cache sizes), runs the O3 pipeline for it, and prints assembly or
// writes an object for it. The JIT (jit.h) uses the host instance; dumps and the
// ahead-of-time compiler (aot.h) use any registered target.
//
// Registered targets: X86 and AArch64 (and the host's, whatever it is). Figures a
// triple and CPU cannot tell LLVM's cost model (FMA ports and latency, caches)
// come, for the host, from what the host reports (host_cpu.h); for any other
// target, from the table of documented per-CPU figures in target.cpp (docs/aot.md
// lists it), never from this machine. A CPU missing from the table gets
// TargetInfo's defaults, and figures_note says so.
#pragma once

#include <memory>
#include <string>

#include <llvm/IR/Module.h>
#include <llvm/Support/Error.h>
#include <llvm/Target/TargetMachine.h>

#include "backend/llvm/emitter.h"
#include "backend/llvm/target_spec.h"

namespace minigrad::jit {

// Registers the X86, AArch64 and native targets with LLVM (once per process).
void initialise_targets();

// The host as LLVM detects it: process triple, CPU name, its features.
TargetSpec host_spec();

struct Target {
  TargetSpec spec;  // resolved: a normalised triple, a CPU name, the features
  bool host = false;
  std::unique_ptr<llvm::TargetMachine> machine;
  TargetInfo info;
  std::string figures;  // where info's figures came from, one line (dumps print it)
};

// The target `spec` names; pic: position-independent code (objects for libraries).
// Error naming --target or --cpu for a triple LLVM cannot generate code for or a CPU
// it does not know for that triple.
Target make_target(const TargetSpec& spec, bool pic = false);

// The TargetInfo of `tm` (vector width and registers from its cost model); the
// cache and FMA figures are the host's if `host`, else those of tm's CPU.
TargetInfo target_info(llvm::TargetMachine& tm, bool host, std::string* figures = nullptr);

// LLVM's O3 pipeline (or $MINIGRAD_JIT_PIPELINE, jit.h's custom_pipeline) for tm over m.
llvm::Error run_pipeline(llvm::Module& m, llvm::TargetMachine& tm);
// m as tm's assembly, or as an object file's bytes.
std::string assembly(llvm::Module& m, llvm::TargetMachine& tm);
std::string object_code(llvm::Module& m, llvm::TargetMachine& tm);

}  // namespace minigrad::jit
