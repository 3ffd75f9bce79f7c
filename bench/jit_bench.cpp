// jit_bench: the speed of minigrad's JIT on the seed's optimal model
// (128-192-BN-LeakyReLU-10, Adam, label smoothing 0.3, batch 64) over a data
// directory in the seed's layout (bench/make_data.py writes the synthetic one).
// Prints one JSON object: compile time of the whole model, cold (the JIT's object
// cache off: everything generated, optimised and compiled) and warm (the objects
// loaded from a disk cache filled by a first, untimed build), microseconds per
// train step, seconds per epoch, inference over the test split (as `minigradc
// eval` runs it, and the eval step alone), a 100-epoch run with a cold compile
// included, and the GEMMs of the model's shapes in GFLOP/s.
// Every figure is the median of several repeats, each figure timed for at least
// --min-time seconds (the machine is shared and noisy): the timing and the
// figures common with `minigradc bench` are runtime/benchmark.h's.
// Apart from the warm compile, everything runs with the object cache off
// (RunConfig::jit_cache = "off"), so no figure depends on what an earlier run left on disk.
//
// With --profile it prints instead where a train step's time goes: time per
// step at each call site of the generated entry (each kernel, each copy), with
// M x N x K and GFLOP/s for the GEMMs (runtime/profile.h, as `minigradc bench
// --profile` prints it).
//
//   jit_bench --data DIR [--threads N] [--repeats R] [--min-time S] [--full-epochs E] [--skip-full] [--profile]
//             [--disable-pass NAME]...   (as minigradc's flag: the pipeline without those passes)
//             [--pca K]   (for raw data such as data/mnist10k: standardise, then K principal components)
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "backend/llvm/jit_backend.h"
#include "ir/builder.h"
#include "ir/error.h"
#include "runtime/benchmark.h"
#include "runtime/experiment.h"

namespace mg = minigrad;
namespace rt = minigrad::runtime;

namespace {

struct Options {
  std::string data;
  int threads = 1;
  int repeats = 7;
  double min_time = 2;
  int full_epochs = 100;
  bool skip_full = false;
  bool profile = false;
  std::string backend = "jit";
  std::vector<std::string> disabled;  // passes switched off
  int64_t pca = 0;                    // > 0: standardise and project on the first pca components
};

// Object cache "off" (see the top).
rt::RunConfig seed_config(const Options& o) {
  rt::RunConfig c;  // the seed's best run: Adam 1e-3, wd 1e-3, ls 0.3, batch 64
  c.model = "seed_mlp";
  c.data_dir = o.data;
  c.scale = rt::Scale::None;  // the synthetic data are already standardised
  c.backend = o.backend;
  c.threads = o.threads;
  c.epochs = o.full_epochs;
  c.eval_batch = 10000;
  c.jit_cache = "off";
  c.profile = o.profile;
  c.pipeline.disabled = o.disabled;
  if (o.pca > 0) c.scale = rt::Scale::Standard, c.pca = o.pca;
  return c;
}

rt::TimingOptions timing(const Options& o) { return rt::TimingOptions{o.min_time, o.repeats, 0}; }

// Inference figures: rt::evaluate as `minigradc eval` runs it, and the eval step
// alone on the whole test split in one buffer.
std::string inference_json(const Options& o, rt::Program& p, const rt::Dataset& d) {
  rt::Timing inf = rt::time_inference(p, d, d.test.rows(), timing(o));
  mg::Buffer y(mg::ir::Type{mg::ir::DType::I32, {d.test.rows()}});
  std::copy(d.test.y.begin(), d.test.y.end(), y.as<int32_t>());
  rt::Timing step = rt::time_iterations([&](int64_t n) {
    auto t0 = rt::Clock::now();
    for (int64_t i = 0; i < n; ++i) p.eval_step(d.test.x, y);
    return rt::seconds_since(t0);
  }, timing(o));
  return fmt::format("  \"infer_seconds\": {:.5f}, \"infer_step_seconds\": {:.5f},\n", inf.seconds, step.seconds);
}

// A whole run from the model to the last epoch's evaluation, a cold compilation included.
double full_run_seconds(const Options& o, const rt::Dataset& d, double* accuracy) {
  auto t0 = rt::Clock::now();
  auto p = rt::make_program(seed_config(o), d);
  std::vector<rt::EpochStats> h = rt::train(*p, d, rt::train_options(seed_config(o)));
  *accuracy = h.back().test_accuracy;
  return rt::seconds_since(t0);
}

// GFLOP/s of one matmul of the model's shapes, compiled on its own.
double gemm_gflops(const Options& o, int64_t m, int64_t k, int64_t n, bool ta, bool tb) {
  mg::ir::Module mod;
  mod.name = "gemm";
  mg::ir::Function& f = mod.add_func("f");
  mg::ir::Builder b(f);
  auto t = [](int64_t r, int64_t c) { return mg::ir::Type{mg::ir::DType::F32, {r, c}}; };
  mg::ir::ValueId a = b.input("a", ta ? t(k, m) : t(m, k)), bb = b.input("b", tb ? t(n, k) : t(k, n));
  b.output("c", b.matmul(a, bb, ta, tb));
  mg::StateStore state(mod);
  auto exe = mg::make_jit_backend({"off"})->compile(mod, "f", state);
  mg::Buffer A(ta ? t(k, m) : t(m, k)), B(tb ? t(n, k) : t(k, n)), C(t(m, n));
  for (int64_t i = 0; i < A.numel(); ++i) A.as<float>()[i] = float(i % 7) * 0.1f;
  for (int64_t i = 0; i < B.numel(); ++i) B.as<float>()[i] = float(i % 5) * 0.1f;
  mg::TensorView in[] = {A.view(), B.view()}, out[] = {C.view()};
  rt::Timing r = rt::time_iterations([&](int64_t calls) {
    auto t0 = rt::Clock::now();
    for (int64_t i = 0; i < calls; ++i) exe->run(in, out);
    return rt::seconds_since(t0);
  }, timing(o));
  return 2.0 * double(m * n * k) / r.seconds / 1e9;
}

// The seed model's train step compiled with profiling (seed_config with o.profile).
void print_profile(const Options& o, const rt::Dataset& d) {
  auto p = rt::make_program(seed_config(o), d);
  rt::Batches batches = rt::some_batches(d.train, 64, 64);
  rt::time_train_steps(*p, batches, rt::TimingOptions{0, 1, 500});  // warm-up
  fmt::print("{}", rt::format_profile(rt::profile_train_steps(*p, batches, 5000)));
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) mg::fail("{} needs a value", a);
      return argv[++i];
    };
    if (a == "--data") o.data = next();
    else if (a == "--threads") o.threads = std::stoi(next());
    else if (a == "--repeats") o.repeats = std::stoi(next());
    else if (a == "--min-time") o.min_time = std::stod(next());
    else if (a == "--full-epochs") o.full_epochs = std::stoi(next());
    else if (a == "--skip-full") o.skip_full = true;
    else if (a == "--profile") o.profile = true;
    else if (a == "--backend") o.backend = next();
    else if (a == "--disable-pass") o.disabled.push_back(next());
    else if (a == "--pca") o.pca = std::stoll(next());
    else mg::fail("unknown argument {}", a);
  }
  if (o.data.empty()) mg::fail("--data DIR is required");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options o = parse(argc, argv);
    rt::PreparedData prepared = rt::prepare_data(seed_config(o));
    const rt::Dataset& d = prepared.data;
    if (o.profile) {
      print_profile(o, d);
      return 0;
    }
    std::string out = "{\n";
    out += fmt::format("  \"backend\": \"{}\", \"threads\": {},\n", o.backend, o.threads);
    auto [cold, warm] = rt::time_compiles(seed_config(o), d, timing(o));
    out += fmt::format("  \"compile_seconds_cold\": {:.4f}, \"compile_seconds_warm\": {:.4f},\n", cold.seconds, warm.seconds);
    auto p = rt::make_program(seed_config(o), d);
    rt::Timing step = rt::time_train_steps(*p, rt::some_batches(d.train, 64, 64), timing(o));
    out += fmt::format("  \"step_us\": {:.2f}, \"step_iterations\": {}, \"step_repeats\": {},\n", step.seconds * 1e6,
                       step.iterations, step.repeats);
    out += fmt::format("  \"epoch_seconds\": {:.4f},\n", rt::time_epoch(*p, seed_config(o), d, timing(o)).seconds);
    out += inference_json(o, *p, d);
    if (!o.skip_full) {
      double acc = 0;
      double full = full_run_seconds(o, d, &acc);
      out += fmt::format("  \"full_run_epochs\": {}, \"full_run_seconds_cold\": {:.3f}, \"full_run_test_accuracy\": {:.4f},\n",
                         o.full_epochs, full, acc);
    }
    struct Shape {
      const char* name;
      int64_t m, k, n;
      bool ta, tb;
    };
    const Shape shapes[] = {{"fc1 x W (64x128 . 128x192)", 64, 128, 192, false, false},
                            {"fc2 h W (64x192 . 192x10)", 64, 192, 10, false, false},
                            {"fc2 dY W^T (64x10 . 10x192)", 64, 10, 192, false, true},
                            {"fc2 h^T dY (192x64 . 64x10)", 192, 64, 10, true, false},
                            {"fc1 x^T dY (128x64 . 64x192)", 128, 64, 192, true, false},
                            {"eval fc1 (10000x128 . 128x192)", 10000, 128, 192, false, false}};
    out += "  \"gemm\": [\n";
    for (size_t i = 0; i < std::size(shapes); ++i) {
      const Shape& s = shapes[i];
      double g = gemm_gflops(o, s.m, s.k, s.n, s.ta, s.tb);
      out += fmt::format("    {{\"name\": \"{}\", \"m\": {}, \"k\": {}, \"n\": {}, \"ta\": {}, \"tb\": {}, \"gflops\": {:.1f}}}{}\n",
                         s.name, s.m, s.k, s.n, s.ta, s.tb, g, i + 1 < std::size(shapes) ? "," : "");
    }
    out += "  ]\n}\n";
    fmt::print("{}", out);
  } catch (const std::exception& e) {
    fmt::print(stderr, "jit_bench: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
