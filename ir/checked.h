// Checked integer arithmetic for extents, element counts and byte sizes. Shapes
// come from users (model parameters, IR text, .npy and safetensors headers), so a
// product of extents can exceed 2^63: these return nullopt (or throw an Error
// naming what was being computed) instead of wrapping into a negative count.
// __builtin_*_overflow is in GCC and Clang on every target.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "ir/error.h"

namespace minigrad::ir {

inline std::optional<int64_t> mul_checked(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

inline std::optional<int64_t> add_checked(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// The product of `dims` (times `item`, the bytes of an element, for a byte size);
// nullopt if it does not fit int64_t.
inline std::optional<int64_t> product_checked(const std::vector<int64_t>& dims, int64_t item = 1) {
  std::optional<int64_t> n = item;
  for (int64_t d : dims)
    if (!(n = mul_checked(*n, d))) return std::nullopt;
  return n;
}

// a * b and a + b; an Error "<what>: <a> * <b> does not fit a 64-bit integer" on overflow.
inline int64_t checked_mul(int64_t a, int64_t b, std::string_view what) {
  if (auto r = mul_checked(a, b)) return *r;
  fail("{}: {} * {} does not fit a 64-bit integer", what, a, b);
}
inline int64_t checked_add(int64_t a, int64_t b, std::string_view what) {
  if (auto r = add_checked(a, b)) return *r;
  fail("{}: {} + {} does not fit a 64-bit integer", what, a, b);
}

}  // namespace minigrad::ir
