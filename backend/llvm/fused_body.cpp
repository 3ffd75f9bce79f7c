// The elementwise part of a fused body at one point; see fused_body.h. The
// semantics of each op, lane by lane, are the interpreter's
// (backend/interp/dispatch.cpp):
//   relu(x) = x < 0 ? 0 : x (NaN stays); leaky_relu(x) = x > 0 ? x : slope x;
//   maximum/minimum propagate NaN (Emitter::max_nan); cmp gives 1 or 0 in the
//   operands' dtype, ordered except ne; select(c, a, b) = c != 0 ? a : b;
//   i32 arithmetic wraps modulo 2^32; i32 division truncates and refuses 0;
//   a cast to i32 truncates and refuses NaN and values outside the i32 range;
//   dropout keeps element i (the row-major flat index of its point in S) iff
//   dropout_uniform(key, i + offset) >= p and scales kept elements by 1 / (1 - p), with
//   key = dropout_key(seed, salt, step) (ir/dropout.h, written again here in IR);
//   broadcast_to of an input or constant is that input read at the point.
#include "backend/llvm/fused_body.h"

#include <algorithm>

#include <llvm/IR/Intrinsics.h>

#include "backend/llvm/loop_nest.h"
#include "backend/llvm/vmath.h"
#include "ir/error.h"

namespace minigrad::jit {
namespace {

using ir::DType;
using ir::Op;
using llvm::Value;

// murmur3's finaliser and the dropout key of ir/dropout.h, on i32 scalars or vectors.
Value* mix32(llvm::IRBuilder<>& b, Value* h) {
  auto k = [&](uint32_t v) { return llvm::ConstantInt::get(h->getType(), v); };
  h = b.CreateXor(h, b.CreateLShr(h, k(16)));
  h = b.CreateMul(h, k(0x85ebca6bu));
  h = b.CreateXor(h, b.CreateLShr(h, k(13)));
  h = b.CreateMul(h, k(0xc2b2ae35u));
  return b.CreateXor(h, b.CreateLShr(h, k(16)));
}

Value* dropout_key(llvm::IRBuilder<>& b, Value* seed, uint32_t salt, Value* step) {
  auto k = [&](uint32_t v) { return llvm::ConstantInt::get(seed->getType(), v); };
  Value* h = b.CreateAdd(b.CreateMul(seed, k(0x9e3779b1u)), b.CreateMul(k(salt), k(0x85ebca77u)));
  return mix32(b, b.CreateAdd(h, b.CreateMul(step, k(0xc2b2ae3du))));
}

[[noreturn]] void fail_node(const ir::Node& n, const std::string& what) {
  fail("{} at {}: {}", ir::op_name(n.op), ir::to_string(n.locs), what);
}

}  // namespace

bool is_checked(const ir::Function& f, const ir::Node& n) {
  if (n.op == Op::Div) return f.type(n.result()).dtype == DType::I32;
  if (n.op == Op::Cast) return f.type(n.result()).dtype == DType::I32 && f.type(n.operands[0]).dtype != DType::I32;
  return false;
}

BodyAtPoint::BodyAtPoint(Kernel& k, const ir::Function& body, ir::Shape iter, std::vector<ir::ValueId> roots,
                         std::set<ir::ValueId> given, bool store_outputs)
    : k_(k), e_(k.e), body_(body), iter_(std::move(iter)), roots_(std::move(roots)), given_(std::move(given)),
      store_outputs_(store_outputs) {
  // Needed nodes: from the roots back through operands, stopping at given values.
  needed_.assign(body_.size(), false);
  std::vector<bool> wanted(size_t(body_.num_values()), false);
  for (ir::ValueId r : roots_) wanted[size_t(r)] = true;
  for (size_t i = body_.size(); i-- > 0;) {
    const ir::Node& n = body_.node(i);
    bool want = n.op == Op::Output && store_outputs_;
    for (ir::ValueId r : n.results) want = want || wanted[size_t(r)];
    if (!want) continue;
    needed_[i] = true;
    bool is_given = !n.results.empty() && given_.count(n.result());
    if (!is_given)
      for (ir::ValueId v : n.operands) wanted[size_t(v)] = true;
  }
  size_t inputs = 0, outputs = 0;
  for (size_t i = 0; i < body_.size(); ++i) {
    const ir::Node& n = body_.node(i);
    if (n.op == Op::Input) input_of_[&n] = inputs++;
    if (n.op == Op::Output) output_of_[&n] = outputs++;
    bool access = n.op == Op::Input || n.op == Op::Output || n.op == Op::Dropout;
    if (!needed_[i] || !access || (!n.results.empty() && given_.count(n.result()))) continue;
    access_of_[&n] = shapes_.size();
    shapes_.push_back(body_.type(n.op == Op::Output ? n.operands[0] : n.result()).shape);
    try {
      broadcast_strides(shapes_.back(), iter_);
    } catch (const Error& e) {
      fail_node(k_.node, fmt::format("in its body, {}: {}", ir::op_name(n.op), e.what()));
    }
  }
}

unsigned BodyAtPoint::width() const {
  unsigned w = 1u << 30;
  for (size_t i = 0; i < body_.size(); ++i) {
    if (!needed_[i]) continue;
    const ir::Node& n = body_.node(i);
    if (is_checked(body_, n)) return 1;
    for (ir::ValueId v : n.results) w = std::min(w, e_.width(body_.type(v).dtype));
    for (ir::ValueId v : n.operands) w = std::min(w, e_.width(body_.type(v).dtype));
  }
  return w == (1u << 30) ? e_.width(DType::F32) : w;
}

// The scalar value of a scalar body value known before the loop: an input's
// element 0 or a constant; null otherwise.
Value* BodyAtPoint::scalar_before_loop(ir::ValueId v) {
  const ir::Node* def = body_.value(v).def;
  if (def->op == Op::Constant) return e_.constant(body_.type(v).dtype, def->attrs.f("value"));
  if (def->op != Op::Input) return nullptr;
  const Operand& o = k_.in[input_of_.at(def)];
  if (o.constant) return e_.constant(o.type.dtype, *o.constant);
  return e_.load(o.type.dtype, 1, o.ptr, e_.idx(0));
}

void BodyAtPoint::prologue() {
  for (size_t i = 0; i < body_.size(); ++i) {
    const ir::Node& n = body_.node(i);
    if (n.op != Op::Dropout || !needed_[i]) continue;
    Value* seed = scalar_before_loop(n.operands[1]);
    Value* step = scalar_before_loop(n.operands[2]);
    if (seed && step) keys_[&n] = dropout_key(e_.b(), seed, uint32_t(n.attrs.i("salt")), step);
  }
}

Values BodyAtPoint::offsets_2d(Value* row, Value* col, std::vector<bool>* contiguous) const {
  auto& b = e_.b();
  Values off;
  contiguous->clear();
  for (const ir::Shape& s : shapes_) {
    std::vector<int64_t> st = broadcast_strides(s, iter_);
    Value* o = e_.idx(0);
    if (st.size() == 2 && st[0] != 0) o = b.CreateMul(row, e_.idx(st[0]));
    if (!st.empty() && st.back() != 0) o = b.CreateAdd(o, st.back() == 1 ? col : b.CreateMul(col, e_.idx(st.back())));
    off.push_back(o);
    contiguous->push_back(!st.empty() && st.back() == 1);
  }
  return off;
}

bool BodyAtPoint::flat() const {
  for (const ir::Shape& s : shapes_) {
    std::vector<int64_t> st = broadcast_strides(s, iter_);
    bool scalar = std::all_of(st.begin(), st.end(), [](int64_t x) { return x == 0; });
    if (!scalar && s != iter_) return false;
  }
  return true;
}

// The flat indices (i32) of `lanes` consecutive elements at `offset`.
Value* BodyAtPoint::own_index(Value* offset, bool contiguous, unsigned lanes) {
  auto& b = e_.b();
  Value* first = b.CreateTrunc(offset, e_.i32());
  if (lanes == 1) return first;
  Value* v = e_.splat(first, lanes);
  if (!contiguous) return v;
  std::vector<uint32_t> iota(lanes);
  for (unsigned i = 0; i < lanes; ++i) iota[i] = i;
  return b.CreateAdd(v, llvm::ConstantDataVector::get(e_.ctx(), iota));
}

bool BodyAtPoint::prefetched(size_t i) const {
  const ir::Node& n = body_.node(i);
  if (!needed_[i] || n.op != Op::Input || given_.count(n.result())) return false;
  return !k_.in[input_of_.at(&n)].constant && shapes_[access_of_.at(&n)] == iter_;
}

bool BodyAtPoint::prefetches() const {
  for (size_t i = 0; i < body_.size(); ++i)
    if (prefetched(i)) return true;
  return false;
}

void BodyAtPoint::prefetch(const Values& offsets) {
  for (size_t i = 0; i < body_.size(); ++i) {
    if (!prefetched(i)) continue;
    const ir::Node& n = body_.node(i);
    const Operand& o = k_.in[input_of_.at(&n)];
    e_.prefetch(o.type.dtype, o.ptr, offsets[access_of_.at(&n)]);
  }
}

Values BodyAtPoint::at(const Values& offsets, const std::vector<bool>& contiguous, unsigned lanes,
                       const std::map<ir::ValueId, Value*>& given) {
  std::vector<Value*> val(size_t(body_.num_values()), nullptr);
  std::vector<std::pair<const ir::Node*, Value*>> stores;
  for (size_t i = 0; i < body_.size(); ++i) {
    if (!needed_[i]) continue;
    const ir::Node& n = body_.node(i);
    if (!n.results.empty() && given_.count(n.result())) {
      for (ir::ValueId r : n.results)
        if (given.count(r)) val[size_t(r)] = given.at(r);
      continue;
    }
    if (n.op == Op::Input) {
      const Operand& o = k_.in[input_of_.at(&n)];
      size_t a = access_of_.at(&n);
      Value* v;
      if (o.constant) v = e_.constant(o.type.dtype, *o.constant, lanes);
      else if (contiguous[a]) v = e_.load(o.type.dtype, lanes, o.ptr, offsets[a]);
      else v = e_.splat(e_.load(o.type.dtype, 1, o.ptr, offsets[a]), lanes);
      val[size_t(n.result())] = v;
    } else if (n.op == Op::Constant) {
      val[size_t(n.result())] = e_.constant(body_.type(n.result()).dtype, n.attrs.f("value"), lanes);
    } else if (n.op == Op::BroadcastTo) {
      val[size_t(n.result())] = val[size_t(n.operands[0])];
    } else if (n.op == Op::Output) {
      stores.push_back({&n, val[size_t(n.operands[0])]});
    } else {
      Values args;
      for (ir::ValueId a : n.operands) args.push_back(val[size_t(a)]);
      Value* index = nullptr;
      if (n.op == Op::Dropout) {
        size_t a = access_of_.at(&n);
        index = own_index(offsets[a], contiguous[a], lanes);
      }
      val[size_t(n.result())] = apply(n, args, lanes, index);
    }
  }
  // Stores last: an output may share its buffer with an input (in place).
  for (auto [n, v] : stores) {
    const Operand& o = k_.out[output_of_.at(n)];
    size_t a = access_of_.at(n);
    e_.store(o.type.dtype, contiguous[a] ? v : e_.resize(v, 1), o.ptr, offsets[a]);
  }
  Values out;
  for (ir::ValueId r : roots_) out.push_back(val[size_t(r)]);
  return out;
}

// Float ops as IEEE arithmetic; i32 ops wrap modulo 2^32, as int64_t arithmetic
// narrowed to 32 bits does.
Value* BodyAtPoint::apply(const ir::Node& n, const Values& a, unsigned lanes, Value* index) {
  auto& b = e_.b();
  DType d = body_.type(n.operands[0]).dtype;
  bool flt = ir::is_float(d);
  auto one = [&] { return e_.constant(d, 1.0, lanes); };
  auto zero = [&] { return e_.constant(d, 0.0, lanes); };
  switch (n.op) {
    case Op::Neg: return flt ? b.CreateFNeg(a[0]) : b.CreateSub(zero(), a[0]);
    case Op::Abs:
      return flt ? e_.intrinsic(llvm::Intrinsic::fabs, a[0])
                 : b.CreateBinaryIntrinsic(llvm::Intrinsic::abs, a[0], b.getFalse());
    case Op::Exp: return vexp(e_, a[0]);
    case Op::Log: return vlog(e_, a[0]);
    case Op::Sqrt: return e_.intrinsic(llvm::Intrinsic::sqrt, a[0]);
    case Op::Rsqrt: return b.CreateFDiv(one(), e_.intrinsic(llvm::Intrinsic::sqrt, a[0]));
    case Op::Relu:
      return flt ? b.CreateSelect(b.CreateFCmpOLT(a[0], zero()), zero(), a[0])
                 : b.CreateBinaryIntrinsic(llvm::Intrinsic::smax, a[0], zero());
    case Op::LeakyRelu: {
      Value* slope = e_.constant(d, n.attrs.f("slope"), lanes);
      return b.CreateSelect(b.CreateFCmpOGT(a[0], zero()), a[0], b.CreateFMul(slope, a[0]));
    }
    case Op::Sigmoid: return vsigmoid(e_, a[0]);
    case Op::Tanh: return vtanh(e_, a[0]);
    case Op::Pow: return vpow(e_, a[0], n.attrs.f("exponent"));
    case Op::Cast: return apply_cast(n, a[0]);
    case Op::Add: return flt ? b.CreateFAdd(a[0], a[1]) : b.CreateAdd(a[0], a[1]);
    case Op::Sub: return flt ? b.CreateFSub(a[0], a[1]) : b.CreateSub(a[0], a[1]);
    case Op::Mul: return flt ? b.CreateFMul(a[0], a[1]) : b.CreateMul(a[0], a[1]);
    case Op::Div: return flt ? b.CreateFDiv(a[0], a[1]) : int_div(n, a[0], a[1]);
    case Op::Maximum: return e_.max_nan(a[0], a[1]);
    case Op::Minimum: return e_.min_nan(a[0], a[1]);
    case Op::Cmp: return apply_cmp(n, a, d, lanes);
    case Op::Select: {
      Value* c = flt ? b.CreateFCmpUNE(a[0], zero()) : b.CreateICmpNE(a[0], zero());
      return b.CreateSelect(c, a[1], a[2]);
    }
    case Op::Dropout: return apply_dropout(n, a, lanes, index);
    case Op::Input: case Op::LoadState: case Op::Constant: case Op::StoreState: case Op::Output: case Op::Grad:
    case Op::ReduceSum: case Op::ReduceMean: case Op::ReduceMax: case Op::Reshape: case Op::BroadcastTo:
    case Op::Transpose: case Op::Slice: case Op::Pad: case Op::MaskRows: case Op::Matmul: case Op::Softmax: case Op::LogSoftmax:
    case Op::SoftmaxXent: case Op::Nll: case Op::Mse: case Op::OneHot: case Op::Argmax: case Op::Correct:
    case Op::Fused: case Op::BatchNormTrain: case Op::BatchNormGrad: case Op::BatchNormEval: case Op::AllReduce:
    case Op::AllReduceStart: case Op::AllReduceWait: case Op::Conv2d: case Op::Conv2dInputGrad:
    case Op::Conv2dWeightGrad: case Op::MaxPool2d: case Op::MaxPool2dGrad: case Op::AvgPool2d: case Op::AvgPool2dGrad: break;
  }
  fail("{} at {}: not an elementwise op; a fused elementwise body may hold only elementwise ops and constants",
       ir::op_name(n.op), ir::to_string(n.locs));
}

// One element at a time (choose_width); the quotient is taken in i64 so that
// INT_MIN / -1 wraps instead of trapping.
Value* BodyAtPoint::int_div(const ir::Node& n, Value* x, Value* y) {
  auto& b = e_.b();
  int64_t site = k_.sites->add(n, Check::IntDivByZero);
  k_.fail_if(b.CreateICmpEQ(y, llvm::Constant::getNullValue(y->getType())), site, b.CreateSExt(x, e_.i64()), e_.idx(0));
  return b.CreateTrunc(b.CreateSDiv(b.CreateSExt(x, e_.i64()), b.CreateSExt(y, e_.i64())), e_.i32());
}

Value* BodyAtPoint::apply_cast(const ir::Node& n, Value* x) {
  auto& b = e_.b();
  DType from = body_.type(n.operands[0]).dtype, to = body_.type(n.result()).dtype;
  unsigned lanes = e_.lanes_of(x);
  llvm::Type* t = e_.type(to, lanes);
  if (from == to) return x;
  if (from == DType::I32) return b.CreateSIToFP(x, t);
  if (to != DType::I32) return b.CreateFPCast(x, t);
  // To i32: truncate toward zero; NaN and values outside [-2^31, 2^31 - 1] fail.
  Value* tr = e_.intrinsic(llvm::Intrinsic::trunc, x);
  Value* lo = llvm::ConstantFP::get(x->getType(), -2147483648.0);
  Value* hi = llvm::ConstantFP::get(x->getType(), 2147483647.0);
  Value* bad = b.CreateOr(b.CreateFCmpULT(tr, lo), b.CreateFCmpUGT(tr, hi));
  int64_t site = k_.sites->add(n, Check::CastToI32);
  Value* as_double = b.CreateBitCast(b.CreateFPCast(x, b.getDoubleTy()), e_.i64());
  k_.fail_if(bad, site, e_.idx(0), as_double);
  return b.CreateFPToSI(tr, t);
}

Value* BodyAtPoint::apply_cmp(const ir::Node& n, const Values& a, DType d, unsigned lanes) {
  auto& b = e_.b();
  const std::string& p = n.attrs.s("pred");
  Value* c;
  if (ir::is_float(d)) {
    using P = llvm::CmpInst::Predicate;
    P pred = p == "gt" ? P::FCMP_OGT : p == "ge" ? P::FCMP_OGE : p == "lt" ? P::FCMP_OLT
           : p == "le" ? P::FCMP_OLE : p == "eq" ? P::FCMP_OEQ : P::FCMP_UNE;
    c = b.CreateFCmp(pred, a[0], a[1]);
  } else {
    using P = llvm::CmpInst::Predicate;
    P pred = p == "gt" ? P::ICMP_SGT : p == "ge" ? P::ICMP_SGE : p == "lt" ? P::ICMP_SLT
           : p == "le" ? P::ICMP_SLE : p == "eq" ? P::ICMP_EQ : P::ICMP_NE;
    c = b.CreateICmp(pred, a[0], a[1]);
  }
  return b.CreateSelect(c, e_.constant(d, 1.0, lanes), e_.constant(d, 0.0, lanes));
}

// y = keep ? x * scale : 0, keep = u >= p, u = (mix32(i ^ key) >> 8) * 2^-24.
Value* BodyAtPoint::apply_dropout(const ir::Node& n, const Values& a, unsigned lanes, Value* index) {
  auto& b = e_.b();
  DType d = body_.type(n.result()).dtype;
  double p_attr = n.attrs.f("p");
  auto p = static_cast<float>(p_attr);
  // scale = 1 / (1 - p) rounded in the element type, as the interpreter computes it.
  double scale = d == DType::F32 ? double(1.0f / (1.0f - p)) : 1.0 / (1.0 - p_attr);
  Value* key = keys_.count(&n) ? keys_.at(&n) : nullptr;
  if (!key) {
    Value* seed = e_.resize(a[1], 1);
    Value* step = e_.resize(a[2], 1);
    key = dropout_key(b, seed, uint32_t(n.attrs.i("salt")), step);
  }
  // The mask index is i + offset, modulo 2^32 (ir/ops.def: a rank's rows of the global batch).
  if (auto offset = static_cast<uint32_t>(n.attrs.i("offset")); offset != 0)
    index = b.CreateAdd(index, e_.splat(b.getInt32(offset), lanes));
  Value* h = mix32(b, b.CreateXor(index, e_.splat(key, lanes)));
  Value* u = b.CreateFMul(b.CreateUIToFP(b.CreateLShr(h, e_.splat(b.getInt32(8), lanes)), e_.type(DType::F32, lanes)),
                          e_.constant(DType::F32, 1.0 / 16777216.0, lanes));
  Value* keep = b.CreateFCmpOGE(u, e_.constant(DType::F32, p, lanes));
  return b.CreateSelect(keep, b.CreateFMul(a[0], e_.constant(d, scale, lanes)), e_.constant(d, 0.0, lanes));
}

}  // namespace minigrad::jit
