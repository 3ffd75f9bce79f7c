// fma_peak: the single-core float32 arithmetic peak of this CPU, measured: a loop
// of independent fused multiply-adds on vectors of the host's widest registers,
// enough of them in flight to cover the FMA latency on every FMA port.
// GFLOP/s = 2 (multiply and add) x lanes x FMAs / second. No GEMM can beat it;
// bench/report.py states the GEMMs of the model's shapes as a share of it beside
// numpy's sgemm, which depends on the kernels OpenBLAS picks for the CPU.
//
// Portable: GCC vector types of 64 bytes, compiled for the host (-march=native,
// -ffp-contract=fast in bench/CMakeLists.txt), so acc * b + a becomes the target's
// FMA at its register width (one zmm with AVX-512, two ymm with AVX2, four q
// registers with NEON): the count of flops does not depend on how it is split.
// Prints one JSON object.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace {

typedef float v16 __attribute__((vector_size(64)));  // 16 floats
constexpr int kLanes = 16;
constexpr int kAcc = 16;  // independent chains: FMA latency 4-5 x 2-3 ports needs <= 15
constexpr long kIters = 20000000;
volatile float sink = 0;  // keeps the results, and so the loops, alive

using Clock = std::chrono::steady_clock;

double run_once() {
  v16 acc[kAcc], a, b;
  for (int l = 0; l < kLanes; ++l) a[l] = 1e-7f, b[l] = 0.999999f;
  for (v16& x : acc) x = a;
  auto t0 = Clock::now();
  for (long it = 0; it < kIters; ++it)
#pragma GCC unroll 16
    for (v16& x : acc) x = x * b + a;
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  for (v16& x : acc) sink = sink + x[0];
  return 2.0 * kLanes * kAcc * double(kIters) / s / 1e9;
}

}  // namespace

int main() {
  std::vector<double> r;
  for (int i = 0; i < 5; ++i) r.push_back(run_once());
  std::sort(r.begin(), r.end());
#if defined(__AVX512F__)
  const char* isa = "avx512";
#elif defined(__AVX2__)
  const char* isa = "avx2";
#elif defined(__ARM_NEON)
  const char* isa = "neon";
#else
  const char* isa = "host";
#endif
  std::printf("{\"isa\": \"%s\", \"fma_peak_gflops\": %.1f, \"fma_peak_gflops_max\": %.1f}\n", isa, r[r.size() / 2],
              r.back());
  return 0;
}
