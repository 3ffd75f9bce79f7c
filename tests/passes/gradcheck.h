// Gradient checking: compares the gradients that autodiff builds with central
// finite differences, in double precision through the interpreter.
#pragma once

#include <string>
#include <vector>

#include "backend/backend.h"
#include "ir/graph.h"

namespace minigrad::testing {

struct GradCheckResult {
  double max_error = 0;  // max over elements of |numeric - analytic| / (1e-6 + |numeric|)
  std::string worst;     // where the largest error is
  size_t checked = 0;    // number of elements compared
};

// Function `func` of `m` (after autodiff, widened to f64) has input values
// `inputs`, outputs "loss" and, for each name in `wrt_inputs`, "grad.<name>" with
// the gradient of the loss with respect to that input. Perturbs every element of
// each such input by +-h and compares (L+ - L-) / 2h with the gradient.
GradCheckResult check_input_gradients(const ir::Module& m, const std::string& func, std::vector<Buffer> inputs,
                                      const std::vector<std::string>& wrt_inputs, double h = 1e-6);

// The same for state: `state` holds initial values; the function outputs "loss" and
// "grad.<name>" for each name in `wrt_states`. Every run starts from a fresh copy of
// `state`, so updates made by the function do not leak into the differences.
GradCheckResult check_state_gradients(const ir::Module& m, const std::string& func, const StateStore& state,
                                      const std::vector<Buffer>& inputs, const std::vector<std::string>& wrt_states,
                                      double h = 1e-6);

}  // namespace minigrad::testing
