// Builder helpers; see builder.h.
#include "ir/builder.h"

#include <algorithm>

namespace minigrad::ir {

Builder::Builder(Function& f, size_t pos) : f_(f), pos_(std::min(pos, f.size())) {}

std::vector<ValueId> Builder::emit(Op op, std::vector<ValueId> operands, Attrs attrs,
                                   std::shared_ptr<const Function> body) {
  Node& n = f_.insert(pos_++, op, std::move(operands), std::move(attrs), locs_, {}, std::move(body));
  return n.results;
}

ValueId Builder::emit1(Op op, std::vector<ValueId> operands, Attrs attrs) {
  return emit(op, std::move(operands), std::move(attrs)).at(0);
}

ValueId Builder::input(const std::string& name, const Type& t) {
  return f_.insert(pos_++, Op::Input, {}, {{"name", name}}, locs_, {t}).result();
}

ValueId Builder::load_state(const std::string& name, const Type& t) {
  return f_.insert(pos_++, Op::LoadState, {}, {{"name", name}}, locs_, {t}).result();
}

ValueId Builder::constant(double value, const Type& t) {
  return f_.insert(pos_++, Op::Constant, {}, {{"value", value}}, locs_, {t}).result();
}

void Builder::output(const std::string& name, ValueId v) { emit(Op::Output, {v}, {{"name", name}}); }

void Builder::store_state(const std::string& name, ValueId v) {
  emit(Op::StoreState, {v}, {{"name", name}});
}

ValueId Builder::reduce(Op op, ValueId a, std::vector<int64_t> axes, bool keepdims) {
  return emit1(op, {a}, {{"axes", std::move(axes)}, {"keepdims", keepdims}});
}

ValueId Builder::reshape(ValueId a, const Shape& s) {
  if (type(a).shape == s) return a;
  return emit1(Op::Reshape, {a}, {{"shape", s.dims}});
}

ValueId Builder::broadcast_to(ValueId a, const Shape& s) {
  if (type(a).shape == s) return a;
  return emit1(Op::BroadcastTo, {a}, {{"shape", s.dims}});
}

ValueId Builder::matmul(ValueId a, ValueId b, bool transpose_a, bool transpose_b) {
  return emit1(Op::Matmul, {a, b}, {{"transpose_a", transpose_a}, {"transpose_b", transpose_b}});
}

ValueId Builder::cast(ValueId a, DType d) {
  if (type(a).dtype == d) return a;
  return emit1(Op::Cast, {a}, {{"dtype", std::string(dtype_name(d))}});
}

ValueId Builder::unbroadcast(ValueId g, const Shape& s) {
  const Shape& gs = type(g).shape;
  if (gs == s) return g;
  // g has rank >= rank(s); leading extra axes and axes where s has extent 1 were
  // stretched, so the adjoint sums over them: d/ds sum_i f(s[b(i)]) = sum over b^-1.
  std::vector<int64_t> axes;
  int lead = gs.rank() - s.rank();
  for (int i = 0; i < gs.rank(); ++i)
    if (i < lead || (s[i - lead] == 1 && gs[i] != 1)) axes.push_back(i);
  ValueId r = axes.empty() ? g : reduce_sum(g, axes, false);
  return reshape(r, s);
}

}  // namespace minigrad::ir
