// fma_peak: the single-core float32 arithmetic peak of this CPU, measured: a loop
// of independent fused multiply-adds on the widest vectors the CPU has (AVX-512,
// else AVX2), enough of them in flight to cover the FMA latency on every FMA
// port. GFLOP/s = 2 (multiply and add) x lanes x FMAs / second. No GEMM can beat
// it; bench/report.py states the GEMMs of the model's shapes as a share of it
// beside numpy's sgemm, which depends on the kernels OpenBLAS picks for the CPU.
// Prints one JSON object.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace {

constexpr int kAcc = 16;          // independent accumulators: latency 4-5 x 2-3 ports needs <= 15
constexpr long kIters = 20000000;
volatile float sink = 0;  // keeps the results, and so the loops, alive

using Clock = std::chrono::steady_clock;

double gflops(int lanes, Clock::time_point t0) {
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return 2.0 * lanes * kAcc * double(kIters) / s / 1e9;
}

// Each function: kAcc chains of acc = acc * b + a, kIters long (the same loop, on
// the ISA of its target attribute; intrinsics do not cross that attribute).
__attribute__((target("avx512f"))) double avx512() {
  __m512 acc[kAcc], a = _mm512_set1_ps(1e-7f), b = _mm512_set1_ps(0.999999f);
  for (__m512& x : acc) x = a;
  auto t0 = Clock::now();
  for (long it = 0; it < kIters; ++it)
    for (__m512& x : acc) x = _mm512_fmadd_ps(x, b, a);
  double g = gflops(16, t0);
  for (__m512& x : acc) sink = sink + _mm512_cvtss_f32(x);
  return g;
}

__attribute__((target("avx2,fma"))) double avx2() {
  __m256 acc[kAcc], a = _mm256_set1_ps(1e-7f), b = _mm256_set1_ps(0.999999f);
  for (__m256& x : acc) x = a;
  auto t0 = Clock::now();
  for (long it = 0; it < kIters; ++it)
    for (__m256& x : acc) x = _mm256_fmadd_ps(x, b, a);
  double g = gflops(8, t0);
  for (__m256& x : acc) sink = sink + _mm256_cvtss_f32(x);
  return g;
}

}  // namespace

int main() {
  bool wide = __builtin_cpu_supports("avx512f");
  if (!wide && !__builtin_cpu_supports("avx2")) {
    std::fprintf(stderr, "fma_peak: the CPU has neither AVX-512 nor AVX2\n");
    return 1;
  }
  std::vector<double> r;
  for (int i = 0; i < 5; ++i) r.push_back(wide ? avx512() : avx2());
  std::sort(r.begin(), r.end());
  std::printf("{\"isa\": \"%s\", \"fma_peak_gflops\": %.1f, \"fma_peak_gflops_max\": %.1f}\n", wide ? "avx512" : "avx2",
              r[r.size() / 2], r.back());
  return 0;
}
