// Helpers for the JIT's tests: running a function with a given backend, and
// comparing outputs of the JIT with the interpreter's. Floats agree when
// |jit - interp| <= rel |interp| + abs (the absolute part covers values near 0,
// where a relative error is meaningless); integers must be equal.
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "backend/backend.h"
#include "backend/llvm/jit_backend.h"

namespace minigrad::testing {

// One JIT backend for a whole test binary (one LLJIT session), without the disk cache.
inline Backend& jit_backend() {
  static std::unique_ptr<Backend> b = make_jit_backend({"off"});
  return *b;
}

inline Backend& interp_backend() {
  static std::unique_ptr<Backend> b = make_interp_backend();
  return *b;
}

inline std::vector<Buffer> run_with(Backend& backend, const ir::Module& m, StateStore& state,
                                    const std::vector<Buffer>& inputs, const std::string& func = "f") {
  std::unique_ptr<Executable> exe = backend.compile(m, func, state);
  std::vector<TensorView> in;
  for (const Buffer& b : inputs) in.push_back(b.view());
  std::vector<Buffer> out;
  for (const auto& [name, type] : exe->signature().outputs) out.emplace_back(type);
  std::vector<TensorView> views;
  for (Buffer& b : out) views.push_back(b.view());
  exe->run_checked(in, views);
  return out;
}

struct Tolerance {
  double rel = 1e-5, abs = 1e-6;
};

inline double element(const Buffer& b, int64_t i) {
  switch (b.type().dtype) {
    case ir::DType::F32: return b.as<float>()[i];
    case ir::DType::F64: return b.as<double>()[i];
    case ir::DType::I32: return b.as<int32_t>()[i];
  }
  return 0;
}

// Empty if every element agrees, else where the worst disagreement is.
inline std::string disagreement(const Buffer& jit, const Buffer& ref, Tolerance tol) {
  if (jit.type() != ref.type()) return "types differ: " + ir::to_string(jit.type()) + " vs " + ir::to_string(ref.type());
  double worst = 0;
  std::string where;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    double a = element(jit, i), b = element(ref, i);
    if (std::isnan(a) && std::isnan(b)) continue;
    if (a == b) continue;  // equal, including infinities
    // Integers must be equal: any difference is the worst possible disagreement.
    double excess = ref.type().dtype == ir::DType::I32 ? HUGE_VAL : std::abs(a - b) / (tol.rel * std::abs(b) + tol.abs);
    if (!(excess <= 1.0) && !(excess <= worst)) {
      worst = std::isnan(excess) ? HUGE_VAL : excess;
      where = fmt::format("[{}]: jit {} interp {}", i, a, b);
    }
  }
  return where;
}

inline void expect_agree(const std::vector<Buffer>& jit, const std::vector<Buffer>& ref, Tolerance tol,
                         const std::string& what) {
  ASSERT_EQ(jit.size(), ref.size()) << what;
  for (size_t i = 0; i < ref.size(); ++i) {
    std::string d = disagreement(jit[i], ref[i], tol);
    EXPECT_TRUE(d.empty()) << what << " output " << i << " " << d;
  }
}

}  // namespace minigrad::testing
