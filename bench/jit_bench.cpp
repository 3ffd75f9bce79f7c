// jit_bench: the speed of minigrad's JIT on the seed's optimal model
// (128-192-BN-LeakyReLU-10, Adam, label smoothing 0.3, batch 64) over a data
// directory in the seed's layout (bench/make_data.py writes the synthetic one).
// Prints one JSON object: compile time of the whole model, cold (the JIT's object
// cache off: everything generated, optimised and compiled) and warm (the objects
// loaded from a disk cache filled by a first, untimed build), microseconds per
// train step, seconds per epoch, inference over the test split (as `minigradc
// eval` runs it, and the eval step alone), a 100-epoch run with a cold compile
// included, and the GEMMs of the model's shapes in GFLOP/s.
// Every figure is the median of several repeats (the machine is shared and noisy).
// Apart from the warm compile, everything runs with the object cache off
// (RunConfig::jit_cache = "off"), so no figure depends on what an earlier run left on disk.
//
// With --profile it prints instead where a train step's time goes: nanoseconds
// per step at each call site of the generated entry (each kernel, each copy).
//
//   jit_bench --data DIR [--threads N] [--repeats R] [--full-epochs E] [--skip-full] [--profile]
//             [--disable-pass NAME]...   (as minigradc's flag: the pipeline without those passes)
//             [--pca K]   (for raw data such as data/mnist10k: standardise, then K principal components)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

#include "backend/llvm/jit_backend.h"
#include "ir/builder.h"
#include "frontend/tracer.h"
#include "ir/error.h"
#include "passes/pipeline.h"
#include "runtime/init_state.h"
#include "runtime/experiment.h"

namespace mg = minigrad;
namespace rt = minigrad::runtime;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Options {
  std::string data;
  int threads = 1;
  int repeats = 7;
  int full_epochs = 100;
  bool skip_full = false;
  bool profile = false;
  std::string backend = "jit";
  std::vector<std::string> disabled;  // passes switched off
  int64_t pca = 0;                    // > 0: standardise and project on the first pca components
};

// Object cache `cache`: "off" (the default here) or a directory.
rt::RunConfig seed_config(const Options& o, const std::string& cache = "off") {
  rt::RunConfig c;  // the seed's best run: Adam 1e-3, wd 1e-3, ls 0.3, batch 64
  c.model = "seed_mlp";
  c.data_dir = o.data;
  c.scale = rt::Scale::None;  // the synthetic data are already standardised
  c.backend = o.backend;
  c.threads = o.threads;
  c.epochs = o.full_epochs;
  c.eval_batch = 10000;
  c.jit_cache = cache;
  c.pipeline.disabled = o.disabled;
  if (o.pca > 0) c.scale = rt::Scale::Standard, c.pca = o.pca;
  return c;
}

// Seconds to build the program (trace, passes, compile train_step and eval) with
// the object cache `cache`; a cache directory is filled by a first, untimed build.
double compile_seconds(const Options& o, const rt::Dataset& d, const std::string& cache) {
  if (cache != "off") rt::make_program(seed_config(o, cache), d);
  std::vector<double> t;
  for (int r = 0; r < std::max(3, o.repeats / 2); ++r) {
    auto t0 = Clock::now();
    auto p = rt::make_program(seed_config(o, cache), d);
    t.push_back(seconds_since(t0));
  }
  return median(t);
}

// The compile times as JSON: cold, then warm from a private cache directory
// (removed afterwards).
std::string compile_json(const Options& o, const rt::Dataset& d) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / fmt::format("jit_bench_cache_{}", ::getpid());
  double cold = compile_seconds(o, d, "off"), warm = compile_seconds(o, d, dir.string());
  fs::remove_all(dir);
  return fmt::format("  \"compile_seconds_cold\": {:.4f}, \"compile_seconds_warm\": {:.4f},\n", cold, warm);
}

// Microseconds per train step over pre-gathered batches of 64 rows.
double step_micros(const Options& o, const rt::Dataset& d) {
  auto p = rt::make_program(seed_config(o), d);
  const int batches = 64, steps = 3000;
  std::vector<std::pair<mg::Buffer, mg::Buffer>> b;
  for (int i = 0; i < batches; ++i) {
    std::vector<int64_t> idx(64);
    for (int64_t j = 0; j < 64; ++j) idx[size_t(j)] = (i * 64 + j) % d.train.rows();
    mg::Buffer x(mg::ir::Type{mg::ir::DType::F32, {64, d.train.features()}}), y(mg::ir::Type{mg::ir::DType::I32, {64}});
    rt::gather(d.train.x, d.train.y, idx, x, y);
    b.emplace_back(std::move(x), std::move(y));
  }
  for (int i = 0; i < 500; ++i) p->train_step(b[size_t(i % batches)].first.view(), b[size_t(i % batches)].second.view());
  std::vector<double> t;
  for (int r = 0; r < o.repeats; ++r) {
    auto t0 = Clock::now();
    for (int i = 0; i < steps; ++i) p->train_step(b[size_t(i % batches)].first.view(), b[size_t(i % batches)].second.view());
    t.push_back(seconds_since(t0) * 1e6 / steps);
  }
  return median(t);
}

struct EpochFigures {
  double epoch_seconds = 0, infer_seconds = 0, infer_step_seconds = 0, accuracy = 0;
};

// One epoch of training (shuffling, gathering, steps); inference over the test
// split in one batch, as `minigradc eval` does it (rt::evaluate, which passes
// in-order batches where they lie in the split) and the eval step alone.
EpochFigures epoch_figures(const Options& o, const rt::Dataset& d) {
  auto p = rt::make_program(seed_config(o), d);
  rt::TrainOptions t = rt::train_options(seed_config(o));
  t.epochs = 1;
  t.eval_every = 1;
  std::vector<double> ep, inf, step;
  EpochFigures f;
  for (int r = 0; r < std::max(3, o.repeats / 2); ++r) ep.push_back(rt::train(*p, d, t)[0].train_seconds);
  mg::Buffer y(mg::ir::Type{mg::ir::DType::I32, {d.test.rows()}});
  std::copy(d.test.y.begin(), d.test.y.end(), y.as<int32_t>());
  for (int r = 0; r < o.repeats; ++r) {
    auto t0 = Clock::now();
    f.accuracy = rt::evaluate(*p, d.test, d.test.rows()).accuracy;
    inf.push_back(seconds_since(t0));
    t0 = Clock::now();
    p->eval_step(d.test.x, y);
    step.push_back(seconds_since(t0));
  }
  f.epoch_seconds = median(ep);
  f.infer_seconds = median(inf);
  f.infer_step_seconds = median(step);
  return f;
}

// A whole run from the model to the last epoch's evaluation, a cold compilation included.
double full_run_seconds(const Options& o, const rt::Dataset& d, double* accuracy) {
  auto t0 = Clock::now();
  auto p = rt::make_program(seed_config(o), d);
  std::vector<rt::EpochStats> h = rt::train(*p, d, rt::train_options(seed_config(o)));
  *accuracy = h.back().test_accuracy;
  return seconds_since(t0);
}

// GFLOP/s of one matmul of the model's shapes, compiled on its own.
double gemm_gflops(int64_t m, int64_t k, int64_t n, bool ta, bool tb, int repeats) {
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
  int calls = int(std::max<int64_t>(200, 2000000000 / (2 * m * n * k)));
  for (int i = 0; i < calls / 10; ++i) exe->run(in, out);
  std::vector<double> r;
  for (int rep = 0; rep < repeats; ++rep) {
    auto t0 = Clock::now();
    for (int i = 0; i < calls; ++i) exe->run(in, out);
    r.push_back(2.0 * double(m * n * k) * calls / seconds_since(t0) / 1e9);
  }
  return median(r);
}

// The seed model's train step compiled with profiling: per call site, ns per step.
void print_profile(const Options& o, const rt::Dataset& d) {
  rt::RunConfig c = seed_config(o);
  rt::ModelSource src = rt::load_model(c.model);
  rt::ModelParts parts = rt::build_model(c, src, d.train.features(), d.num_classes);
  mg::ir::Module m = mg::trace(*parts.net, *parts.loss, *parts.optimizer,
                               mg::TraceSpec{src.name, 64, d.train.features(), d.num_classes, false});
  mg::passes::run_pipeline(m, c.pipeline);
  mg::StateStore state(m);
  rt::init_state(m, state, 0);
  mg::JitBackendOptions jo;
  jo.cache_dir = "off", jo.threads = o.threads, jo.profile = true;
  auto exe = mg::make_jit_backend(jo)->compile(m, "train_step", state);
  mg::Buffer x(mg::ir::Type{mg::ir::DType::F32, {64, d.train.features()}}), y(mg::ir::Type{mg::ir::DType::I32, {64}});
  std::vector<int64_t> idx(64);
  for (int64_t j = 0; j < 64; ++j) idx[size_t(j)] = j;
  rt::gather(d.train.x, d.train.y, idx, x, y);
  mg::Buffer loss(mg::ir::Type{mg::ir::DType::F32, {}}), correct(mg::ir::Type{mg::ir::DType::I32, {}});
  mg::TensorView in[] = {x.view(), y.view()}, out[] = {loss.view(), correct.view()};
  const int steps = 5000;
  for (int i = 0; i < 500; ++i) exe->run(in, out);
  std::vector<mg::JitProfileEntry> before = mg::jit_profile(*exe);
  auto t0 = Clock::now();
  for (int i = 0; i < steps; ++i) exe->run(in, out);
  double wall_ns = seconds_since(t0) * 1e9 / steps;
  std::vector<mg::JitProfileEntry> after = mg::jit_profile(*exe);
  std::vector<std::pair<double, std::string>> rows;
  double total = 0;
  for (size_t i = 0; i < after.size(); ++i) {
    double ns = double(after[i].cycles - before[i].cycles) / steps;
    rows.push_back({ns, after[i].site});
    total += ns;
  }
  std::sort(rows.rbegin(), rows.rend());
  fmt::print("train step (profiled build): {:.2f} us per step, {:.2f} us at call sites\n", wall_ns / 1e3, total / 1e3);
  for (const auto& [ns, site] : rows) fmt::print("  {:8.2f} us  {:5.1f}%  {}\n", ns / 1e3, 100 * ns / total, site);
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
    out += compile_json(o, d);
    out += fmt::format("  \"step_us\": {:.2f},\n", step_micros(o, d));
    EpochFigures e = epoch_figures(o, d);
    out += fmt::format("  \"epoch_seconds\": {:.4f},\n  \"infer_seconds\": {:.5f}, \"infer_step_seconds\": {:.5f},\n",
                       e.epoch_seconds, e.infer_seconds, e.infer_step_seconds);
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
      double g = gemm_gflops(s.m, s.k, s.n, s.ta, s.tb, o.repeats);
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
