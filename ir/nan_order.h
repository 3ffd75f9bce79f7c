// How NaN orders, defined once for every user. is_nan is the test (false for
// integers). first_argmax is the argmax rule: the first index of a row's
// maximum, a NaN counting as the maximum (as torch.argmax). The interpreter's
// argmax, correct, max and min use these, the JIT writes the same rules again
// in IR (backend/llvm/rowwise.h, emitter.cpp), and the runtime's confusion
// matrices and predicted labels use first_argmax, so that they agree with the
// evaluation's correct count on every row.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace minigrad::ir {

template <typename T>
bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(x);
  else return false;
}

template <typename T>
int64_t first_argmax(const T* row, int64_t n) {
  int64_t best = 0;
  for (int64_t j = 1; j < n && !is_nan(row[best]); ++j)
    if (is_nan(row[j]) || row[j] > row[best]) best = j;
  return best;
}

}  // namespace minigrad::ir
