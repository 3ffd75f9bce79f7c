// Helpers for the tests of checkpoints, sessions and sweeps: a small synthetic data
// directory (Gaussian blobs, one per class, so a model learns it in a few epochs)
// and byte-level comparison of state stores.
#pragma once

#include <cmath>
#include <filesystem>
#include <string>

#include "backend/backend.h"
#include "runtime/npy.h"
#include "tests/runtime/test_files.h"

namespace minigrad::runtime::testing {

// Writes train/test .npy files of `rows` and rows/4 rows, `features` features and
// `classes` classes to `dir`: row i has class i % classes, its features a
// class-dependent centre plus a deterministic wobble.
inline void write_blobs(const std::filesystem::path& dir, int64_t rows = 96, int64_t features = 6, int classes = 3) {
  auto split = [&](const std::string& name, int64_t n, int salt) {
    NpyArray x{NpyDType::F32, {n, features}, {}}, y{NpyDType::I32, {n}, {}};
    x.data.resize(static_cast<size_t>(n * features) * 4), y.data.resize(static_cast<size_t>(n) * 4);
    auto* px = reinterpret_cast<float*>(x.data.data());
    auto* py = reinterpret_cast<int32_t*>(y.data.data());
    for (int64_t i = 0; i < n; ++i) {
      int c = static_cast<int>(i % classes);
      py[i] = c;
      for (int64_t f = 0; f < features; ++f)
        px[i * features + f] = static_cast<float>((f % classes == c ? 2.0 : 0.0) + 0.8 * std::sin(1.7 * i + 2.3 * f + salt) + 3.0 * f);
    }
    write_npy(dir / (name + "_data.npy"), x);
    write_npy(dir / (name + "_label.npy"), y);
  };
  split("train", rows, 0);
  split("test", rows / 4, 1);
}

// True when both stores hold the same states with the same bytes; lists differences.
inline ::testing::AssertionResult same_state(const StateStore& a, const StateStore& b) {
  if (a.all().size() != b.all().size()) return ::testing::AssertionFailure() << "state counts differ";
  for (const auto& [name, buf] : a.all()) {
    if (!b.has(name)) return ::testing::AssertionFailure() << name << " is missing";
    const Buffer& other = b.get(name);
    if (!(buf->type() == other.type()) || std::memcmp(buf->data(), other.data(), buf->bytes()) != 0)
      return ::testing::AssertionFailure() << name << " differs";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace minigrad::runtime::testing
