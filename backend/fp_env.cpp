// The floating-point control registers of each target; see fp_env.h.
#include "backend/fp_env.h"

#include "ir/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace minigrad {
namespace {

#if defined(__x86_64__) || defined(__i386__)
constexpr uint64_t kFlushBits = 0x8040;  // MXCSR bit 15 (FTZ: flush results) | bit 6 (DAZ: read operands as zero)
uint64_t read_mode() { return _mm_getcsr(); }
void write_mode(uint64_t m) { _mm_setcsr(static_cast<unsigned>(m)); }
#elif defined(__aarch64__)
constexpr uint64_t kFlushBits = uint64_t(1) << 24;  // FPCR.FZ: subnormal operands and results as zero
uint64_t read_mode() {
  uint64_t m;
  asm volatile("mrs %0, fpcr" : "=r"(m));
  return m;
}
void write_mode(uint64_t m) { asm volatile("msr fpcr, %0" : : "r"(m)); }
#endif

}  // namespace

bool denormals_as_zero_supported() {
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
  return true;
#else
  return false;
#endif
}

DenormalsAsZero::DenormalsAsZero(bool on) : on_(on) {
  if (!on_) return;
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
  saved_ = read_mode();
  write_mode(saved_ | kFlushBits);
#else
  fail("--flush-denormals: this target's floating-point mode is not known to minigrad (x86-64 and AArch64 are)");
#endif
}

DenormalsAsZero::~DenormalsAsZero() {
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
  if (on_) write_mode(saved_);
#endif
}

}  // namespace minigrad
