// Tensor: a symbolic value of the graph being traced. Operations on tensors do not
// compute anything; each appends a node to the IR function under construction
// (frontend/trace.h) and returns the tensor naming its result. Shapes are static and
// checked as the node is made: an error names the model file's line.
//
// The operations are those of the seed's Tensor class and a little more:
// + - * / (numpy broadcasting, scalars allowed), unary -, matmul, abs, pow, exp, log,
// sqrt, sum/mean/max (all axes or one), transpose, row slicing, reshape.
#pragma once

#include <cstdint>
#include <source_location>
#include <vector>

#include "frontend/here.h"
#include "ir/types.h"

namespace minigrad {

class TraceContext;

class Tensor {
 public:
  Tensor() = default;
  Tensor(TraceContext* ctx, int32_t id) : ctx_(ctx), id_(id) {}

  bool defined() const { return ctx_ != nullptr; }
  int32_t id() const { return id_; }
  TraceContext* context() const { return ctx_; }
  ir::Type type() const;
  std::vector<int64_t> shape() const { return type().shape.dims; }
  int64_t dim(int axis) const;
  int rank() const { return static_cast<int>(shape().size()); }

  Tensor matmul(const Tensor& other, Here here = {}) const;
  Tensor abs(Here here = {}) const;
  Tensor exp(Here here = {}) const;
  Tensor log(Here here = {}) const;
  Tensor sqrt(Here here = {}) const;
  Tensor pow(double exponent, Here here = {}) const;
  Tensor sum(Here here = {}) const;  // over all axes, to a scalar
  Tensor sum(int axis, bool keepdims = false, Here here = {}) const;
  Tensor mean(Here here = {}) const;
  Tensor mean(int axis, bool keepdims = false, Here here = {}) const;
  Tensor max(Here here = {}) const;
  Tensor max(int axis, bool keepdims = false, Here here = {}) const;
  Tensor t(Here here = {}) const;                                  // transpose (rank 2)
  Tensor rows(int64_t start, int64_t end, Here here = {}) const;   // rows [start, end)
  Tensor reshape(std::vector<int64_t> shape, Here here = {}) const;

 private:
  TraceContext* ctx_ = nullptr;
  int32_t id_ = -1;
};

// An operand of an arithmetic operator: a tensor or a number, with the line of the
// expression it appears in (operators cannot take a defaulted location argument,
// but an implicit conversion can).
struct Operand {
  Operand(const Tensor& t, std::source_location l = std::source_location::current()) : tensor(t), loc(l) {}
  Operand(double s, std::source_location l = std::source_location::current())
      : scalar(s), is_scalar(true), loc(l) {}
  Operand(int s, std::source_location l = std::source_location::current())
      : scalar(s), is_scalar(true), loc(l) {}

  Tensor tensor;
  double scalar = 0;
  bool is_scalar = false;
  std::source_location loc;
};

Tensor operator+(const Operand& a, const Operand& b);
Tensor operator-(const Operand& a, const Operand& b);
Tensor operator*(const Operand& a, const Operand& b);
Tensor operator/(const Operand& a, const Operand& b);
Tensor operator-(const Operand& a);

}  // namespace minigrad
