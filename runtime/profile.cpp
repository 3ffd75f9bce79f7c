// Per-call-site profiles of a train step; see profile.h.
#include "runtime/profile.h"

#include <algorithm>

#include <fmt/format.h>

#include "ir/error.h"

namespace minigrad::runtime {

std::vector<JitProfileEntry> read_counters(const Executable& exe, const std::string& what) {
  std::vector<JitProfileEntry> c = jit_profile(exe);
  if (c.empty()) fail("{} was not compiled with profiling counters (the jit backend with --profile)", what);
  return c;
}

StepProfile step_profile(const std::vector<JitProfileEntry>& before, const std::vector<JitProfileEntry>& after,
                         int64_t steps, int64_t batch) {
  if (before.size() != after.size()) fail("internal error: profile readings of different executables");
  if (steps < 1) fail("a profile needs at least one step, got {}", steps);
  StepProfile p;
  p.batch = batch, p.steps = steps;
  for (size_t i = 0; i < after.size(); ++i) {
    ProfileRow r;
    r.site = after[i].site;
    r.ns = double(after[i].ns - before[i].ns) / double(steps);
    r.gemm = after[i].gemm;
    if (r.gemm && r.ns > 0) r.gflops = r.gemm->flops() / r.ns;  // flop / ns = GFLOP/s
    p.sites_ns += r.ns;
    p.rows.push_back(std::move(r));
  }
  for (ProfileRow& r : p.rows) r.share = p.sites_ns > 0 ? r.ns / p.sites_ns : 0;
  std::stable_sort(p.rows.begin(), p.rows.end(), [](const ProfileRow& a, const ProfileRow& b) { return a.ns > b.ns; });
  return p;
}

StepProfile train_profile(const Program& program, int64_t batch) {
  const Executable* exe = program.train_executable(batch);
  int64_t steps = program.train_steps(batch);
  if (exe == nullptr || steps == 0) fail("no train step at batch {} has run: nothing to profile", batch);
  std::vector<JitProfileEntry> after = read_counters(*exe, fmt::format("train_step at batch {}", batch));
  std::vector<JitProfileEntry> zero = after;
  for (JitProfileEntry& e : zero) e.ns = 0;
  return step_profile(zero, after, steps, batch);
}

double communication_ns(const StepProfile& p) {
  double ns = 0;
  for (const ProfileRow& r : p.rows) ns += r.site.starts_with("all_reduce") ? r.ns : 0;
  return ns;
}

namespace {

std::string gemm_text(const ProfileRow& r) {
  return r.gemm ? fmt::format("{} x {} x {}", r.gemm->m, r.gemm->n, r.gemm->k) : "";
}

}  // namespace

std::string format_profile(const StepProfile& p) {
  std::string out = fmt::format(
      "profile of train_step at batch {} over {} steps (a profiling build: a clock read around each call site makes "
      "the step slower than a plain build)\n",
      p.batch, p.steps);
  if (p.wall_ns > 0) out += fmt::format("  {:.2f} us per step, {:.2f} us of it at call sites\n", p.wall_ns / 1e3, p.sites_ns / 1e3);
  out += fmt::format("  {:>10}  {:>6}  {:>7}  {:<18}  {}\n", "us/step", "share", "GFLOP/s", "GEMM M x N x K", "call site");
  for (const ProfileRow& r : p.rows) {
    std::string rate = r.gemm ? fmt::format("{:7.1f}", r.gflops) : "";
    out += fmt::format("  {:10.3f}  {:5.1f}%  {:>7}  {:<18}  {}\n", r.ns / 1e3, 100 * r.share, rate, gemm_text(r), r.site);
  }
  double gemm_ns = 0;
  for (const ProfileRow& r : p.rows) gemm_ns += r.gemm ? r.ns : 0;
  out += fmt::format("  {:10.3f}  {:5.1f}%  {:>7}  {:<18}  total: {} call sites, {:.1f}% of the time in GEMMs\n",
                     p.sites_ns / 1e3, p.sites_ns > 0 ? 100.0 : 0.0, "", "", p.rows.size(),
                     p.sites_ns > 0 ? 100 * gemm_ns / p.sites_ns : 0.0);
  double comm_ns = communication_ns(p);
  if (comm_ns > 0)
    out += fmt::format("  {:10.3f}  {:5.1f}%  {:>7}  {:<18}  communication: the all_reduce, all_reduce_start and "
                       "all_reduce_wait call sites (time in MPI calls and waiting for the other ranks)\n",
                       comm_ns / 1e3, 100 * comm_ns / p.sites_ns, "", "");
  return out;
}

nlohmann::json to_json(const StepProfile& p) {
  nlohmann::json rows = nlohmann::json::array();
  for (const ProfileRow& r : p.rows) {
    nlohmann::json j{{"site", r.site}, {"ns", r.ns}, {"share", r.share}};
    if (r.gemm) j["gemm"] = {{"m", r.gemm->m}, {"n", r.gemm->n}, {"k", r.gemm->k}, {"gflops", r.gflops}};
    rows.push_back(std::move(j));
  }
  nlohmann::json j{{"batch", p.batch}, {"steps", p.steps}, {"sites_ns", p.sites_ns}, {"rows", rows}};
  if (p.wall_ns > 0) j["wall_ns"] = p.wall_ns;
  j["communication_ns"] = communication_ns(p);
  return j;
}

}  // namespace minigrad::runtime
