// The floating-point environment a step runs in. By default it is IEEE's:
// subnormal numbers (below 2^-126 in f32) are computed exactly, which many CPUs do
// slowly, in microcode. DenormalsAsZero switches the calling thread to flush
// subnormal results to zero and read subnormal operands as zero (x86: MXCSR's FTZ
// and DAZ bits; AArch64: FPCR's FZ bit) for its lifetime, and puts the previous
// mode back; PyTorch's torch.set_flush_denormal(True) sets the same bits. Both
// backends hold one around each run when asked (--flush-denormals), and the JIT's
// pool workers keep the mode for their whole life.
//
// The one target-specific file outside backend/llvm/cpu_relax.h: each target's
// register is read and written in fp_env.cpp; on any other target, asking for the
// mode is an Error (denormals_as_zero_supported() tells beforehand).
#pragma once

#include <cstdint>

namespace minigrad {

bool denormals_as_zero_supported();

class DenormalsAsZero {
 public:
  // on = false: changes nothing (so that callers can hold one unconditionally).
  explicit DenormalsAsZero(bool on);
  ~DenormalsAsZero();
  DenormalsAsZero(const DenormalsAsZero&) = delete;
  DenormalsAsZero& operator=(const DenormalsAsZero&) = delete;

 private:
  bool on_;
  uint64_t saved_ = 0;
};

}  // namespace minigrad
