// The type rule of every op (see ir/ops.def for which op uses which rule).
#include "ir/type_rules.h"

#include <algorithm>

#include "ir/error.h"

namespace minigrad::ir {
namespace {

const Type& operand(const TypeRuleArgs& a, size_t i) { return a.operands[i]; }

void need_float(const TypeRuleArgs& a, size_t i, const char* what) {
  if (!is_float(operand(a, i).dtype))
    fail("{} must be f32 or f64, got {}", what, to_string(operand(a, i)));
}

void need_rank(const TypeRuleArgs& a, size_t i, int rank, const char* what) {
  if (operand(a, i).shape.rank() != rank)
    fail("{} must have rank {}, got {}", what, rank, to_string(operand(a, i)));
}

void need_same_dtype(const TypeRuleArgs& a) {
  for (size_t i = 1; i < a.operands.size(); ++i)
    if (a.operands[i].dtype != a.operands[0].dtype)
      fail("operand dtypes differ: {} and {}", to_string(a.operands[0]), to_string(a.operands[i]));
}

void need_labels(const TypeRuleArgs& a, size_t i, int64_t rows) {
  const Type& t = operand(a, i);
  if (t.dtype != DType::I32 || t.shape != Shape{rows})
    fail("labels must be i32[{}], got {}", rows, to_string(t));
}

// The [F] vector operands of batch norm must match x's feature count and dtype.
void need_feature_vectors(const TypeRuleArgs& a, const Type& x, size_t first, size_t last) {
  for (size_t i = first; i <= last; ++i)
    if (operand(a, i) != Type{x.dtype, Shape{x.shape[1]}})
      fail("operand {} must be {}{}, got {}", i, dtype_name(x.dtype), to_string(Shape{x.shape[1]}),
           to_string(operand(a, i)));
}

// The optional row count of a masked op: operands [first, first + 1); more is an error.
void need_row_count(const TypeRuleArgs& a, size_t first, const char* op) {
  if (a.operands.size() < first || a.operands.size() > first + 1)
    fail("{} takes {} or {} operands (the last an i32[] row count), got {}", op, first, first + 1, a.operands.size());
  if (a.operands.size() == first + 1 && operand(a, first) != Type{DType::I32, Shape{}})
    fail("{}'s row count must be i32[], got {}", op, to_string(operand(a, first)));
}

// Batch norm's input: [N, F] (BatchNorm1d) or [N, C, H, W] (BatchNorm2d: per channel).
void need_bn_input(const TypeRuleArgs& a, size_t i) {
  int rank = operand(a, i).shape.rank();
  if (rank != 2 && rank != 4) fail("batch norm's input must have rank 2 or 4, got {}", to_string(operand(a, i)));
  need_float(a, i, "batch norm's input");
}

int64_t checked_axis(int64_t axis, int rank) {
  if (axis < 0 || axis >= rank) fail("axis {} is out of range for rank {}", axis, rank);
  return axis;
}

}  // namespace

std::vector<Type> infer_types(Op op, std::span<const Type> operands, const Attrs& attrs) {
  const OpInfo& info = op_info(op);
  if (info.num_operands != kVariadic && static_cast<int>(operands.size()) != info.num_operands)
    fail("{} takes {} operand(s), got {}", info.name, info.num_operands, operands.size());
  check_attrs(info, attrs);
  if (info.type_rule == nullptr) fail("{} has a declared result type; none can be inferred", info.name);
  return info.type_rule(TypeRuleArgs{info, operands, attrs});
}

void check_attrs(const OpInfo& info, const Attrs& attrs) {
  for (const auto& [name, value] : attrs.items()) {
    const AttrSpec* spec = info.attr(name);
    if (spec == nullptr) fail("{} has no attribute '{}'", info.name, name);
    if (kind_of(value) != spec->kind)
      fail("attribute '{}' of {} must be a {}, got a {}", name, info.name, attr_kind_name(spec->kind),
           attr_kind_name(kind_of(value)));
    double number = 0;
    if (auto* i = std::get_if<int64_t>(&value)) number = static_cast<double>(*i);
    if (auto* f = std::get_if<double>(&value)) number = *f;
    bool numeric = spec->kind == AttrKind::Int || spec->kind == AttrKind::Float;
    if (numeric && !spec->range.contains(number))
      fail("attribute '{}' of {} must be {}, got {}", name, info.name, spec->range.describe(),
           format_attr(value));
    if (auto* s = std::get_if<std::string>(&value); s && !spec->range.allows(*s))
      fail("attribute '{}' of {} must be {}, got \"{}\"", name, info.name, spec->range.describe(), *s);
  }
  for (const AttrSpec& spec : info.attrs)
    if (spec.required && !attrs.has(spec.name))
      fail("{} needs attribute '{}' ({})", info.name, spec.name, attr_kind_name(spec.kind));
}

Attrs with_defaults(const OpInfo& info, Attrs attrs) {
  Attrs out;
  for (const AttrSpec& spec : info.attrs) {
    if (const AttrValue* v = attrs.find(spec.name)) out.set(spec.name, *v);
    else if (!spec.required) out.set(spec.name, spec.default_value());
  }
  for (const auto& [name, value] : attrs.items())
    if (!out.has(name)) out.set(name, value);  // unknown names stay, for check_attrs to report
  return out;
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  int rank = std::max(a.rank(), b.rank());
  Dims out(static_cast<size_t>(rank));
  for (int i = 0; i < rank; ++i) {
    int ia = a.rank() - rank + i, ib = b.rank() - rank + i;
    int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1)
      fail("shapes {} and {} do not broadcast", to_string(a), to_string(b));
    out[static_cast<size_t>(i)] = std::max(da, db);
  }
  return Shape(out);
}

std::vector<Type> type_sink(const TypeRuleArgs&) { return {}; }

std::vector<Type> type_grad(const TypeRuleArgs& a) {
  if (a.operands.size() < 2) fail("grad takes a loss and at least one value to differentiate by");
  if (operand(a, 0).shape.rank() != 0 || !is_float(operand(a, 0).dtype))
    fail("grad's loss must be a float scalar, got {}", to_string(operand(a, 0)));
  std::vector<Type> out;
  for (size_t i = 1; i < a.operands.size(); ++i) {
    need_float(a, i, "a value to differentiate by");
    out.push_back(operand(a, i));
  }
  return out;
}

std::vector<Type> type_same(const TypeRuleArgs& a) { return {operand(a, 0)}; }

// all_reduce_start / all_reduce_wait: one result per operand, of its type; the
// operands (a bucket) share one dtype, as one message carries them.
std::vector<Type> type_same_all(const TypeRuleArgs& a) {
  if (a.operands.empty()) fail("takes at least one operand (a bucket of values to sum)");
  std::vector<Type> out;
  for (size_t i = 0; i < a.operands.size(); ++i) {
    if (operand(a, i).dtype != operand(a, 0).dtype)
      fail("operand {} is {}, but operand 0 is {}: a bucket has one dtype", i, to_string(operand(a, i)),
           to_string(operand(a, 0)));
    out.push_back(operand(a, i));
  }
  return out;
}

std::vector<Type> type_same_float(const TypeRuleArgs& a) {
  need_float(a, 0, "the operand");
  return {operand(a, 0)};
}

std::vector<Type> type_cast(const TypeRuleArgs& a) {
  DType d{};
  parse_dtype(a.attrs.s("dtype"), &d);
  return {Type{d, operand(a, 0).shape}};
}

std::vector<Type> type_broadcast(const TypeRuleArgs& a) {
  need_same_dtype(a);
  Shape s = operand(a, 0).shape;
  for (size_t i = 1; i < a.operands.size(); ++i) s = broadcast_shapes(s, operand(a, i).shape);
  return {Type{operand(a, 0).dtype, s}};
}

std::vector<Type> type_reduce(const TypeRuleArgs& a) {
  const Type& x = operand(a, 0);
  const auto& axes = a.attrs.ints("axes");
  if (axes.empty()) fail("axes must name at least one axis");
  std::vector<bool> reduced(static_cast<size_t>(x.shape.rank()), false);
  for (int64_t ax : axes) {
    checked_axis(ax, x.shape.rank());
    if (reduced[static_cast<size_t>(ax)]) fail("axis {} is listed twice", ax);
    reduced[static_cast<size_t>(ax)] = true;
  }
  bool keep = a.attrs.b("keepdims");
  Dims out;
  for (int i = 0; i < x.shape.rank(); ++i) {
    if (!reduced[static_cast<size_t>(i)]) out.push_back(x.shape[i]);
    else if (keep) out.push_back(1);
  }
  return {Type{x.dtype, Shape(out)}};
}

std::vector<Type> type_reshape(const TypeRuleArgs& a) {
  Shape s(a.attrs.ints("shape"));
  for (int64_t d : s.dims)
    if (d < 1) fail("reshape extents must be >= 1, got {}", to_string(s));
  if (s.numel() != operand(a, 0).numel())
    fail("cannot reshape {} ({} elements) to {}", to_string(operand(a, 0)), operand(a, 0).numel(),
         to_string(s));
  return {Type{operand(a, 0).dtype, s}};
}

std::vector<Type> type_broadcast_to(const TypeRuleArgs& a) {
  Shape target(a.attrs.ints("shape"));
  if (broadcast_shapes(operand(a, 0).shape, target) != target)
    fail("{} does not broadcast to {}", to_string(operand(a, 0)), to_string(target));
  return {Type{operand(a, 0).dtype, target}};
}

std::vector<Type> type_transpose(const TypeRuleArgs& a) {
  need_rank(a, 0, 2, "transpose's operand");
  const Shape& s = operand(a, 0).shape;
  return {Type{operand(a, 0).dtype, Shape{s[1], s[0]}}};
}

std::vector<Type> type_slice(const TypeRuleArgs& a) {
  Type t = operand(a, 0);
  int64_t axis = checked_axis(a.attrs.i("axis"), t.shape.rank());
  int64_t start = a.attrs.i("start"), end = a.attrs.i("end");
  if (start >= end || end > t.shape[static_cast<int>(axis)])
    fail("slice [{}, {}) is empty or outside axis {} of {}", start, end, axis, to_string(t));
  t.shape.dims[static_cast<size_t>(axis)] = end - start;
  return {t};
}

std::vector<Type> type_pad(const TypeRuleArgs& a) {
  Type t = operand(a, 0);
  int64_t axis = checked_axis(a.attrs.i("axis"), t.shape.rank());
  t.shape.dims[static_cast<size_t>(axis)] += a.attrs.i("before") + a.attrs.i("after");
  return {t};
}

std::vector<Type> type_matmul(const TypeRuleArgs& a) {
  need_rank(a, 0, 2, "matmul's first operand");
  need_rank(a, 1, 2, "matmul's second operand");
  need_float(a, 0, "matmul's operands");
  need_same_dtype(a);
  const Shape& sa = operand(a, 0).shape;
  const Shape& sb = operand(a, 1).shape;
  bool ta = a.attrs.b("transpose_a"), tb = a.attrs.b("transpose_b");
  int64_t m = ta ? sa[1] : sa[0], ka = ta ? sa[0] : sa[1];
  int64_t kb = tb ? sb[1] : sb[0], n = tb ? sb[0] : sb[1];
  if (ka != kb)
    fail("inner extents differ: {}{} x {}{}", to_string(operand(a, 0)), ta ? "^T" : "",
         to_string(operand(a, 1)), tb ? "^T" : "");
  return {Type{operand(a, 0).dtype, Shape{m, n}}};
}

std::vector<Type> type_mask_rows(const TypeRuleArgs& a) {
  if (operand(a, 0).shape.rank() < 1) fail("mask_rows needs rows (rank >= 1), got {}", to_string(operand(a, 0)));
  need_row_count(a, 1, "mask_rows");
  return {operand(a, 0)};
}

std::vector<Type> type_class_loss(const TypeRuleArgs& a) {
  need_row_count(a, 2, "a class loss");
  need_rank(a, 0, 2, "the scores");
  need_float(a, 0, "the scores");
  need_labels(a, 1, operand(a, 0).shape[0]);
  return {Type{operand(a, 0).dtype, Shape{}}};
}

std::vector<Type> type_mse(const TypeRuleArgs& a) {
  need_row_count(a, 2, "mse");
  need_float(a, 0, "mse's operands");
  if (operand(a, 0) != operand(a, 1))
    fail("mse's operands differ: {} and {}", to_string(operand(a, 0)), to_string(operand(a, 1)));
  return {Type{operand(a, 0).dtype, Shape{}}};
}

std::vector<Type> type_one_hot(const TypeRuleArgs& a) {
  need_rank(a, 0, 1, "one_hot's labels");
  if (operand(a, 0).dtype != DType::I32) fail("one_hot's labels must be i32, got {}", to_string(operand(a, 0)));
  DType d{};
  parse_dtype(a.attrs.s("dtype"), &d);
  return {Type{d, Shape{operand(a, 0).shape[0], a.attrs.i("classes")}}};
}

std::vector<Type> type_argmax(const TypeRuleArgs& a) {
  need_rank(a, 0, 2, "argmax's operand");
  return {Type{DType::I32, Shape{operand(a, 0).shape[0]}}};
}

std::vector<Type> type_correct(const TypeRuleArgs& a) {
  need_row_count(a, 2, "correct");
  need_rank(a, 0, 2, "the scores");
  need_labels(a, 1, operand(a, 0).shape[0]);
  return {Type{DType::I32, Shape{}}};
}

std::vector<Type> type_bn_train(const TypeRuleArgs& a) {
  need_row_count(a, 3, "batch_norm_train");
  need_bn_input(a, 0);
  const Type& x = operand(a, 0);
  need_feature_vectors(a, x, 1, 2);
  Type f{x.dtype, Shape{x.shape[1]}};
  return {x, f, f};
}

std::vector<Type> type_bn_grad(const TypeRuleArgs& a) {
  need_row_count(a, 5, "batch_norm_grad");
  need_bn_input(a, 1);
  const Type& x = operand(a, 1);
  if (operand(a, 0) != x) fail("dy must be {}, got {}", to_string(x), to_string(operand(a, 0)));
  need_feature_vectors(a, x, 2, 4);
  Type f{x.dtype, Shape{x.shape[1]}};
  return {x, f, f};
}

std::vector<Type> type_bn_eval(const TypeRuleArgs& a) {
  need_bn_input(a, 0);
  need_feature_vectors(a, operand(a, 0), 1, 4);
  return {operand(a, 0)};
}

std::vector<Type> type_dropout(const TypeRuleArgs& a) {
  need_float(a, 0, "dropout's input");
  for (size_t i : {size_t{1}, size_t{2}})
    if (operand(a, i) != Type{DType::I32, Shape{}})
      fail("dropout's {} must be i32[], got {}", i == 1 ? "seed" : "step", to_string(operand(a, i)));
  return {operand(a, 0)};
}

std::vector<Type> type_fused(const TypeRuleArgs&) { fail("fused needs its body to give its result types"); }

}  // namespace minigrad::ir
