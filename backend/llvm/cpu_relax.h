// cpu_relax(): the hint a spinning thread gives its core between polls (x86's
// `pause`, AArch64's `yield`), so that the other hardware thread of the core and
// the memory system are not starved while a thread pool's worker waits. One of
// the two target-specific files (the other is backend/fp_env.cpp): each target has
// its instruction here, any other target gets a no-op.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace minigrad::jit {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace minigrad::jit
