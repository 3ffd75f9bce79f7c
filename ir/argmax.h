// The argmax rule, defined once for every user: the first index of a row's
// maximum, a NaN counting as the maximum (as torch.argmax). The interpreter's
// argmax and correct use it, the JIT writes it again in IR (backend/llvm/
// rowwise.h), and the runtime's confusion matrices and predicted labels use it,
// so that they agree with the evaluation's correct count on every row.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace minigrad::ir {

template <typename T>
int64_t first_argmax(const T* row, int64_t n) {
  auto nan = [](T x) {
    if constexpr (std::is_floating_point_v<T>) return std::isnan(x);
    else return false;
  };
  int64_t best = 0;
  for (int64_t j = 1; j < n && !nan(row[best]); ++j)
    if (nan(row[j]) || row[j] > row[best]) best = j;
  return best;
}

}  // namespace minigrad::ir
