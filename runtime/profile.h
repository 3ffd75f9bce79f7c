// Where a train step's time goes, for `minigradc train --profile`, `minigradc bench
// --profile` and bench/jit_bench --profile. A program built with
// RunConfig::profile compiles its steps (jit) with a steady-clock read around each
// call site of the generated entry (each kernel, each copy into an output or a
// state), which makes a step slower; two readings of those counters over a known
// number of steps give the nanoseconds per step at each site. A site whose node is
// a GEMM (a matmul, or a fused matmul with its epilogue) carries M x N x K, from
// the node's operand types and transpose attributes (ir/gemm_dims.h), and its
// achieved rate, 2 M N K / time (the epilogue's few operations not counted).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/llvm/jit_backend.h"
#include "runtime/program.h"

namespace minigrad::runtime {

struct ProfileRow {
  std::string site;   // "fused.matmul @ examples/seed_mlp.cpp:12:41": the node's op and its model lines
  double ns = 0;      // per step
  double share = 0;   // of the sum over the sites, 0..1
  std::optional<ir::GemmDims> gemm;
  double gflops = 0;  // GEMMs: 2 M N K / ns
};

struct StepProfile {
  int64_t batch = 0;
  int64_t steps = 0;      // steps the counters cover
  double sites_ns = 0;    // per step, all sites together
  double wall_ns = 0;     // per step as timed from outside, or 0 if not timed
  std::vector<ProfileRow> rows;  // by share, largest first
};

// The counters of an executable compiled with profiling (jit_profile); an Error
// naming `what` if it has none (a plain build, or the interp backend).
std::vector<JitProfileEntry> read_counters(const Executable& exe, const std::string& what);

// The profile of `steps` steps between two readings of the same executable's counters.
StepProfile step_profile(const std::vector<JitProfileEntry>& before, const std::vector<JitProfileEntry>& after,
                         int64_t steps, int64_t batch);

// The profile of every step batch size `batch`'s train_step has run since it was
// compiled (a program built with RunConfig::profile); an Error if it ran none.
StepProfile train_profile(const Program& program, int64_t batch);

// The table: a header (what was measured, and that the build is a profiling one),
// one row per site by share (time, share, GFLOP/s and M x N x K for GEMMs), a total.
// Nanoseconds per step at the call sites of the collectives (all_reduce,
// all_reduce_start, all_reduce_wait): the step's communication.
double communication_ns(const StepProfile& p);
std::string format_profile(const StepProfile& p);
nlohmann::json to_json(const StepProfile& p);

}  // namespace minigrad::runtime
