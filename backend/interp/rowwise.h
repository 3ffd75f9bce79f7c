// The statistics of one row that the numerically stable softmax, log_softmax and
// softmax cross-entropy share: the row max m and s = sum_k exp(x_k - m), in double,
// from which log(sum_k exp(x_k)) = m + log(s) without overflow.
#pragma once

#include <cmath>
#include <cstdint>

#include "backend/interp/kernel.h"

namespace minigrad::interp {

struct RowStats {
  double max = 0;      // m (NaN if the row has a NaN)
  double sum_exp = 0;  // s, in [1, n] when m is finite
  double log_sum_exp() const { return max + std::log(sum_exp); }
};

template <typename T>
RowStats row_stats(const T* row, int64_t n) {
  RowStats r;
  r.max = static_cast<double>(row[0]);
  for (int64_t j = 1; j < n; ++j) r.max = max_nan(r.max, static_cast<double>(row[j]));
  for (int64_t j = 0; j < n; ++j) r.sum_exp += std::exp(static_cast<double>(row[j]) - r.max);
  return r;
}

}  // namespace minigrad::interp
