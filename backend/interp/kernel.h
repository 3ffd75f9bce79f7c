// What every kernel of the reference interpreter shares. A kernel executes one node:
// it reads the buffers of the node's operands and writes every element of the
// buffers of its results, which the executable has allocated with the result types.
// Kernels are templated on the element type T (float, double, int32_t) and picked by
// the helpers below from the dtype of a value. Sums accumulate in Acc<T> (double for
// float types, int64_t for i32) and each result is rounded once to T, so the
// reference is at least as accurate as any backend it checks. Integer arithmetic is
// done in int64_t and narrowed, which C++20 defines as wrapping modulo 2^32 (as
// PyTorch's int32 tensors behave); conversions to i32 are checked, and bad input
// (a label out of range, an integer division by zero) is an Error naming the node,
// never undefined behaviour. Float conversions round as IEEE 754 does (an
// overflow gives inf). Eigen is used inside backend/interp only.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "backend/buffer.h"
#include "ir/error.h"
#include "ir/graph.h"
#include "ir/nan_order.h"

namespace minigrad::interp {

// The error of a kernel: "<op> at <source location>: <what>".
template <typename... Args>
[[noreturn]] void fail_at(const ir::Node& node, fmt::format_string<Args...> format, Args&&... args) {
  fail("{} at {}: {}", ir::op_name(node.op), ir::to_string(node.locs),
       fmt::format(format, std::forward<Args>(args)...));
}

// One node and the buffers of the function being run (one per SSA value).
struct Call {
  const ir::Node& node;
  std::vector<Buffer>& values;

  const Buffer& in(size_t i) const { return values[static_cast<size_t>(node.operands[i])]; }
  Buffer& out(size_t i = 0) const { return values[static_cast<size_t>(node.results[i])]; }
  const ir::Attrs& attrs() const { return node.attrs; }
};

// The rows that count of a node with an optional row-count operand at `index`
// (docs/ir.md, "Partial batches"): the operand's value, checked to be in [1, rows],
// or all `rows` when the node has no such operand.
inline int64_t valid_rows(const Call& c, size_t index, int64_t rows) {
  if (c.node.operands.size() <= index) return rows;
  int64_t n = c.in(index).as<int32_t>()[0];
  if (n < 1 || n > rows) fail_at(c.node, "row count {} is outside [1, {}]", n, rows);
  return n;
}

// The accumulator type of sums over elements of type T.
template <typename T>
using Acc = std::conditional_t<std::is_integral_v<T>, int64_t, double>;

// The type in which elementwise arithmetic on T is done before narrowing back to T.
template <typename T>
using Wide = std::conditional_t<std::is_integral_v<T>, int64_t, T>;

using ir::is_nan;

// max and min that propagate NaN, as torch.maximum, torch.minimum and torch.max do.
template <typename T>
T max_nan(T a, T b) {
  return is_nan(a) ? a : is_nan(b) ? b : (a < b ? b : a);
}
template <typename T>
T min_nan(T a, T b) {
  return is_nan(a) ? a : is_nan(b) ? b : (b < a ? b : a);
}

// Converts a number to T; a conversion to i32 truncates toward zero and refuses
// NaN and values outside the i32 range (which static_cast leaves undefined).
template <typename T>
T checked_convert(const ir::Node& node, double v) {
  if constexpr (std::is_integral_v<T>) {
    double t = std::trunc(v);
    if (!(t >= -2147483648.0 && t <= 2147483647.0)) fail_at(node, "{} does not fit in i32", v);
    return static_cast<T>(t);
  } else {
    return static_cast<T>(v);
  }
}

// Calls f(T{}) with the C++ element type of dtype d.
template <typename F>
decltype(auto) with_dtype(ir::DType d, F&& f) {
  switch (d) {
    case ir::DType::F32: return f(float{});
    case ir::DType::F64: return f(double{});
    case ir::DType::I32: return f(int32_t{});
  }
  fail("dtype {} is not f32, f64 or i32", static_cast<int>(d));  // not reached: every dtype has its case
}

// As with_dtype, for kernels that only float types admit (the type rules ensure it).
template <typename F>
decltype(auto) with_float(const ir::Node& node, ir::DType d, F&& f) {
  switch (d) {
    case ir::DType::F32: return f(float{});
    case ir::DType::F64: return f(double{});
    case ir::DType::I32: break;
  }
  fail_at(node, "needs an f32 or f64 operand, got i32");
}

// A label of row `row` checked against [0, classes): out of range is an Error.
int64_t checked_label(const ir::Node& node, const Buffer& labels, int64_t row, int64_t classes);

// ---- the kernel families, one file each.

// elementwise.cpp (elementwise.h holds the maps the dispatch uses for the rest)
std::vector<int64_t> broadcast_offsets(const ir::Shape& from, const ir::Shape& to);
void compare(const Call& c);  // cmp{pred}
void divide(const Call& c);
void select(const Call& c);
void cast(const Call& c);
void constant(const Call& c);

// reduce.cpp
void reduce_sum(const Call& c);
void reduce_mean(const Call& c);
void reduce_max(const Call& c);

// layout.cpp
void reshape(const Call& c);
void broadcast_to(const Call& c);
void transpose(const Call& c);
void slice(const Call& c);
void pad(const Call& c);
void mask_rows(const Call& c);

// matmul.cpp
void matmul(const Call& c);

// rowwise.cpp
void softmax(const Call& c);
void log_softmax(const Call& c);

// losses.cpp
void softmax_xent(const Call& c);
void nll(const Call& c);
void mse(const Call& c);
void one_hot(const Call& c);
void argmax(const Call& c);
void correct(const Call& c);

// batch_norm.cpp
void batch_norm_train(const Call& c);
void batch_norm_grad(const Call& c);
void batch_norm_eval(const Call& c);

// dropout.cpp
void dropout(const Call& c);

// image.cpp: convolution and pooling over NCHW images
void conv2d(const Call& c);
void conv2d_input_grad(const Call& c);
void conv2d_weight_grad(const Call& c);
void max_pool2d(const Call& c);
void max_pool2d_grad(const Call& c);
void avg_pool2d(const Call& c);
void avg_pool2d_grad(const Call& c);

// collective.cpp
void all_reduce(const Call& c);
void all_reduce_start(const Call& c);
void all_reduce_wait(const Call& c);

}  // namespace minigrad::interp
