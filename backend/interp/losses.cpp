// Losses and metrics over a batch of N rows and C classes; labels are i32 class
// indices, and a label outside [0, C) is an Error naming the row and the value.
// With label smoothing ls the target of a row with label y is
//   t_c = (1 - ls) [c == y] + ls / C
// and its loss is -sum_c t_c logp_c, where logp = log_softmax(logits) for
// softmax_xent (x_c - log-sum-exp, stable as in rowwise.h) and logp is the operand
// for nll; both return the mean over rows. mse = mean over all elements of
// (a - b)^2. argmax takes the first index of the row max (NaN counts as the max,
// as in torch.argmax); correct counts rows whose argmax is the label.
#include "backend/interp/kernel.h"
#include "backend/interp/rowwise.h"
#include "ir/nan_order.h"

namespace minigrad::interp {

int64_t checked_label(const ir::Node& node, const Buffer& labels, int64_t row, int64_t classes) {
  int64_t label = labels.as<int32_t>()[row];
  if (label < 0 || label >= classes) fail_at(node, "label {} in row {} is outside [0, {})", label, row, classes);
  return label;
}

namespace {

// -sum_c t_c (x_c - shift) for one row; terms with t_c = 0 are skipped, so that a
// logp of -inf away from the label gives no NaN when ls = 0.
template <typename T>
double smoothed_nll(const T* x, int64_t classes, int64_t label, double ls, double shift) {
  double loss = 0;
  for (int64_t k = 0; k < classes; ++k) {
    double t = (1 - ls) * (k == label ? 1 : 0) + ls / static_cast<double>(classes);
    if (t != 0) loss -= t * (static_cast<double>(x[k]) - shift);
  }
  return loss;
}

// The mean over rows of smoothed_nll, with shift = the row's log-sum-exp if asked.
void class_loss(const Call& c, bool from_logits) {
  int64_t classes = c.in(0).type().shape[1];
  int64_t rows = valid_rows(c, 2, c.in(0).type().shape[0]);
  double ls = c.attrs().f("label_smoothing");
  with_float(c.node, c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    double total = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const T* x = c.in(0).as<T>() + r * classes;
      int64_t label = checked_label(c.node, c.in(1), r, classes);
      double shift = from_logits ? row_stats(x, classes).log_sum_exp() : 0.0;
      total += smoothed_nll(x, classes, label, ls, shift);
    }
    c.out().as<T>()[0] = static_cast<T>(total / static_cast<double>(rows));
  });
}

}  // namespace

void softmax_xent(const Call& c) { class_loss(c, true); }

void nll(const Call& c) { class_loss(c, false); }

void mse(const Call& c) {
  with_float(c.node, c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    const T *a = c.in(0).as<T>(), *b = c.in(1).as<T>();
    int64_t rows = c.in(0).type().shape.rank() == 0 ? 1 : c.in(0).type().shape[0];
    int64_t count = c.in(0).numel() / rows * valid_rows(c, 2, rows);  // the elements of the rows that count
    double sum = 0;
    for (int64_t i = 0; i < count; ++i) {
      double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
      sum += d * d;
    }
    c.out().as<T>()[0] = static_cast<T>(sum / static_cast<double>(count));
  });
}

void one_hot(const Call& c) {
  int64_t rows = c.out().type().shape[0], classes = c.out().type().shape[1];
  with_float(c.node, c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    T* y = c.out().as<T>();
    for (int64_t r = 0; r < rows; ++r) {
      int64_t label = checked_label(c.node, c.in(0), r, classes);
      for (int64_t k = 0; k < classes; ++k) y[r * classes + k] = k == label ? T(1) : T(0);
    }
  });
}

void argmax(const Call& c) {
  int64_t rows = c.in(0).type().shape[0], cols = c.in(0).type().shape[1];
  with_dtype(c.in(0).type().dtype, [&](auto t) {
    using T = decltype(t);
    for (int64_t r = 0; r < rows; ++r)
      c.out().as<int32_t>()[r] = static_cast<int32_t>(ir::first_argmax(c.in(0).as<T>() + r * cols, cols));
  });
}

void correct(const Call& c) {
  int64_t classes = c.in(0).type().shape[1];
  int64_t rows = valid_rows(c, 2, c.in(0).type().shape[0]);
  with_dtype(c.in(0).type().dtype, [&](auto t) {
    using T = decltype(t);
    int32_t count = 0;
    for (int64_t r = 0; r < rows; ++r)
      if (ir::first_argmax(c.in(0).as<T>() + r * classes, classes) == checked_label(c.node, c.in(1), r, classes)) ++count;
    c.out().as<int32_t>()[0] = count;
  });
}

}  // namespace minigrad::interp
