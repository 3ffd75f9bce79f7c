// fma_peak: the single-core float32 arithmetic peak of this CPU, measured: loops of
// independent fused multiply-adds, acc = acc * b + a, with no loads or stores.
// GFLOP/s = 2 (multiply and add) x lanes x FMAs / second. No GEMM can beat it;
// bench/report.py and bench/shapes.sh state GEMM figures as a share of it.
//
// A core retires FMAs at its peak only with enough of them in flight: at least
// (FMA latency) x (FMA ports) independent chains (4 x 2 = 8 on Skylake-X and Zen 5,
// 5 x 2 = 10 on some, 3-4 x 4 = 12-16 on Apple's and Neoverse V cores), and only at
// the widest vectors the core executes at full rate, which is not always the widest
// it has (some parts run 512-bit FMAs at half rate or at a lower clock). A single
// guess under-measures some CPU, and "a peak that a library beats is not the peak";
// so this program tries every combination of vector width (16, 32 and 64 bytes) and
// number of independent accumulators (8 to 24), takes the best of several short runs
// of each (other load only ever slows a run down), and reports the fastest combination.
// Combinations with more accumulators than the core has registers spill and lose;
// that is expected and they are simply not the best.
//
// Portable: GCC/Clang vector types and no intrinsics. Built for the host
// (-march=native where the host is the target, see bench/CMakeLists.txt) and with
// -ffp-contract=fast, so acc * b + a becomes the target's FMA at its register width
// (a 64-byte vector is one zmm with AVX-512, two ymm with AVX2, four q registers with
// NEON): the count of flops does not depend on how the compiler splits a vector.
// The accumulators are separate variables updated in one straight-line loop body
// (a fold over an index sequence), so no loop over them exists for the compiler to
// interchange or distribute into dependent chains.
// Prints one JSON object: the best combination, its GFLOP/s and every combination's.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace {

volatile float sink = 0;     // keeps the results, and so the loops, alive
volatile float step = 1e-3f;  // unknown to the compiler: the chains' starting values differ by it
using Clock = std::chrono::steady_clock;
// About 1-2.5 ms a run at the peaks seen (100-230 GFLOP/s): short runs, many of them,
// so that on a shared machine some run a whole time slice undisturbed.
constexpr double kFlopsPerRun = 2.5e8;

struct Result {
  int bytes, accumulators;
  double gflops;  // the best run
};

template <int Bytes>
struct Vec {
  typedef float type __attribute__((vector_size(Bytes)));
};

// One run: `iters` rounds of one FMA on each of the Acc accumulators; GFLOP/s.
template <int Bytes, size_t... I>
double run_once(long iters, std::index_sequence<I...>) {
  using V = typename Vec<Bytes>::type;
  constexpr int lanes = Bytes / 4;
  V a, b;
  for (int l = 0; l < lanes; ++l) a[l] = 1e-7f, b[l] = 0.999999f;  // stays finite and normal for any run length
  // Distinct starting values: equal chains would be merged into one by the compiler.
  V acc[sizeof...(I)] = {(a * (1.0f + float(I) * step))...};
  auto t0 = Clock::now();
  for (long it = 0; it < iters; ++it) ((acc[I] = acc[I] * b + a), ...);
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  float keep = 0;
  ((keep += acc[I][0]), ...);
  sink = sink + keep;
  return 2.0 * lanes * double(sizeof...(I)) * double(iters) / s / 1e9;
}

template <int Bytes, int Acc>
Result measure(int repeats) {
  long iters = static_cast<long>(kFlopsPerRun / (2.0 * (Bytes / 4) * Acc));
  double best = 0;
  for (int r = 0; r < repeats; ++r) {
    double g = run_once<Bytes>(iters, std::make_index_sequence<Acc>{});
    if (g > best) best = g;
  }
  return {Bytes, Acc, best};
}

template <int Bytes>
void measure_width(int repeats, std::vector<Result>& out) {
  out.push_back(measure<Bytes, 8>(repeats));
  out.push_back(measure<Bytes, 10>(repeats));
  out.push_back(measure<Bytes, 12>(repeats));
  out.push_back(measure<Bytes, 14>(repeats));
  out.push_back(measure<Bytes, 16>(repeats));
  out.push_back(measure<Bytes, 20>(repeats));
  out.push_back(measure<Bytes, 24>(repeats));
}

const char* isa() {
#if defined(__AVX512F__)
  return "avx512";
#elif defined(__AVX2__) && defined(__FMA__)
  return "avx2+fma";
#elif defined(__AVX__)
  return "avx (no fma)";
#elif defined(__ARM_FEATURE_SVE)
  return "sve";
#elif defined(__ARM_NEON)
  return "neon";
#elif defined(__x86_64__)
  return "x86-64 baseline (sse2, no fma)";
#else
  return "host baseline";
#endif
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = 25;
  bool ok = argc == 1;
  if (argc == 3 && std::string(argv[1]) == "--repeats") repeats = std::atoi(argv[2]), ok = repeats > 0;
  if (!ok) {
    std::fprintf(stderr, "usage: fma_peak [--repeats N]   (N >= 1: runs per combination, the best is kept)\n");
    return 2;
  }
  for (int i = 0; i < 20; ++i)  // warm up the clock
    run_once<64>(static_cast<long>(kFlopsPerRun / 512), std::make_index_sequence<16>{});
  std::vector<Result> all;
  measure_width<16>(repeats, all);
  measure_width<32>(repeats, all);
  measure_width<64>(repeats, all);
  Result best = all.front();
  for (const Result& r : all)
    if (r.gflops > best.gflops) best = r;
  std::printf("{\"isa\": \"%s\", \"fma_peak_gflops\": %.1f, \"vector_bytes\": %d, \"accumulators\": %d, "
              "\"repeats\": %d, \"configs\": [",
              isa(), best.gflops, best.bytes, best.accumulators, repeats);
  for (size_t i = 0; i < all.size(); ++i)
    std::printf("%s{\"vector_bytes\": %d, \"accumulators\": %d, \"gflops\": %.1f}", i ? ", " : "", all[i].bytes,
                all[i].accumulators, all[i].gflops);
  std::printf("]}\n");
  return 0;
}
