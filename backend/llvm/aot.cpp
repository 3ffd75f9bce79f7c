// Ahead-of-time compilation; see aot.h.
//
// The object is three modules linked into one: train_step's and eval's, each
// generated and optimised exactly as the JIT does it (their entries renamed
// NAME__train_step_entry and NAME__eval_entry, hidden), and the wrappers', which
// turn the C ABI (one state block, an arena, row pointers) into the entries'
// address tables and a zeroed RunContext, and hold NAME_init.
#include "backend/llvm/aot.h"

#include <algorithm>

#include <fmt/format.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Linker/Linker.h>
#include <llvm/Object/ArchiveWriter.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>

#include "backend/backend.h"
#include "backend/llvm/codegen.h"
#include "backend/llvm/run_context.h"
#include "backend/llvm/target.h"
#include "ir/error.h"
#include "ir/verifier.h"

namespace minigrad {
namespace {

using llvm::Value;
using jit::Emitter;

// The error codes of the C ABI (the header names them NAME_OK, ...).
constexpr int32_t kErrRows = 1, kErrAlign = 2, kErrCheck = 3;
// NAME_metrics: { float loss; int32_t correct; int64_t error[3]; }
constexpr uint64_t kMetricsCorrect = 4, kMetricsError = 8, kMetricsBytes = 32;

int64_t align64(int64_t n) { return (n + 63) / 64 * 64; }

struct Compiled {
  std::unique_ptr<llvm::Module> module;
  std::vector<std::string> state_names;
  int64_t arena_bytes = 0;
  std::string entry;
  bool masked = false;  // takes n_rows (docs/ir.md, "Partial batches")
};

// Where the wrappers keep what they pass the entries, past both entries' arenas:
// n_rows (i32), predict's labels and metrics, and the logits of a partial batch.
struct Extra {
  int64_t rows_at = 0, labels_at = 0, metrics_at = 0, logits_at = 0, end = 0;
};

// A masked function reads the caller's x and labels, which hold only n_rows rows,
// through mask_rows alone (which reads rows r < n_rows): anything else reading
// them would read past the caller's rows, so it is refused here.
void check_masked_inputs(const ir::Function& f) {
  std::vector<ir::ValueId> inputs;
  for (const ir::Node* n : f.nodes_of(ir::Op::Input))
    if (n->attrs.s("name") != "n_rows") inputs.push_back(n->result());
  for (size_t i = 0; i < f.size(); ++i) {
    const ir::Node& n = f.node(i);
    if (n.op == ir::Op::MaskRows) continue;
    for (ir::ValueId v : n.operands)
      if (std::find(inputs.begin(), inputs.end(), v) != inputs.end())
        fail("compile: @{}: {} at {} reads a batch input directly; a library's step reads the caller's rows only "
             "through mask_rows", f.name(), ir::op_name(n.op), ir::to_string(n.locs));
  }
}

void check_llvm(llvm::Error err, const char* what) {
  if (err) fail("LLVM: {}: {}", what, llvm::toString(std::move(err)));
}

std::string site_text(const jit::ErrorSite& s) {
  std::string what;
  switch (s.check) {
    case jit::Check::Label: what = fmt::format("label error[2] in row error[1] is outside [0, {})", s.classes); break;
    case jit::Check::IntDivByZero: what = "integer division of error[1] by zero"; break;
    case jit::Check::CastToI32: what = "the double whose bits are error[2] does not fit in i32"; break;
    case jit::Check::RowCount: what = fmt::format("row count error[1] is outside [1, {}]", s.classes); break;
  }
  return fmt::format("{} at {}: {}", ir::op_name(s.op), ir::to_string(s.locs), what);
}

bool signature_has_rows(const ir::Function& f) {
  for (const ir::Node* n : f.nodes_of(ir::Op::Input))
    if (n->attrs.s("name") == "n_rows") return true;
  return false;
}

// One function, generated and optimised as the JIT does, its entry renamed.
Compiled compile_function(const ir::Module& m, const std::string& fn, const std::string& prefix, jit::Target& t,
                          llvm::LLVMContext& ctx, AotLibrary& lib) {
  const ir::Function* f = m.find_func(fn);
  if (f == nullptr) fail("compile: module {} has no function @{}", m.name, fn);
  ir::verify(*f, &m);
  jit::Generated g = jit::generate(m, *f, t.info, ctx, jit::CodegenOptions{});
  Compiled c;
  c.entry = prefix + "__" + fn + "_entry";
  llvm::Function* entry = g.module->getFunction(jit::kEntryName);
  entry->setName(c.entry);
  entry->setVisibility(llvm::GlobalValue::HiddenVisibility);
  check_llvm(jit::run_pipeline(*g.module, *t.machine), "optimising");
  for (size_t i = 0; i < g.sites.all().size(); ++i) lib.errors.push_back({fn, int64_t(i), site_text(g.sites.all()[i])});
  c.module = std::move(g.module);
  c.state_names = g.state_names;
  c.arena_bytes = g.arena_bytes;
  c.masked = signature_has_rows(*f);
  if (c.masked) check_masked_inputs(*f);
  return c;
}

// The wrappers' module: the C entry points around the two entries.
class Wrappers {
 public:
  Wrappers(llvm::Module& w, const jit::TargetInfo& info, const AotLibrary& lib, const std::string& prefix)
      : e_(w, info), lib_(lib), prefix_(prefix) {}

  // i32 NAME_<fn>(ptr state, ptr arena, <args>): checks n_rows and alignment, fills
  // the tables, calls the entry; a failed check copies the error record out. A
  // masked entry takes 1 <= n_rows <= BATCH and reads the caller's x and labels
  // where they are (only their n_rows rows: check_masked_inputs); its logits go to
  // the arena and their first n_rows rows to the caller when n_rows < BATCH.
  void step(const Compiled& c, const std::string& name, bool train, bool predict, const Extra& extra) {
    auto& b = e_.b();
    std::vector<llvm::Type*> args{e_.ptr(), e_.ptr(), e_.ptr()};  // state, arena, x
    if (!predict) args.push_back(e_.ptr());                       // labels
    args.push_back(e_.i64());                                     // n_rows
    if (!predict) args.push_back(e_.ptr());                       // metrics
    if (!train) args.push_back(e_.ptr());                         // logits
    auto* fn = llvm::Function::Create(llvm::FunctionType::get(e_.i32(), args, false), llvm::GlobalValue::ExternalLinkage,
                                      prefix_ + "_" + name, e_.module());
    e_.set_target_attrs(fn);
    b.SetInsertPoint(llvm::BasicBlock::Create(e_.ctx(), "entry", fn));
    unsigned a = 0;
    Value *state = fn->getArg(a++), *arena = fn->getArg(a++), *x = fn->getArg(a++);
    auto at = [&](int64_t offset) { return b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), arena, uint64_t(offset)); };
    Value* labels = predict ? at(extra.labels_at) : fn->getArg(a++);
    Value* rows = fn->getArg(a++);
    Value* metrics = predict ? at(extra.metrics_at) : fn->getArg(a++);
    Value* logits = train ? nullptr : fn->getArg(a++);
    if (c.masked) return_if(b.CreateICmpUGE(b.CreateSub(rows, e_.idx(1)), e_.idx(lib_.batch)), kErrRows);
    else return_if(b.CreateICmpNE(rows, e_.idx(lib_.batch)), kErrRows);
    Value* addresses = b.CreateOr(b.CreatePtrToInt(state, e_.i64()), b.CreatePtrToInt(arena, e_.i64()));
    return_if(b.CreateICmpNE(b.CreateAnd(addresses, e_.idx(63)), e_.idx(0)), kErrAlign);
    if (predict) e_.fill(ir::DType::I32, labels, lib_.batch, b.getInt32(0));
    Values ins{x, labels};
    Value* partial = b.CreateICmpNE(rows, e_.idx(lib_.batch));
    if (c.masked) {
      b.CreateStore(b.CreateTrunc(rows, e_.i32()), at(extra.rows_at));
      ins.push_back(at(extra.rows_at));
    }
    Values outs{metrics, b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), metrics, kMetricsCorrect)};
    if (!train) outs.push_back(c.masked ? b.CreateSelect(partial, at(extra.logits_at), logits) : logits);
    Value* context = table(Values(sizeof(jit::RunContext) / 8, nullptr));
    e_.fill(ir::DType::I32, context, int64_t(sizeof(jit::RunContext) / 4), b.getInt32(0));
    Values st;
    for (const std::string& s : c.state_names) st.push_back(b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), state, uint64_t(offset_of(s))));
    auto* entry_ty = llvm::FunctionType::get(e_.i32(), {e_.ptr(), e_.ptr(), e_.ptr(), e_.ptr(), e_.ptr()}, false);
    llvm::FunctionCallee entry = e_.module().getOrInsertFunction(c.entry, entry_ty);
    Value* status = b.CreateCall(entry, {table(ins), table(outs), table(st), arena, context});
    auto* failed = llvm::BasicBlock::Create(e_.ctx(), "failed", fn);
    auto* ok = llvm::BasicBlock::Create(e_.ctx(), "ok", fn);
    b.CreateCondBr(b.CreateICmpNE(status, b.getInt32(0)), failed, ok);
    b.SetInsertPoint(failed);
    if (!predict)
      for (uint64_t i = 0; i < 3; ++i)
        b.CreateStore(b.CreateLoad(e_.i64(), b.CreateConstInBoundsGEP1_64(e_.i64(), context, i)),
                      b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), metrics, kMetricsError + 8 * i));
    b.CreateRet(b.getInt32(kErrCheck));
    b.SetInsertPoint(ok);
    if (!train && c.masked) {  // a partial batch's logits: its rows of the arena's
      auto* copy = llvm::BasicBlock::Create(e_.ctx(), "copy", fn);
      auto* done = llvm::BasicBlock::Create(e_.ctx(), "done", fn);
      b.CreateCondBr(partial, copy, done);
      b.SetInsertPoint(copy);
      b.CreateMemCpy(logits, llvm::MaybeAlign(4), at(extra.logits_at), llvm::MaybeAlign(64),
                     b.CreateMul(rows, e_.idx(4 * lib_.classes)));
      b.CreateBr(done);
      b.SetInsertPoint(done);
    }
    b.CreateRet(b.getInt32(0));
  }

  // i32 NAME_init(ptr state, i64 seed): every state as runtime/init_state.cpp fills it.
  void init() {
    auto& b = e_.b();
    auto* fn = llvm::Function::Create(llvm::FunctionType::get(e_.i32(), {e_.ptr(), e_.i64()}, false),
                                      llvm::GlobalValue::ExternalLinkage, prefix_ + "_init", e_.module());
    e_.set_target_attrs(fn);
    b.SetInsertPoint(llvm::BasicBlock::Create(e_.ctx(), "entry", fn));
    Value *state = fn->getArg(0), *seed = fn->getArg(1);
    return_if(b.CreateICmpNE(b.CreateAnd(b.CreatePtrToInt(state, e_.i64()), e_.idx(63)), e_.idx(0)), kErrAlign);
    rng_ = b.CreateAlloca(e_.i64(), nullptr, "rng");
    for (const AotState& s : lib_.states) fill_state(s, b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), state, uint64_t(s.offset)), seed);
    b.CreateRet(b.getInt32(0));
  }

 private:
  using Values = jit::Values;

  // Returns `code` from the current function when cond holds; continues after it.
  void return_if(Value* cond, int32_t code) {
    auto& b = e_.b();
    llvm::Function* fn = b.GetInsertBlock()->getParent();
    auto* bad = llvm::BasicBlock::Create(e_.ctx(), "bad", fn);
    auto* good = llvm::BasicBlock::Create(e_.ctx(), "good", fn);
    b.CreateCondBr(cond, bad, good);
    b.SetInsertPoint(bad);
    b.CreateRet(b.getInt32(code));
    b.SetInsertPoint(good);
  }

  // A stack table of pointers (null entries are left for the caller to fill).
  Value* table(const Values& entries) {
    auto& b = e_.b();
    llvm::Function* fn = b.GetInsertBlock()->getParent();
    llvm::IRBuilder<> at_entry(&fn->getEntryBlock(), fn->getEntryBlock().begin());
    auto* t = at_entry.CreateAlloca(e_.ptr(), e_.idx(int64_t(std::max<size_t>(entries.size(), 1))));
    t->setAlignment(llvm::Align(16));
    for (size_t i = 0; i < entries.size(); ++i)
      if (entries[i]) b.CreateStore(entries[i], b.CreateConstInBoundsGEP1_64(e_.ptr(), t, i));
    return t;
  }

  int64_t offset_of(const std::string& name) const {
    for (const AotState& s : lib_.states)
      if (s.decl->name == name) return s.offset;
    fail("compile: state '{}' is used but not declared", name);
  }

  // splitmix64's step (init_state.cpp): s += golden; z = mix(s).
  Value* next() {
    auto& b = e_.b();
    Value* s = b.CreateAdd(b.CreateLoad(e_.i64(), rng_), e_.idx(int64_t(0x9e3779b97f4a7c15ull)));
    b.CreateStore(s, rng_);
    Value* z = b.CreateMul(b.CreateXor(s, b.CreateLShr(s, 30)), e_.idx(int64_t(0xbf58476d1ce4e5b9ull)));
    z = b.CreateMul(b.CreateXor(z, b.CreateLShr(z, 27)), e_.idx(int64_t(0x94d049bb133111ebull)));
    return b.CreateXor(z, b.CreateLShr(z, 31));
  }
  // [0, 1): the top 53 bits times 2^-53.
  Value* uniform() {
    auto& b = e_.b();
    return b.CreateFMul(b.CreateUIToFP(b.CreateLShr(next(), 11), b.getDoubleTy()), f64(0x1.0p-53));
  }
  // Box-Muller, u1 drawn first: sqrt(-2 ln(1 - u1)) cos(2 pi u2).
  Value* normal() {
    auto& b = e_.b();
    Value* u1 = uniform();
    Value* r = e_.intrinsic(llvm::Intrinsic::sqrt, b.CreateFMul(f64(-2.0), libm("log", b.CreateFSub(f64(1.0), u1))));
    Value* u2 = uniform();
    return b.CreateFMul(r, libm("cos", b.CreateFMul(f64(2.0 * 3.14159265358979323846), u2)));
  }
  Value* f64(double v) { return llvm::ConstantFP::get(e_.b().getDoubleTy(), v); }
  Value* libm(const char* name, Value* x) {
    auto* d = e_.b().getDoubleTy();
    return e_.b().CreateCall(e_.module().getOrInsertFunction(name, llvm::FunctionType::get(d, {d}, false)), {x});
  }

  void fill_state(const AotState& s, Value* at, Value* seed) {
    auto& b = e_.b();
    const ir::StateDecl& d = *s.decl;
    // FNV-1a of the name, keyed by the seed.
    Value* h = b.CreateXor(e_.idx(int64_t(1469598103934665603ull)), seed);
    for (unsigned char ch : d.name) h = b.CreateMul(b.CreateXor(h, e_.idx(ch)), e_.idx(int64_t(1099511628211ull)));
    b.CreateStore(h, rng_);
    const ir::Init& init = d.init;
    e_.loop(0, d.type.shape.numel(), 1, [&](Value* i) {
      Value* v = nullptr;
      switch (init.kind) {
        case ir::Init::Kind::Zeros: v = f64(0); break;
        case ir::Init::Kind::Ones: v = f64(1); break;
        case ir::Init::Kind::Fill: v = f64(init.a); break;
        case ir::Init::Kind::Uniform: v = b.CreateFAdd(f64(init.a), b.CreateFMul(f64(init.b - init.a), uniform())); break;
        case ir::Init::Kind::Normal: v = b.CreateFAdd(f64(init.a), b.CreateFMul(f64(init.b), normal())); break;
        case ir::Init::Kind::Seed:
          v = b.CreateSIToFP(b.CreateTrunc(b.CreateAnd(seed, e_.idx(0x7fffffff)), b.getInt32Ty()), b.getDoubleTy());
          break;
      }
      switch (d.type.dtype) {
        case ir::DType::F32: v = b.CreateFPTrunc(v, b.getFloatTy()); break;
        case ir::DType::F64: break;
        case ir::DType::I32: v = b.CreateFPToSI(v, b.getInt32Ty()); break;
      }
      e_.store(d.type.dtype, v, at, i);
    });
  }

  Emitter e_;
  const AotLibrary& lib_;
  std::string prefix_;
  Value* rng_ = nullptr;
};

// B, F and C from train_step's x [B, F] and eval's logits [B, C].
void data_shape(const ir::Module& m, AotLibrary& lib) {
  const ir::Function* train = m.find_func("train_step");
  const ir::Function* eval = m.find_func("eval");
  if (train == nullptr || eval == nullptr) fail("compile: module {} needs @train_step and @eval", m.name);
  Signature ts = signature_of(*train), es = signature_of(*eval);
  auto inputs_ok = [](const Signature& s) {
    return s.inputs.size() == 2 || (s.inputs.size() == 3 && s.inputs[2].first == "n_rows");
  };
  if (!inputs_ok(ts) || ts.outputs.size() != 2 || !inputs_ok(es) || es.outputs.size() != 3)
    fail("compile: @train_step must take (x, labels[, n_rows]) to (loss, correct) and @eval (x, labels[, n_rows]) to "
         "(loss, correct, logits)");
  const ir::Type& x = ts.inputs[0].second;
  lib.batch = x.shape[0], lib.features = x.shape[1], lib.classes = es.outputs[2].second.shape[1];
}

std::string archive_of(const std::string& object, const std::string& member, const std::string& triple) {
  std::vector<llvm::NewArchiveMember> members;
  members.emplace_back(llvm::MemoryBufferRef(object, member));
  members.back().MemberName = member;
  llvm::Triple t(triple);
  auto buffer = llvm::writeArchiveToBuffer(members, llvm::SymtabWritingMode::NormalSymtab,
                                           llvm::object::Archive::getDefaultKindForTriple(t), true, false);
  if (!buffer) fail("LLVM: writing the archive: {}", llvm::toString(buffer.takeError()));
  return std::string((*buffer)->getBuffer());
}

}  // namespace

AotLibrary aot_compile(const ir::Module& m, const AotOptions& o) {
  AotLibrary lib;
  data_shape(m, lib);
  for (const ir::StateDecl& s : m.states) {
    int64_t bytes = s.type.shape.numel() * ir::dtype_size(s.type.dtype);
    lib.states.push_back({&s, lib.state_bytes, bytes});
    lib.state_bytes = align64(lib.state_bytes + bytes);
  }
  jit::Target t = jit::make_target(o.target, o.pic);
  lib.triple = t.spec.triple, lib.cpu = t.spec.cpu, lib.figures = t.figures;
  llvm::LLVMContext ctx;
  Compiled train = compile_function(m, "train_step", o.name, t, ctx, lib);
  Compiled eval = compile_function(m, "eval", o.name, t, ctx, lib);
  Extra extra;  // past both entries' arenas
  extra.rows_at = align64(std::max(train.arena_bytes, eval.arena_bytes));
  extra.labels_at = extra.rows_at + 64;
  extra.metrics_at = extra.labels_at + align64(4 * lib.batch);
  extra.logits_at = extra.metrics_at + align64(int64_t(kMetricsBytes));
  lib.arena_bytes = extra.logits_at + align64(4 * lib.batch * lib.classes);
  auto w = std::make_unique<llvm::Module>(o.name, ctx);
  w->setTargetTriple(t.info.triple);
  w->setDataLayout(t.info.data_layout);
  Wrappers wrappers(*w, t.info, lib, o.name);
  wrappers.step(train, "train_step", true, false, extra);
  wrappers.step(eval, "eval", false, false, extra);
  wrappers.step(eval, "predict", false, true, extra);
  wrappers.init();
  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(*w, &os)) fail("internal error: the AOT wrappers are invalid: {}", problems);
  check_llvm(jit::run_pipeline(*w, *t.machine), "optimising the wrappers");
  if (llvm::Linker::linkModules(*w, std::move(train.module)) || llvm::Linker::linkModules(*w, std::move(eval.module)))
    fail("internal error: linking the AOT modules failed");
  lib.object = jit::object_code(*w, *t.machine);
  lib.archive = archive_of(lib.object, o.name + ".o", lib.triple);
  return lib;
}

}  // namespace minigrad
