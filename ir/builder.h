// Builder: creates nodes in a Function at an insertion point, with the source
// locations set by the caller. The tracer, autodiff and the passes all build IR
// through it; every node's result type is checked by its op's type rule.
#pragma once

#include <limits>
#include <span>

#include "ir/graph.h"

namespace minigrad::ir {

class Builder {
 public:
  // Inserts before position `pos` of `f` (default: at the end).
  explicit Builder(Function& f, size_t pos = std::numeric_limits<size_t>::max());

  Function& function() { return f_; }
  size_t position() const { return pos_; }
  void set_locs(Locs locs) { locs_ = std::move(locs); }
  const Locs& locs() const { return locs_; }
  Type type(ValueId v) const { return f_.type(v); }

  std::vector<ValueId> emit(Op op, std::vector<ValueId> operands, Attrs attrs = {},
                            std::shared_ptr<const Function> body = nullptr);
  ValueId emit1(Op op, std::vector<ValueId> operands, Attrs attrs = {});

  // Sources and sinks.
  ValueId input(const std::string& name, const Type& t);
  ValueId load_state(const std::string& name, const Type& t);
  ValueId constant(double value, const Type& t);
  ValueId scalar(double value, DType d) { return constant(value, Type{d, Shape{}}); }
  void output(const std::string& name, ValueId v);
  void store_state(const std::string& name, ValueId v);

  // Elementwise arithmetic, broadcasting as numpy does.
  ValueId add(ValueId a, ValueId b) { return emit1(Op::Add, {a, b}); }
  ValueId sub(ValueId a, ValueId b) { return emit1(Op::Sub, {a, b}); }
  ValueId mul(ValueId a, ValueId b) { return emit1(Op::Mul, {a, b}); }
  ValueId div(ValueId a, ValueId b) { return emit1(Op::Div, {a, b}); }
  ValueId neg(ValueId a) { return emit1(Op::Neg, {a}); }
  ValueId unary(Op op, ValueId a, Attrs attrs = {}) { return emit1(op, {a}, std::move(attrs)); }
  ValueId cmp(const char* pred, ValueId a, ValueId b) { return emit1(Op::Cmp, {a, b}, {{"pred", std::string(pred)}}); }
  ValueId select(ValueId c, ValueId a, ValueId b) { return emit1(Op::Select, {c, a, b}); }
  // a * s and a + s for a scalar s in a's dtype.
  ValueId mul(ValueId a, double s) { return mul(a, scalar(s, type(a).dtype)); }
  ValueId add(ValueId a, double s) { return add(a, scalar(s, type(a).dtype)); }

  ValueId reduce(Op op, ValueId a, std::vector<int64_t> axes, bool keepdims = false);
  ValueId reduce_sum(ValueId a, std::vector<int64_t> axes, bool keepdims = false) {
    return reduce(Op::ReduceSum, a, std::move(axes), keepdims);
  }
  ValueId reshape(ValueId a, const Shape& s);
  ValueId broadcast_to(ValueId a, const Shape& s);
  ValueId matmul(ValueId a, ValueId b, bool transpose_a = false, bool transpose_b = false);
  ValueId cast(ValueId a, DType d);

  // Sums `g` over the axes along which a value of shape `s` was broadcast to g's
  // shape, giving back shape `s` (the adjoint of broadcasting).
  ValueId unbroadcast(ValueId g, const Shape& s);

 private:
  Function& f_;
  size_t pos_;
  Locs locs_;
};

}  // namespace minigrad::ir
