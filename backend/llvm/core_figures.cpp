// The cores' figures; see core_figures.h. Sources: the vendors' optimisation
// guides (Intel's for Skylake-SP to Sapphire Rapids, AMD's for Zen 2 to 4, Arm's
// Neoverse and Cortex-A software optimisation guides) and the measurements of
// Apple's cores published by Dougall Johnson. The numbers are for the vector FMA
// at the register width the code uses (AVX-512 or AVX2 on x86-64, 128-bit NEON on
// AArch64): x86-64 cores issue two per cycle with a 4-cycle latency and load two
// vectors a cycle; Apple's big cores issue four 128-bit FMAs a cycle (latency 4)
// and load three; Arm's Neoverse V1/V2 four (latency 4) with three loads; the
// other AArch64 cores (Neoverse N1/N2, Cortex-A7x, and the `generic` CPU LLVM
// reports under qemu or for an unknown part) two, with two loads.
#include "backend/llvm/core_figures.h"

#include <llvm/TargetParser/Triple.h>

#include "ir/error.h"

namespace minigrad::jit {
namespace {

struct Figures {
  unsigned fma_per_cycle, fma_latency, loads_per_cycle;
};

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

Figures aarch64_figures(const std::string& cpu) {
  if (starts_with(cpu, "apple-")) return {4, 4, 3};
  if (cpu == "neoverse-v1" || cpu == "neoverse-v2" || cpu == "neoverse-v3") return {4, 4, 3};
  return {2, 4, 2};
}

}  // namespace

void set_core_figures(TargetInfo& t) {
  llvm::Triple triple(t.triple);
  Figures f{};
  switch (triple.getArch()) {
    case llvm::Triple::x86_64:
      f = {2, 4, 2};
      break;
    case llvm::Triple::aarch64:
    case llvm::Triple::aarch64_be:
      f = aarch64_figures(t.cpu);
      break;
    default:
      fail("target {} (CPU {}): minigrad has no figures for this architecture's cores (backend/llvm/core_figures.cpp); "
           "x86-64 and AArch64 are known",
           t.triple, t.cpu);
  }
  t.fma_per_cycle = f.fma_per_cycle;
  t.fma_latency = f.fma_latency;
  t.loads_per_cycle = f.loads_per_cycle;
}

}  // namespace minigrad::jit
