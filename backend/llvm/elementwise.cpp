// Elementwise kernels. Every kElementwise node, and every fused elementwise body,
// becomes one loop nest over the iteration shape (loop_nest.h) whose body
// evaluates the ops on vectors: loads (or splats of broadcast operands), the ops
// in order, stores. A single node is compiled as a body of one node, so there is
// one code path. The semantics of each op are those of the interpreter
// (backend/interp/dispatch.cpp), lane by lane:
//   relu(x) = x < 0 ? 0 : x (NaN stays); leaky_relu(x) = x > 0 ? x : slope x;
//   maximum/minimum propagate NaN (Emitter::max_nan); cmp gives 1 or 0 in the
//   operands' dtype, ordered except ne; select(c, a, b) = c != 0 ? a : b;
//   i32 arithmetic wraps modulo 2^32; i32 division truncates and refuses 0;
//   a cast to i32 truncates and refuses NaN and values outside the i32 range;
//   dropout keeps element i (flat index of its own shape) iff
//   dropout_uniform(key, i) >= p and scales kept elements by 1 / (1 - p), with
//   key = dropout_key(seed, salt, step) (ir/dropout.h, written again here in IR).
// Bodies with a checked op (i32 division, cast to i32) run one element at a time,
// so that the error names the first offending element.
#include <map>

#include <llvm/IR/Intrinsics.h>

#include "backend/llvm/kernel.h"
#include "backend/llvm/loop_nest.h"
#include "backend/llvm/vmath.h"
#include "ir/builder.h"
#include "ir/error.h"

namespace minigrad::jit {
namespace {

using ir::DType;
using ir::Op;
using llvm::Value;

bool is_checked(const ir::Function& f, const ir::Node& n) {
  if (n.op == Op::Div) return f.type(n.result()).dtype == DType::I32;
  if (n.op == Op::Cast) return f.type(n.result()).dtype == DType::I32 && f.type(n.operands[0]).dtype != DType::I32;
  return false;
}

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

class BodyEmitter {
 public:
  BodyEmitter(Kernel& k, const ir::Function& body) : k_(k), e_(k.e), body_(body) {}

  void emit() {
    collect();
    unsigned width = choose_width();
    prologue();
    LoopNest nest = make_loop_nest(iter_, access_shapes_);
    walk_nest(e_, nest, width, [&](const Values& offsets, unsigned lanes) { point(nest, offsets, lanes); });
  }

 private:
  // Inputs, outputs and dropout nodes, each an access of the loop nest.
  void collect() {
    bool first = true;
    for (size_t i = 0; i < body_.size(); ++i) {
      const ir::Node& n = body_.node(i);
      if (n.op == Op::Output) {
        ir::Shape s = body_.type(n.operands[0]).shape;
        iter_ = first ? s : broadcast(iter_, s, n);
        first = false;
      }
    }
    if (first) fail("{} at {}: a fused body needs an output", ir::op_name(k_.node.op), ir::to_string(k_.node.locs));
    size_t inputs = 0, outputs = 0;
    for (size_t i = 0; i < body_.size(); ++i) {
      const ir::Node& n = body_.node(i);
      if (n.op == Op::Input) input_of_[&n] = inputs++;
      if (n.op == Op::Output) output_of_[&n] = outputs++;
    }
    for (size_t i = 0; i < body_.size(); ++i) {
      const ir::Node& n = body_.node(i);
      if (n.op == Op::Input || n.op == Op::Output || n.op == Op::Dropout) {
        access_of_[&n] = access_shapes_.size();
        access_shapes_.push_back(body_.type(n.op == Op::Output ? n.operands[0] : n.result()).shape);
      }
    }
  }

  ir::Shape broadcast(const ir::Shape& a, const ir::Shape& b, const ir::Node& n) {
    if (a == b) return a;
    int rank = std::max(a.rank(), b.rank());
    ir::Dims d(static_cast<size_t>(rank));
    for (int i = 0; i < rank; ++i) {
      int64_t x = i - (rank - a.rank()) >= 0 ? a[i - (rank - a.rank())] : 1;
      int64_t y = i - (rank - b.rank()) >= 0 ? b[i - (rank - b.rank())] : 1;
      if (x != y && x != 1 && y != 1)
        fail("{} at {}: outputs of shapes {} and {} do not broadcast together", ir::op_name(n.op),
             ir::to_string(n.locs), ir::to_string(a), ir::to_string(b));
      d[size_t(i)] = std::max(x, y);
    }
    return ir::Shape(d);
  }

  // The narrowest register width over the dtypes in the body (8 lanes for f64
  // with AVX-512), or 1 if a checked op must stop at its first bad element.
  unsigned choose_width() {
    unsigned w = 1u << 30;
    for (ir::ValueId v = 0; v < body_.num_values(); ++v) w = std::min(w, e_.width(body_.type(v).dtype));
    for (size_t i = 0; i < body_.size(); ++i)
      if (is_checked(body_, body_.node(i))) w = 1;
    return w;
  }

  // The scalar value of a scalar body value known before the loop: an input's
  // element 0 or a constant; null otherwise.
  Value* scalar_before_loop(ir::ValueId v) {
    const ir::Node* def = body_.value(v).def;
    if (def->op == Op::Constant) return e_.constant(body_.type(v).dtype, def->attrs.f("value"));
    if (def->op != Op::Input) return nullptr;
    const Operand& o = k_.in[input_of_.at(def)];
    if (o.constant) return e_.constant(o.type.dtype, *o.constant);
    return e_.load(o.type.dtype, 1, o.ptr, e_.idx(0));
  }

  // Dropout keys of nodes whose seed and step are known before the loop.
  void prologue() {
    for (size_t i = 0; i < body_.size(); ++i) {
      const ir::Node& n = body_.node(i);
      if (n.op != Op::Dropout) continue;
      Value* seed = scalar_before_loop(n.operands[1]);
      Value* step = scalar_before_loop(n.operands[2]);
      if (seed && step) keys_[&n] = dropout_key(e_.b(), seed, uint32_t(n.attrs.i("salt")), step);
    }
  }

  // Loads an access at a point: a vector if it varies along the innermost axis,
  // else a splat of its one element.
  Value* load(const LoopNest& nest, const Values& offsets, size_t access, DType d, Value* ptr, unsigned lanes) {
    if (nest.contiguous(access)) return e_.load(d, lanes, ptr, offsets[access]);
    return e_.splat(e_.load(d, 1, ptr, offsets[access]), lanes);
  }

  void point(const LoopNest& nest, const Values& offsets, unsigned lanes) {
    std::vector<Value*> val(static_cast<size_t>(body_.num_values()), nullptr);
    for (size_t i = 0; i < body_.size(); ++i) {
      const ir::Node& n = body_.node(i);
      if (n.op == Op::Input) {
        const Operand& o = k_.in[input_of_.at(&n)];
        val[size_t(n.result())] = o.constant ? e_.constant(o.type.dtype, *o.constant, lanes)
                                             : load(nest, offsets, access_of_.at(&n), o.type.dtype, o.ptr, lanes);
      } else if (n.op == Op::Constant) {
        val[size_t(n.result())] = e_.constant(body_.type(n.result()).dtype, n.attrs.f("value"), lanes);
      } else if (n.op == Op::Output) {
        const Operand& o = k_.out[output_of_.at(&n)];
        Value* v = val[size_t(n.operands[0])];
        if (nest.contiguous(access_of_.at(&n))) e_.store(o.type.dtype, v, o.ptr, offsets[access_of_.at(&n)]);
        else e_.store(o.type.dtype, e_.resize(v, 1), o.ptr, offsets[access_of_.at(&n)]);
      } else {
        Values args;
        for (ir::ValueId a : n.operands) args.push_back(val[size_t(a)]);
        Value* index = nullptr;
        if (n.op == Op::Dropout) index = own_index(nest, offsets, access_of_.at(&n), lanes);
        val[size_t(n.result())] = apply(n, args, lanes, index);
      }
    }
  }

  // The flat indices (i32) of `lanes` consecutive elements of an access.
  Value* own_index(const LoopNest& nest, const Values& offsets, size_t access, unsigned lanes) {
    auto& b = e_.b();
    Value* first = b.CreateTrunc(offsets[access], e_.i32());
    if (lanes == 1) return first;
    Value* v = e_.splat(first, lanes);
    if (!nest.contiguous(access)) return v;
    std::vector<uint32_t> iota(lanes);
    for (unsigned i = 0; i < lanes; ++i) iota[i] = i;
    return b.CreateAdd(v, llvm::ConstantDataVector::get(e_.ctx(), iota));
  }

  Value* apply(const ir::Node& n, const Values& a, unsigned lanes, Value* index);
  Value* int_div(const ir::Node& n, Value* x, Value* y);
  Value* apply_cast(const ir::Node& n, Value* x);
  Value* apply_cmp(const ir::Node& n, const Values& a, DType d, unsigned lanes);
  Value* apply_dropout(const ir::Node& n, const Values& a, unsigned lanes, Value* index);

  Kernel& k_;
  Emitter& e_;
  const ir::Function& body_;
  ir::Shape iter_;
  std::vector<ir::Shape> access_shapes_;
  std::map<const ir::Node*, size_t> input_of_, output_of_, access_of_;
  std::map<const ir::Node*, Value*> keys_;
};

// Float ops as IEEE arithmetic; i32 ops wrap modulo 2^32, as int64_t arithmetic
// narrowed to 32 bits does.
Value* BodyEmitter::apply(const ir::Node& n, const Values& a, unsigned lanes, Value* index) {
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
    case Op::Transpose: case Op::Slice: case Op::Pad: case Op::Matmul: case Op::Softmax: case Op::LogSoftmax:
    case Op::SoftmaxXent: case Op::Nll: case Op::Mse: case Op::OneHot: case Op::Argmax: case Op::Correct:
    case Op::Fused: case Op::BatchNormTrain: case Op::BatchNormGrad: case Op::BatchNormEval: break;
  }
  fail("{} at {}: not an elementwise op; a fused elementwise body may hold only elementwise ops and constants",
       ir::op_name(n.op), ir::to_string(n.locs));
}

// One element at a time (choose_width); the quotient is taken in i64 so that
// INT_MIN / -1 wraps instead of trapping.
Value* BodyEmitter::int_div(const ir::Node& n, Value* x, Value* y) {
  auto& b = e_.b();
  int64_t site = k_.sites->add(n, Check::IntDivByZero);
  k_.fail_if(b.CreateICmpEQ(y, llvm::Constant::getNullValue(y->getType())), site, b.CreateSExt(x, e_.i64()), e_.idx(0));
  return b.CreateTrunc(b.CreateSDiv(b.CreateSExt(x, e_.i64()), b.CreateSExt(y, e_.i64())), e_.i32());
}

Value* BodyEmitter::apply_cast(const ir::Node& n, Value* x) {
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

Value* BodyEmitter::apply_cmp(const ir::Node& n, const Values& a, DType d, unsigned lanes) {
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
Value* BodyEmitter::apply_dropout(const ir::Node& n, const Values& a, unsigned lanes, Value* index) {
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
  Value* h = mix32(b, b.CreateXor(index, e_.splat(key, lanes)));
  Value* u = b.CreateFMul(b.CreateUIToFP(b.CreateLShr(h, e_.splat(b.getInt32(8), lanes)), e_.type(DType::F32, lanes)),
                          e_.constant(DType::F32, 1.0 / 16777216.0, lanes));
  Value* keep = b.CreateFCmpOGE(u, e_.constant(DType::F32, p, lanes));
  return b.CreateSelect(keep, b.CreateFMul(a[0], e_.constant(d, scale, lanes)), e_.constant(d, 0.0, lanes));
}

}  // namespace

bool has_checked_op(const ir::Function& body) {
  for (size_t i = 0; i < body.size(); ++i)
    if (is_checked(body, body.node(i))) return true;
  return false;
}

bool is_elementwise_body(const ir::Function& body) {
  for (size_t i = 0; i < body.size(); ++i) {
    const ir::Node& n = body.node(i);
    bool ok = n.info().has(ir::kElementwise) || n.op == Op::Input || n.op == Op::Output || n.op == Op::Constant;
    if (!ok) return false;
  }
  return true;
}

void emit_elementwise_body(Kernel& k, const ir::Function& body) { BodyEmitter(k, body).emit(); }

// A single node as a body of one node: an input per operand, the node, an output.
void emit_elementwise(Kernel& k) {
  ir::Function body("node");
  ir::Builder b(body);
  b.set_locs(k.node.locs);
  std::vector<ir::ValueId> ins;
  for (size_t i = 0; i < k.in.size(); ++i) ins.push_back(b.input("in" + std::to_string(i), k.in[i].type));
  std::vector<ir::ValueId> outs = b.emit(k.node.op, ins, k.node.attrs);
  for (size_t i = 0; i < outs.size(); ++i) b.output("out" + std::to_string(i), outs[i]);
  emit_elementwise_body(k, body);
}

// y = x broadcast: a loop over y's shape loading x's broadcast element.
void emit_broadcast_to(Kernel& k) {
  const ir::Type& y = k.out[0].type;
  LoopNest nest = make_loop_nest(y.shape, {k.in[0].type.shape, y.shape});
  DType d = y.dtype;
  walk_nest(k.e, nest, k.e.width(d), [&](const Values& off, unsigned lanes) {
    Value* v = nest.contiguous(0) ? k.e.load(d, lanes, k.in[0].ptr, off[0])
                                  : k.e.splat(k.e.load(d, 1, k.in[0].ptr, off[0]), lanes);
    k.e.store(d, v, k.out[0].ptr, off[1]);
  });
}

}  // namespace minigrad::jit
