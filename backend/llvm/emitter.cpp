// The code-generation toolkit; see emitter.h.
#include "backend/llvm/emitter.h"

#include <llvm/IR/Intrinsics.h>
#include <llvm/TargetParser/Triple.h>
#include <llvm/Transforms/Utils/ModuleUtils.h>

namespace minigrad::jit {

using llvm::Value;

Emitter::Emitter(llvm::Module& m, const TargetInfo& t) : ctx_(m.getContext()), mod_(m), b_(ctx_), target_(t) {}

// ---- types and constants

llvm::Type* Emitter::scalar(ir::DType d) {
  switch (d) {
    case ir::DType::F32: return b_.getFloatTy();
    case ir::DType::F64: return b_.getDoubleTy();
    case ir::DType::I32: return b_.getInt32Ty();
  }
  return nullptr;  // not reached: every dtype has its case
}

llvm::Type* Emitter::type(ir::DType d, unsigned lanes) {
  return lanes == 1 ? scalar(d) : llvm::FixedVectorType::get(scalar(d), lanes);
}

llvm::Type* Emitter::ptr() { return b_.getPtrTy(); }
llvm::Type* Emitter::i32() { return b_.getInt32Ty(); }
llvm::Type* Emitter::i64() { return b_.getInt64Ty(); }
Value* Emitter::idx(int64_t v) { return b_.getInt64(static_cast<uint64_t>(v)); }

Value* Emitter::constant(ir::DType d, double v, unsigned lanes) {
  Value* s = ir::is_float(d) ? static_cast<Value*>(llvm::ConstantFP::get(scalar(d), v))
                             : llvm::ConstantInt::get(scalar(d), static_cast<uint64_t>(static_cast<int64_t>(v)), true);
  return splat(s, lanes);
}

Value* Emitter::splat(Value* s, unsigned lanes) {
  if (lanes == 1 || s->getType()->isVectorTy()) return s;
  return b_.CreateVectorSplat(lanes, s);
}

unsigned Emitter::lanes_of(Value* v) const {
  if (auto* vt = llvm::dyn_cast<llvm::FixedVectorType>(v->getType())) return vt->getNumElements();
  return 1;
}

// ---- memory

Value* Emitter::at(ir::DType d, Value* base, Value* offset) { return b_.CreateInBoundsGEP(scalar(d), base, offset); }

Value* Emitter::load(ir::DType d, unsigned lanes, Value* base, Value* offset) {
  return b_.CreateAlignedLoad(type(d, lanes), at(d, base, offset), llvm::Align(ir::dtype_size(d)));
}

void Emitter::prefetch(ir::DType d, Value* base, Value* offset) {
  // read, keep in all cache levels (locality 3), data cache
  b_.CreateIntrinsic(llvm::Intrinsic::prefetch, {ptr()}, {at(d, base, offset), b_.getInt32(0), b_.getInt32(3), b_.getInt32(1)});
}

void Emitter::store(ir::DType d, Value* v, Value* base, Value* offset) {
  b_.CreateAlignedStore(v, at(d, base, offset), llvm::Align(ir::dtype_size(d)));
}

void Emitter::fill(ir::DType d, Value* base, int64_t n, Value* scalar_value) {
  vector_loop(n, width(d), [&](Value* i, unsigned lanes) { store(d, splat(scalar_value, lanes), base, i); });
}

void Emitter::copy(Value* to, Value* from, int64_t bytes) {
  if (bytes > 0) b_.CreateMemCpy(to, llvm::Align(1), from, llvm::Align(1), static_cast<uint64_t>(bytes));
}

// ---- loops

llvm::BasicBlock* Emitter::block(const std::string& name) {
  llvm::Function* f = b_.GetInsertBlock()->getParent();
  return llvm::BasicBlock::Create(ctx_, name, f);
}

void Emitter::loop(int64_t begin, int64_t end, int64_t step, const Body& body) {
  loop(idx(begin), idx(end), step, body);
}

void Emitter::loop(Value* begin, Value* end, int64_t step, const Body& body) {
  loop_carry(begin, end, step, {}, [&](Value* i, const Values&) {
    body(i);
    return Values{};
  });
}

Values Emitter::loop_carry(int64_t begin, int64_t end, int64_t step, const Values& init, const CarryBody& body) {
  return loop_carry(idx(begin), idx(end), step, init, body);
}

// A do-while loop: header (phis, body), latch (increment, test), exit. With static
// bounds the trip count is known to be >= 2 here; otherwise a guard skips the
// loop when begin >= end, and the exit merges the initial and final values.
Values Emitter::loop_carry(Value* begin, Value* end, int64_t step, const Values& init, const CarryBody& body) {
  auto* cb = llvm::dyn_cast<llvm::ConstantInt>(begin);
  auto* ce = llvm::dyn_cast<llvm::ConstantInt>(end);
  bool is_static = cb && ce;
  if (is_static) {
    int64_t n = ce->getSExtValue() - cb->getSExtValue();
    if (n <= 0) return init;
    if (n <= step) return body(begin, init);
  }
  llvm::BasicBlock* pre = b_.GetInsertBlock();
  llvm::BasicBlock* head = block("loop");
  llvm::BasicBlock* exit = block("loop.end");
  if (is_static) {
    b_.CreateBr(head);
  } else {
    b_.CreateCondBr(b_.CreateICmpSLT(begin, end), head, exit);
  }
  b_.SetInsertPoint(head);
  llvm::PHINode* iv = b_.CreatePHI(i64(), 2, "i");
  iv->addIncoming(begin, pre);
  Values cur;
  for (Value* v : init) {
    llvm::PHINode* p = b_.CreatePHI(v->getType(), 2);
    p->addIncoming(v, pre);
    cur.push_back(p);
  }
  Values next = body(iv, cur);
  Value* inc = b_.CreateAdd(iv, idx(step), "", true, true);
  llvm::BasicBlock* latch = b_.GetInsertBlock();
  b_.CreateCondBr(b_.CreateICmpSLT(inc, end), head, exit);
  iv->addIncoming(inc, latch);
  for (size_t k = 0; k < cur.size(); ++k) llvm::cast<llvm::PHINode>(cur[k])->addIncoming(next[k], latch);
  b_.SetInsertPoint(exit);
  if (is_static) return next;
  Values out;
  for (size_t k = 0; k < next.size(); ++k) {
    llvm::PHINode* p = b_.CreatePHI(next[k]->getType(), 2);
    p->addIncoming(init[k], pre);
    p->addIncoming(next[k], latch);
    out.push_back(p);
  }
  return out;
}

void Emitter::vector_loop(int64_t n, unsigned lanes, const VecBody& body) {
  vector_loop_carry(n, lanes, {}, [&](Value* i, unsigned l, const Values&) {
    body(i, l);
    return Values{};
  });
}

void Emitter::vector_loop_range(int64_t n, unsigned lanes, Value* begin, Value* end, const VecBody& body) {
  if (!begin) return vector_loop(n, lanes, body);
  int64_t full = n / lanes;
  Value* full_end = b_.CreateSelect(b_.CreateICmpSLT(end, idx(full)), end, idx(full));
  loop(begin, full_end, 1, [&](Value* v) { body(b_.CreateMul(v, idx(lanes)), lanes); });
  if (n % lanes != 0) if_then(b_.CreateICmpSGT(end, idx(full)), [&] { body(idx(full * lanes), unsigned(n % lanes)); });
}

Values Emitter::vector_loop_carry(int64_t n, unsigned lanes, const Values& init, const VecCarryBody& body) {
  int64_t full = n / lanes * lanes;
  Values cur = loop_carry(0, full, lanes, init, [&](Value* i, const Values& c) { return body(i, lanes, c); });
  if (n > full) cur = body(idx(full), static_cast<unsigned>(n - full), cur);
  return cur;
}

void Emitter::if_then(Value* cond, const std::function<void()>& body) {
  if (auto* c = llvm::dyn_cast<llvm::ConstantInt>(cond)) {
    if (!c->isZero()) body();
    return;
  }
  llvm::BasicBlock* then = block("then");
  llvm::BasicBlock* done = block("endif");
  b_.CreateCondBr(cond, then, done);
  b_.SetInsertPoint(then);
  body();
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
}

// ---- arithmetic

Value* Emitter::reduce_add(Value* v) {
  if (lanes_of(v) == 1) return v;
  if (v->getType()->isIntOrIntVectorTy()) return b_.CreateAddReduce(v);
  llvm::IRBuilderBase::FastMathFlagGuard guard(b_);
  llvm::FastMathFlags fmf;
  fmf.setAllowReassoc();
  b_.setFastMathFlags(fmf);
  return b_.CreateFAddReduce(llvm::ConstantFP::getNegativeZero(v->getType()->getScalarType()), v);
}

// A tree of max_nan over halves; an odd lane count folds its last lane into lane 0.
Value* Emitter::reduce_max(Value* v) {
  unsigned n = lanes_of(v);
  while (n > 1) {
    if (n == 2 || n == 3) {
      Value* m = max_nan(b_.CreateExtractElement(v, uint64_t(0)), b_.CreateExtractElement(v, uint64_t(1)));
      return n == 3 ? max_nan(m, b_.CreateExtractElement(v, uint64_t(2))) : m;
    }
    unsigned half = n / 2;
    llvm::SmallVector<int, 16> lo, hi;
    for (unsigned i = 0; i < half; ++i) lo.push_back(int(i)), hi.push_back(int(i + half));
    Value* m = max_nan(b_.CreateShuffleVector(v, lo), b_.CreateShuffleVector(v, hi));
    if (n % 2) {
      Value* first = max_nan(b_.CreateExtractElement(m, uint64_t(0)), b_.CreateExtractElement(v, uint64_t(n - 1)));
      m = b_.CreateInsertElement(m, first, uint64_t(0));
    }
    v = m;
    n = half;
  }
  return v;
}

Value* Emitter::is_nan(Value* v) {
  if (v->getType()->isIntOrIntVectorTy()) return llvm::ConstantInt::getFalse(llvm::CmpInst::makeCmpResultType(v->getType()));
  return b_.CreateFCmpUNO(v, v);
}

Value* Emitter::max_nan(Value* a, Value* b) {
  if (a->getType()->isIntOrIntVectorTy()) return b_.CreateBinaryIntrinsic(llvm::Intrinsic::smax, a, b);
  Value* larger = b_.CreateSelect(b_.CreateFCmpOLT(a, b), b, a);
  return b_.CreateSelect(is_nan(a), a, b_.CreateSelect(is_nan(b), b, larger));
}

Value* Emitter::min_nan(Value* a, Value* b) {
  if (a->getType()->isIntOrIntVectorTy()) return b_.CreateBinaryIntrinsic(llvm::Intrinsic::smin, a, b);
  Value* smaller = b_.CreateSelect(b_.CreateFCmpOLT(b, a), b, a);
  return b_.CreateSelect(is_nan(a), a, b_.CreateSelect(is_nan(b), b, smaller));
}

Value* Emitter::fma(Value* a, Value* b, Value* c) {
  return b_.CreateIntrinsic(llvm::Intrinsic::fmuladd, {a->getType()}, {a, b, c});
}

Value* Emitter::intrinsic(unsigned id, Value* x) {
  return b_.CreateUnaryIntrinsic(static_cast<llvm::Intrinsic::ID>(id), x);
}

Value* Emitter::resize(Value* v, unsigned lanes) {
  unsigned n = lanes_of(v);
  if (n == lanes) return v;
  if (lanes == 1) return b_.CreateExtractElement(v, uint64_t(0));
  if (n == 1) return b_.CreateVectorSplat(lanes, v);
  llvm::SmallVector<int, 16> mask;
  for (unsigned i = 0; i < lanes; ++i) mask.push_back(i < n ? int(i) : -1);
  return b_.CreateShuffleVector(v, mask);
}

// ---- functions

void Emitter::set_target_attrs(llvm::Function* f) {
  f->addFnAttr(llvm::Attribute::NoUnwind);
  f->addFnAttr("target-cpu", target_.cpu);
  f->addFnAttr("target-features", target_.features);
  std::string bits = std::to_string(target_.vector_bits);
  f->addFnAttr("prefer-vector-width", bits);
  f->addFnAttr("min-legal-vector-width", bits);
}

llvm::Function* Emitter::kernel(const std::string& name, unsigned args, bool can_fail, bool ranged) {
  std::vector<llvm::Type*> params(args, ptr());
  if (ranged) params.push_back(i64()), params.push_back(i64());
  auto* fty = llvm::FunctionType::get(can_fail ? i32() : b_.getVoidTy(), params, false);
  auto* f = llvm::Function::Create(fty, llvm::GlobalValue::InternalLinkage, name, mod_);
  set_target_attrs(f);
  f->addFnAttr(llvm::Attribute::NoInline);
  // LLVM 19's AArch64 back end crashes (SelectionDAG type legalisation) passing an
  // odd-width vector such as <3 x float> on the stack, which O3's argument promotion
  // makes when it turns a kernel's operand pointers into the remainder vectors they
  // hold and there are more than eight (batch_norm_eval of 7 features:
  // tests/backend/jit_shapes_test.cpp's r1_c7). A function in llvm.compiler.used has
  // a use that is not a call, so no argument of it is promoted: its operands stay pointers.
  if (llvm::Triple(target_.triple).isAArch64()) llvm::appendToCompilerUsed(mod_, {f});
  for (unsigned i = 0; i < args; ++i) f->addParamAttr(i, llvm::Attribute::NoCapture);
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", f));
  return f;
}

}  // namespace minigrad::jit
