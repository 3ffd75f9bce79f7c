// What the host CPU reports about its data caches, for the GEMM's cache blocking
// (gemm/plan.cpp). On Linux with glibc, sysconf's cache entries (read from CPUID
// or the device tree); on macOS, the hw.l1dcachesize/hw.l2cachesize/hw.l3cachesize
// sysctls; elsewhere, or where a figure is missing or implausible (virtual
// machines report a whole host's L3), the defaults of TargetInfo stay.
#pragma once

#include "backend/llvm/emitter.h"

namespace minigrad::jit {

// Sets t's l1d_bytes, l2_bytes and l3_bytes from what the host reports.
void read_host_caches(TargetInfo& t);

}  // namespace minigrad::jit
