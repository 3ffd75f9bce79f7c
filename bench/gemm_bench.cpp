// gemm_bench: GFLOP/s of the generated GEMM for any shape, lowering and thread
// count, each matmul compiled on its own through the JIT:
//   build/bench/gemm_bench 512 2048 2048 [--ta] [--tb] [--lowering auto|tiled|blocked] [--threads N] [--bias] [--cold]
// prints one line per shape: M x N x K, the transposes, the plan the JIT chose
// (from its LLVM dump), and the median GFLOP/s of --repeats runs of about
// --min-time seconds each. --bias adds a bias to C through fuse-matmul-epilogue,
// as a model's linear layer has it: the GEMM then has an epilogue, which changes
// its K blocking (plan.h).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "backend/llvm/jit_backend.h"
#include "ir/builder.h"
#include "passes/fuse_matmul_epilogue.h"

namespace mg = minigrad;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU seconds of the whole process (all threads): on a busy machine the time a
// thread waits for a core is not the GEMM's. With --cpu-time the figures use it.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

struct Options {
  int64_t m = 512, n = 512, k = 512;
  bool ta = false, tb = false;
  std::string lowering = "auto";
  int threads = 1, repeats = 5;
  double min_time = 0.3;
  bool cpu_time = false;
  bool bias = false;
  bool cold = false;
  int64_t l1d = 0, l2 = 0, l3 = 0;  // cache sizes to block for (0: the host's)
};

mg::ir::Type f32(int64_t r, int64_t c) { return mg::ir::Type{mg::ir::DType::F32, {r, c}}; }

mg::ir::Module gemm_module(const Options& o) {
  mg::ir::Module mod;
  mod.name = "gemm";
  mg::ir::Function& f = mod.add_func("f");
  mg::ir::Builder b(f);
  mg::ir::ValueId a = b.input("a", o.ta ? f32(o.k, o.m) : f32(o.m, o.k));
  mg::ir::ValueId bb = b.input("b", o.tb ? f32(o.n, o.k) : f32(o.k, o.n));
  mg::ir::ValueId c = b.matmul(a, bb, o.ta, o.tb);
  if (o.bias) c = b.add(c, b.input("bias", mg::ir::Type{mg::ir::DType::F32, {o.n}}));
  b.output("c", c);
  if (o.bias) mg::passes::FuseMatmulEpilogue().run(mod);
  return mod;
}

// The plan line of the LLVM dump ("; k0_matmul: blocked 14x32 kc=..."), after the
// target's line.
std::string plan_of(const mg::ir::Module& mod) {
  std::string dump = mg::jit_dump(mod, "f", "llvm");
  size_t line = dump.find("\n; k");
  if (line == std::string::npos) return "?";
  size_t at = dump.find(": ", line), end = dump.find('\n', line + 1);
  return at < end ? dump.substr(at + 2, end - at - 2) : "?";
}

double median(std::vector<double> r) {
  std::sort(r.begin(), r.end());
  return r[r.size() / 2];
}

// --cold: every call starts with its operands out of the caches, as the first
// kernel of a train step may find them: 256 MiB are written between calls (not
// timed), then one call is timed; the median of max(repeats, 15) calls.
double cold_gflops(const Options& o, const std::function<void()>& call, double flop) {
  std::vector<char> evict(size_t(256) << 20);
  std::vector<double> r;
  for (int rep = 0; rep < std::max(o.repeats, 15); ++rep) {
    for (size_t i = 0; i < evict.size(); i += 64) evict[i] = char(rep + int(i));
    auto t1 = Clock::now();
    call();
    r.push_back(flop / seconds_since(t1) / 1e9);
  }
  return median(r);
}

double gflops(const Options& o, const mg::ir::Module& mod) {
  mg::JitBackendOptions jo;
  jo.cache_dir = "off", jo.threads = o.threads, jo.gemm = o.lowering;
  jo.l1d_bytes = o.l1d, jo.l2_bytes = o.l2, jo.l3_bytes = o.l3;
  auto backend = mg::make_jit_backend(jo);
  mg::StateStore state(mod);
  auto exe = backend->compile(mod, "f", state);
  mg::Buffer A(o.ta ? f32(o.k, o.m) : f32(o.m, o.k)), B(o.tb ? f32(o.n, o.k) : f32(o.k, o.n)), C(f32(o.m, o.n));
  mg::Buffer bias(mg::ir::Type{mg::ir::DType::F32, {o.n}});
  for (int64_t i = 0; i < A.numel(); ++i) A.as<float>()[i] = float(i % 7) * 0.1f;
  for (int64_t i = 0; i < B.numel(); ++i) B.as<float>()[i] = float(i % 5) * 0.1f;
  std::vector<mg::TensorView> in = {A.view(), B.view()};
  if (o.bias) in.push_back(bias.view());
  mg::TensorView out[] = {C.view()};
  double flop = 2.0 * double(o.m) * double(o.n) * double(o.k);
  if (o.cold) return cold_gflops(o, [&] { exe->run(in, out); }, flop);
  auto t0 = Clock::now();
  int64_t calls = 0;
  while (seconds_since(t0) < 0.1 || calls < 3) exe->run(in, out), ++calls;  // warm up and calibrate
  calls = std::max<int64_t>(1, int64_t(double(calls) * o.min_time / seconds_since(t0)));
  std::vector<double> r;
  for (int rep = 0; rep < o.repeats; ++rep) {
    auto t1 = Clock::now();
    double c1 = cpu_seconds();
    for (int64_t i = 0; i < calls; ++i) exe->run(in, out);
    double seconds = o.cpu_time ? (cpu_seconds() - c1) / o.threads : seconds_since(t1);
    r.push_back(flop * double(calls) / seconds / 1e9);
  }
  return median(r);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"GFLOP/s of the JIT's generated GEMM"};
  app.add_option("M", o.m, "rows of C")->required()->check(CLI::PositiveNumber);
  app.add_option("N", o.n, "columns of C")->required()->check(CLI::PositiveNumber);
  app.add_option("K", o.k, "the shared dimension")->required()->check(CLI::PositiveNumber);
  app.add_flag("--ta", o.ta, "A is stored transposed ([K, M])");
  app.add_flag("--tb", o.tb, "B is stored transposed ([N, K])");
  app.add_option("--lowering", o.lowering, "auto, tiled or blocked")->check(CLI::IsMember({"auto", "tiled", "blocked"}));
  app.add_option("--threads", o.threads, "threads")->check(CLI::Range(1, 256));
  app.add_option("--repeats", o.repeats, "timed runs (the median is printed)")->check(CLI::Range(1, 1000));
  app.add_option("--min-time", o.min_time, "seconds per timed run")->check(CLI::Range(0.01, 60.0));
  app.add_option("--l1d", o.l1d, "L1 data cache bytes to block for (default: the host's)")->check(CLI::PositiveNumber);
  app.add_option("--l2", o.l2, "L2 bytes to block for")->check(CLI::PositiveNumber);
  app.add_option("--l3", o.l3, "L3 bytes to block for")->check(CLI::PositiveNumber);
  app.add_flag("--bias", o.bias, "add a bias to C in the GEMM's epilogue (a linear layer's form)");
  app.add_flag("--cold", o.cold, "time single calls, each after evicting the caches (256 MiB written)");
  app.add_flag("--cpu-time", o.cpu_time, "divide by CPU seconds per thread, not wall seconds (a busy machine)");
  CLI11_PARSE(app, argc, argv);
  try {
    mg::ir::Module mod = gemm_module(o);
    std::string plan = o.lowering == "auto" ? plan_of(mod) : o.lowering;
    fmt::print("{} x {} x {}{}{}  threads {}  {:<60}  {:7.1f} GFLOP/s\n", o.m, o.n, o.k, o.ta ? " A^T" : "",
               o.tb ? " B^T" : "", o.threads, plan, gflops(o, mod));
  } catch (const std::exception& e) {
    fmt::print(stderr, "gemm_bench: {}\n", e.what());
    return 1;
  }
}
