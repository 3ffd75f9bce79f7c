// Functional forms of the DSL's operations (as torch.nn.functional): each appends
// the corresponding IR op to the current trace, at the caller's line.
#pragma once

#include <cstdint>

#include "frontend/here.h"
#include "frontend/tensor.h"

namespace minigrad::F {

// Arithmetic with an explicit line (library code uses these instead of operators,
// so that nodes carry the line of the layer's construction).
Tensor add(const Tensor& a, const Tensor& b, Here here = {});
Tensor sub(const Tensor& a, const Tensor& b, Here here = {});
Tensor mul(const Tensor& a, const Tensor& b, Here here = {});
Tensor div(const Tensor& a, const Tensor& b, Here here = {});
// A scalar constant in x's dtype.
Tensor scalar_like(double value, const Tensor& x, Here here = {});
Tensor cast(const Tensor& x, ir::DType dtype, Here here = {});

Tensor relu(const Tensor& x, Here here = {});
Tensor leaky_relu(const Tensor& x, double slope = 0.01, Here here = {});
Tensor sigmoid(const Tensor& x, Here here = {});
Tensor tanh(const Tensor& x, Here here = {});
Tensor softmax(const Tensor& x, Here here = {});      // along the last axis
Tensor log_softmax(const Tensor& x, Here here = {});  // along the last axis
Tensor maximum(const Tensor& a, const Tensor& b, Here here = {});
Tensor minimum(const Tensor& a, const Tensor& b, Here here = {});
// 1 where a > b (etc.), else 0, in a's dtype.
Tensor gt(const Tensor& a, const Tensor& b, Here here = {});
Tensor lt(const Tensor& a, const Tensor& b, Here here = {});
Tensor eq(const Tensor& a, const Tensor& b, Here here = {});
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b, Here here = {});

// Inverted dropout while training (mask from the run's seed and the step
// counter), the identity in evaluation or when p == 0.
Tensor dropout(const Tensor& x, double p, Here here = {});

// The sum of x over the `ranks` processes of a data-parallel run, the same on each
// (ir/ops.def all_reduce); its gradient is the all_reduce of the gradient.
Tensor all_reduce(const Tensor& x, int ranks, Here here = {});

// Softmax cross-entropy of logits [N, C] against i32 labels [N], as one op:
// mean over rows of -sum_c t_c log_softmax(x)_c, t = (1 - ls) one_hot + ls / C.
Tensor cross_entropy(const Tensor& logits, const Tensor& labels, double label_smoothing = 0, Here here = {});
// The same loss from log-probabilities.
Tensor nll(const Tensor& logp, const Tensor& labels, double label_smoothing = 0, Here here = {});
Tensor mse(const Tensor& a, const Tensor& b, Here here = {});
Tensor one_hot(const Tensor& labels, int64_t classes, Here here = {});
Tensor argmax(const Tensor& x, Here here = {});
// Number of rows whose argmax equals the label (i32 scalar).
Tensor correct(const Tensor& logits, const Tensor& labels, Here here = {});
// x with its rows r >= n_rows (an i32[] tensor) set to 0 (docs/ir.md, "Partial batches").
Tensor mask_rows(const Tensor& x, const Tensor& n_rows, Here here = {});

}  // namespace minigrad::F
