// Code generation of a function: the entry, one kernel per node, the fused
// groups; see codegen.h. Lowering walks a function's nodes in order. Sources
// produce no code (their values are read where they live, homes.h); each compute
// node becomes a kernel function called with the addresses of its results and
// operands; sinks copy into the output or state buffer unless the value was
// computed there. A fused node with an elementwise body becomes one loop
// (elementwise.cpp); any other fused body is lowered the same way as a function,
// inside a kernel of its own, its values planned in that kernel's scratch.
#include "backend/llvm/codegen.h"

#include <cctype>
#include <set>

#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include "backend/llvm/fused.h"
#include "backend/llvm/homes.h"
#include "backend/llvm/node_kernels.h"
#include "backend/llvm/prepare.h"
#include "backend/llvm/run_context.h"
#include "ir/error.h"
#include "ir/printer.h"

namespace minigrad::jit {
namespace {

using ir::Op;
using llvm::Value;

[[noreturn]] void fail_node(const ir::Node& n, const std::string& what) {
  fail("{} at {}: {}", ir::op_name(n.op), ir::to_string(n.locs), what);
}

// One function being lowered: where its values live and how to reach them.
struct Frame {
  const ir::Function* f = nullptr;
  Homes homes;
  bool top = false;
  bool returns_status = false;      // the enclosing LLVM function returns i32
  Value *in_table = nullptr, *out_table = nullptr, *state_table = nullptr;  // top level
  Values inputs, outputs;           // fused body: the kernel's parameters
  Value *values = nullptr, *scratch = nullptr, *err = nullptr;
  Value* profile = nullptr;  // top level, profiling: the counters
  std::map<ir::ValueId, Value*> ptrs;
  std::set<ir::ValueId> checked;  // row counts the entry checked (node_can_fail)
};

// A generated kernel and, if it takes a range, the number of slices of its work.
struct Made {
  llvm::Function* fn = nullptr;
  int64_t units = 0;
};

class Lowering {
 public:
  Lowering(Emitter& e, Generated& g, const CodegenOptions& o) : e_(e), g_(g), options_(o) {}

  void lower(Frame& fr) {
    if (fr.top) check_row_counts(fr);
    for (auto [state, offset] : fr.homes.snapshots) {
      Value* at = e_.b().CreateConstInBoundsGEP1_64(e_.b().getInt8Ty(), fr.values, uint64_t(offset));
      const std::string& name = fr.homes.states[state];
      e_.copy(at, table_entry(fr.state_table, state), int64_t(state_type(fr, name).bytes()));
    }
    int in_flight = 0;  // all_reduce_starts before this point whose wait is after it
    for (size_t i = 0; i < fr.f->size(); ++i) {
      lower_node(fr, i);
      const ir::Node& n = fr.f->node(i);
      in_flight += (n.op == Op::AllReduceStart) - (n.op == Op::AllReduceWait);
      if (fr.top && in_flight > 0 && !n.info().has(ir::kSource)) call_progress();
    }
  }

 private:
  ir::Type state_type(const Frame& fr, const std::string& name) {
    for (size_t i = 0; i < fr.f->size(); ++i) {
      const ir::Node& n = fr.f->node(i);
      if (n.op == Op::LoadState && n.attrs.s("name") == name) return fr.f->type(n.result());
      if (n.op == Op::StoreState && n.attrs.s("name") == name) return fr.f->type(n.operands[0]);
    }
    fail("no state named '{}' in @{}", name, fr.f->name());
  }

  // The row counts of masked nodes that are inputs of the function (docs/ir.md,
  // "Partial batches"), checked once here, before any kernel runs or any state is
  // written: 1 <= n <= the fewest rows of a node that takes it, the error naming
  // that node. The kernels then need no check of their own, so they may be split
  // over threads.
  void check_row_counts(Frame& fr) {
    for (const EntryRowCount& c : entry_row_counts(*fr.f)) {
      Kernel k{e_, *c.node, {}, {}, fr.scratch, fr.err, &g_.sites};
      k.can_fail = true;
      checked_row_count(k, ptr_of(fr, c.value), c.rows);
      fr.checked.insert(c.value);
    }
  }

  Value* table_entry(Value* table, size_t i) {
    auto& b = e_.b();
    return b.CreateLoad(e_.ptr(), b.CreateConstInBoundsGEP1_64(e_.ptr(), table, uint64_t(i)));
  }

  Value* constant_global(const ir::Function& f, ir::ValueId v) {
    const ir::Node& n = *f.value(v).def;
    ir::Type t = f.type(v);
    llvm::Constant* c = llvm::cast<llvm::Constant>(e_.constant(t.dtype, n.attrs.f("value")));
    auto* at = llvm::ArrayType::get(e_.scalar(t.dtype), uint64_t(t.numel()));
    std::vector<llvm::Constant*> items(size_t(t.numel()), c);
    return new llvm::GlobalVariable(e_.module(), at, true, llvm::GlobalValue::PrivateLinkage,
                                    llvm::ConstantArray::get(at, items), "const");
  }

  Value* ptr_of(Frame& fr, ir::ValueId v) {
    auto it = fr.ptrs.find(v);
    if (it != fr.ptrs.end()) return it->second;
    const Home& h = fr.homes.of[size_t(v)];
    Value* p = nullptr;
    switch (h.kind) {
      case Home::Kind::Input: p = fr.top ? table_entry(fr.in_table, h.index) : fr.inputs[h.index]; break;
      case Home::Kind::Output: p = fr.top ? table_entry(fr.out_table, h.index) : fr.outputs[h.index]; break;
      case Home::Kind::State: p = table_entry(fr.state_table, h.index); break;
      case Home::Kind::Constant: p = constant_global(*fr.f, v); break;
      case Home::Kind::Arena:
        p = e_.b().CreateConstInBoundsGEP1_64(e_.b().getInt8Ty(), fr.values, uint64_t(h.offset));
        break;
      case Home::Kind::None: fail("@{}: value %{} has no home", fr.f->name(), v);
    }
    return fr.ptrs[v] = p;
  }

  // Between the kernels that run while a bucket's sum is in flight: a call that
  // lets MPI advance it (mg_collective_progress); its time is counted by the
  // runtime (the communication line of --profile), not at a call site.
  void call_progress() {
    auto& b = e_.b();
    b.CreateCall(e_.module().getOrInsertFunction(kCollectiveProgressSymbol, llvm::FunctionType::get(b.getVoidTy(), false)));
  }

  // With profiling, the nanoseconds of what `emit` generates are added to a
  // counter of its own, described by `what` (the host's steady clock, mg_clock_ns).
  void timed(Frame& fr, const CallSite& what, const std::function<void()>& emit) {
    if (!fr.profile) return emit();
    auto& b = e_.b();
    auto* counter_type = b.getInt64Ty();
    llvm::FunctionCallee clock = e_.module().getOrInsertFunction(kClockSymbol, llvm::FunctionType::get(counter_type, false));
    Value* t0 = b.CreateCall(clock);
    emit();
    Value* t1 = b.CreateCall(clock);
    Value* at = b.CreateConstInBoundsGEP1_64(counter_type, fr.profile, uint64_t(g_.call_sites.size()));
    b.CreateStore(b.CreateAdd(b.CreateLoad(counter_type, at), b.CreateSub(t1, t0)), at);
    g_.call_sites.push_back(what);
  }

  // "k<N>_<op>[.<kind>]@<file>:<line>" (the file without its folders; a setting
  // such as <flag --optimizer adam> as flag_--optimizer_adam): which node a kernel
  // comes from, in the --stage llvm and asm dumps and in a profiler's report.
  static std::string kernel_name(int64_t index, const ir::Node& n) {
    std::string name = fmt::format("k{}_{}", index, ir::op_name(n.op));
    if (n.op == Op::Fused) name += "." + n.attrs.s("kind");
    if (n.locs.empty()) return name;
    const ir::SourceLoc& at = n.locs.front();
    std::string where;
    for (char c : at.file.substr(at.file.find_last_of('/') + 1)) {
      bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
      if (keep) where += c;
      else if (!where.empty() && where.back() != '_') where += '_';
    }
    while (!where.empty() && where.back() == '_') where.pop_back();
    name += "@" + where;
    if (at.line > 0) name += fmt::format(":{}", at.line);
    return name;
  }

  static std::string site_name(const ir::Node& n) {
    std::string what(ir::op_name(n.op));
    if (n.op == Op::Fused) what += "." + n.attrs.s("kind");
    if (n.op == Op::StoreState || n.op == Op::Output) what += " " + n.attrs.s("name");
    return what + " @ " + ir::to_string(n.locs);
  }

  void lower_node(Frame& fr, size_t i) {
    const ir::Node& n = fr.f->node(i);
    if (n.info().has(ir::kSource)) return;
    if ((n.op == Op::StoreState || n.op == Op::Output) && fr.homes.sink_done[i]) return;
    timed(fr, CallSite{site_name(n), ir::gemm_dims(*fr.f, n)}, [&] { lower_node_untimed(fr, i); });
  }

  void lower_node_untimed(Frame& fr, size_t i) {
    const ir::Node& n = fr.f->node(i);
    const ir::Function& f = *fr.f;
    if (n.op == Op::Grad) fail_node(n, "grad must be expanded by the autodiff pass first");
    if (n.op == Op::StoreState) {
      if (fr.homes.sink_done[i]) return;
      size_t s = 0;
      while (fr.homes.states[s] != n.attrs.s("name")) ++s;
      e_.copy(table_entry(fr.state_table, s), ptr_of(fr, n.operands[0]), int64_t(f.type(n.operands[0]).bytes()));
      return;
    }
    if (n.op == Op::Output) {
      if (fr.homes.sink_done[i]) return;
      size_t pos = 0;
      for (size_t j = 0; j < i; ++j) pos += f.node(j).op == Op::Output;
      Value* to = fr.top ? table_entry(fr.out_table, pos) : fr.outputs[pos];
      e_.copy(to, ptr_of(fr, n.operands[0]), int64_t(f.type(n.operands[0]).bytes()));
      return;
    }
    if (n.op == Op::MaskRows && full_batch_reads_input(fr, n)) return;
    call_kernel(fr, n);
  }

  // mask_rows(x, n) of a full batch is x. When x is an input of the function, n
  // a row count the entry checked and the result planned in the arena, the kernel
  // runs only when n < B, and the result's readers read x where it is when n = B
  // (a step at batch 1024 x 784 otherwise copies 3.2 MB, 8% of its time). Safe:
  // only this node writes through the result's address (SSA; an in-place reader
  // writes its own result's address, that slot of the arena), and the caller's x
  // is neither freed nor reused while the step runs.
  bool full_batch_reads_input(Frame& fr, const ir::Node& n) {
    const ir::Function& f = *fr.f;
    ir::ValueId x = n.operands[0], count = n.operands[1];
    bool input = fr.homes.of[size_t(x)].kind == Home::Kind::Input;
    if (!fr.top || !input || fr.homes.of[size_t(n.result())].kind != Home::Kind::Arena || !fr.checked.count(count))
      return false;
    auto& b = e_.b();
    Value *from = ptr_of(fr, x), *to = ptr_of(fr, n.result());  // before the branch: they dominate every use
    Value* rows = b.CreateSExt(e_.load(ir::DType::I32, 1, ptr_of(fr, count), e_.idx(0)), e_.i64());
    Value* full = b.CreateICmpEQ(rows, e_.idx(f.type(x).shape[0]));
    llvm::BasicBlock* copy = e_.block("mask_rows");
    llvm::BasicBlock* after = e_.block("masked");
    b.CreateCondBr(full, after, copy);
    b.SetInsertPoint(copy);
    call_kernel(fr, n);
    b.CreateBr(after);
    b.SetInsertPoint(after);
    fr.ptrs[n.result()] = b.CreateSelect(full, from, to);
    return true;
  }

  // Whether two addresses of one call may be the same buffer.
  static std::pair<int, int64_t> root(const Home& h, ir::ValueId v) {
    switch (h.kind) {
      case Home::Kind::Input: return {1, int64_t(h.index)};
      case Home::Kind::Output: return {2, int64_t(h.index)};
      case Home::Kind::State: return {3, int64_t(h.index)};
      case Home::Kind::Arena: return {4, h.offset};
      case Home::Kind::Constant: case Home::Kind::None: break;
    }
    return {5, v};
  }

  // Everything a kernel's code depends on: nodes with the same key share one
  // kernel (the Adam update of every parameter of one shape, say). A kernel that
  // can fail names its node in its error record, so its node's place is part of it.
  std::string kernel_key(Frame& fr, const ir::Node& n, const std::vector<ir::ValueId>& args, bool fails) {
    const ir::Function& f = *fr.f;
    std::string key = std::string(ir::op_name(n.op));
    for (const auto& [name, value] : n.attrs.items()) key += fmt::format(" {}={}", name, ir::format_attr(value));
    for (size_t j = 0; j < args.size(); ++j) {
      key += fmt::format(" {}", ir::to_string(f.type(args[j])));
      const ir::Node* def = f.value(args[j]).def;
      if (j >= n.results.size() && def->op == Op::Constant) key += fmt::format("={}", def->attrs.f("value"));
      key += noalias(fr, n, args, j) ? "!" : "";
    }
    if (n.body) key += fmt::format("\n{}", ir::print(*n.body, {false}));
    if (fails) key += fmt::format("\n{}", ir::to_string(n.locs));
    return key;
  }

  void call_kernel(Frame& fr, const ir::Node& n) {
    const ir::Function& f = *fr.f;
    bool fails = node_can_fail(f, n, fr.checked);
    std::vector<ir::ValueId> args(n.results);
    args.insert(args.end(), n.operands.begin(), n.operands.end());
    Values actual;
    for (ir::ValueId v : args) actual.push_back(ptr_of(fr, v));
    actual.push_back(e_.b().CreateConstInBoundsGEP1_64(e_.b().getInt8Ty(), fr.scratch, 0));
    actual.push_back(fr.err);
    bool split = fr.top && options_.threads > 1 && !fails &&
                 work_cycles(f, n, e_.width(ir::DType::F32)) >= kParallelCycles;
    std::string key = kernel_key(fr, n, args, fails) + (split ? "\nsplit" : "");
    Made& made = kernels_[key];
    if (!made.fn) made = make_kernel(fr, n, args, fails, unsigned(actual.size()), split);
    if (!split) return call(fr, n, made.fn, actual, fails);
    if (made.units <= 1) {
      actual.push_back(e_.idx(0));
      actual.push_back(e_.idx(made.units));
      return call(fr, n, made.fn, actual, fails);
    }
    parallel_call(fr, n, made, actual, key);
  }

  // Calls mg_parallel_for(pool, task, args, tasks): each task runs the kernel on
  // its share of the slices, with the scratch area of the thread it runs on.
  // Several tasks per thread: a thread that is held up (switched out by the
  // system) delays the kernel by one small task, as the others take the rest.
  void parallel_call(Frame& fr, const ir::Node& n, const Made& made, const Values& actual, const std::string& key) {
    auto& b = e_.b();
    int64_t tasks = std::min<int64_t>(made.units, int64_t(options_.threads) * kTasksPerThread);
    int64_t scratch = aligned(kernel_scratch(*fr.f, n, e_.target()));
    llvm::Function*& task = tasks_[key];
    if (!task) task = make_task(made, scratch, unsigned(actual.size()));
    llvm::BasicBlock& entry = b.GetInsertBlock()->getParent()->getEntryBlock();
    llvm::IRBuilder<> at_entry(&entry, entry.begin());
    Value* block = at_entry.CreateAlloca(e_.ptr(), e_.idx(int64_t(actual.size())), "args");
    for (size_t i = 0; i < actual.size(); ++i) b.CreateStore(actual[i], b.CreateConstInBoundsGEP1_64(e_.ptr(), block, i));
    Value* pool = b.CreateLoad(e_.ptr(), b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), fr.err, kPoolOffset));
    llvm::FunctionCallee parallel = e_.module().getOrInsertFunction(
        kParallelSymbol, llvm::FunctionType::get(b.getVoidTy(), {e_.ptr(), e_.ptr(), e_.ptr(), e_.i64()}, false));
    b.CreateCall(parallel, {pool, task, block, e_.idx(tasks)});
  }

  // void task(ptr args, i64 t, i64 tasks, i64 thread): slices
  // [t units / tasks, (t + 1) units / tasks), with thread's scratch.
  llvm::Function* make_task(const Made& made, int64_t scratch, unsigned nargs) {
    auto saved = e_.b().saveIP();
    auto& b = e_.b();
    auto* fty = llvm::FunctionType::get(b.getVoidTy(), {e_.ptr(), e_.i64(), e_.i64(), e_.i64()}, false);
    auto* fn = llvm::Function::Create(fty, llvm::GlobalValue::InternalLinkage, made.fn->getName() + ".task", e_.module());
    e_.set_target_attrs(fn);
    b.SetInsertPoint(llvm::BasicBlock::Create(e_.ctx(), "entry", fn));
    Value *block = fn->getArg(0), *t = fn->getArg(1), *tasks = fn->getArg(2), *thread = fn->getArg(3);
    Values args;
    for (unsigned i = 0; i < nargs; ++i) args.push_back(b.CreateLoad(e_.ptr(), b.CreateConstInBoundsGEP1_64(e_.ptr(), block, i)));
    args[nargs - 2] = b.CreateInBoundsGEP(b.getInt8Ty(), args[nargs - 2], b.CreateMul(thread, e_.idx(scratch)));
    Value* units = e_.idx(made.units);
    args.push_back(b.CreateSDiv(b.CreateMul(t, units), tasks));
    args.push_back(b.CreateSDiv(b.CreateMul(b.CreateAdd(t, e_.idx(1)), units), tasks));
    b.CreateCall(made.fn, args);
    b.CreateRetVoid();
    e_.b().restoreIP(saved);
    return fn;
  }

  Made make_kernel(Frame& fr, const ir::Node& n, const std::vector<ir::ValueId>& args, bool fails, unsigned params,
                   bool ranged) {
    const ir::Function& f = *fr.f;
    auto saved = e_.b().saveIP();
    std::string name = kernel_name(g_.kernels++, n);
    llvm::Function* fn = e_.kernel(name, params, fails, ranged);
    set_param_attrs(fr, n, fn, args);
    Kernel k{e_, n, {}, {}, fn->getArg(unsigned(args.size())), fn->getArg(unsigned(args.size() + 1)), &g_.sites};
    k.can_fail = fails;
    if (ranged) k.begin = fn->getArg(params), k.end = fn->getArg(params + 1), k.threads = options_.threads;
    for (size_t j = 0; j < args.size(); ++j) {
      Operand o{f.type(args[j]), fn->getArg(unsigned(j)), std::nullopt};
      const ir::Node* def = f.value(args[j]).def;
      if (j >= n.results.size() && def->op == Op::Constant) o.constant = constant_value(*def, o.type.dtype);
      (j < n.results.size() ? k.out : k.in).push_back(o);
    }
    if (n.op == Op::Fused) lower_fused(k, fails, checked_in_body(n, fr.checked));
    else emit_kernel_body(k);
    if (!k.note.empty()) g_.notes.push_back(name + ": " + k.note);
    if (fails) e_.b().CreateRet(e_.b().getInt32(0));
    else e_.b().CreateRetVoid();
    e_.b().restoreIP(saved);
    return {fn, k.units};
  }

  void call(Frame& fr, const ir::Node& n, llvm::Function* fn, const Values& actual, bool fails) {
    Value* status = e_.b().CreateCall(fn, actual);
    if (fails) {
      if (!fr.returns_status) fail_node(n, "internal error: a failing kernel inside a kernel that cannot fail");
      llvm::BasicBlock* failed = e_.block("failed");
      llvm::BasicBlock* ok = e_.block("next");
      e_.b().CreateCondBr(e_.b().CreateICmpNE(status, e_.b().getInt32(0)), failed, ok);
      e_.b().SetInsertPoint(failed);
      e_.b().CreateRet(status);
      e_.b().SetInsertPoint(ok);
    }
  }

  static double constant_value(const ir::Node& def, ir::DType d) {
    double v = def.attrs.f("value");
    return d == ir::DType::I32 ? std::trunc(v) : v;
  }

  // Whether no other argument of the call may be the same buffer as argument p
  // while one of the two is written.
  static bool noalias(Frame& fr, const ir::Node& n, const std::vector<ir::ValueId>& args, size_t p) {
    size_t results = n.results.size();
    for (size_t q = 0; q < args.size(); ++q)
      if (q != p && (p < results || q < results) &&
          root(fr.homes.of[size_t(args[p])], args[p]) == root(fr.homes.of[size_t(args[q])], args[q]))
        return false;
    return true;
  }

  // noalias where noalias() holds; dereferenceable for each buffer's size.
  void set_param_attrs(Frame& fr, const ir::Node& n, llvm::Function* fn, const std::vector<ir::ValueId>& args) {
    const ir::Function& f = *fr.f;
    for (size_t p = 0; p < args.size(); ++p) {
      if (noalias(fr, n, args, p)) fn->addParamAttr(unsigned(p), llvm::Attribute::NoAlias);
      uint64_t bytes = f.type(args[p]).bytes();
      if (bytes > 0) fn->addDereferenceableParamAttr(unsigned(p), bytes);
    }
  }

  void lower_fused(Kernel& k, bool fails, std::set<ir::ValueId> checked) {
    if (std::optional<ir::FusedKind> kind = plan_fused(k.node)) return fused_kernel(*kind).emit(k);
    Frame body;
    body.f = k.node.body.get();
    body.homes = assign_homes(*body.f, false, in_place_ok);
    body.returns_status = fails;
    body.checked = std::move(checked);
    for (const Operand& o : k.in) body.inputs.push_back(o.ptr);
    for (const Operand& o : k.out) body.outputs.push_back(o.ptr);
    body.values = k.scratch;
    body.scratch = e_.b().CreateConstInBoundsGEP1_64(e_.b().getInt8Ty(), k.scratch, uint64_t(body.homes.values_bytes));
    body.err = k.err;
    lower(body);
  }

  Emitter& e_;
  Generated& g_;
  CodegenOptions options_;
  std::map<std::string, Made> kernels_;
  std::map<std::string, llvm::Function*> tasks_;
};

}  // namespace

Generated generate(const ir::Module& m, const ir::Function& func, const TargetInfo& target, llvm::LLVMContext& ctx,
                   const CodegenOptions& options) {
  ir::Function hoisted = loads_after_store(func) ? hoist_loads(func) : ir::Function("unused");
  const ir::Function& f = loads_after_store(func) ? hoisted : func;
  Generated g;
  g.module = std::make_unique<llvm::Module>(m.name + "." + f.name(), ctx);
  g.module->setTargetTriple(target.triple);
  g.module->setDataLayout(target.data_layout);
  check_constants(f);
  Emitter e(*g.module, target);

  Frame top;
  top.f = &f;
  top.top = true;
  top.returns_status = true;
  top.homes = assign_homes(f, true, in_place_ok);
  g.state_names = top.homes.states;
  g.arena_bytes = frame_bytes(f, top.homes, target, options.threads);

  auto* fty = llvm::FunctionType::get(e.i32(), {e.ptr(), e.ptr(), e.ptr(), e.ptr(), e.ptr()}, false);
  auto* entry = llvm::Function::Create(fty, llvm::GlobalValue::ExternalLinkage, kEntryName, *g.module);
  e.set_target_attrs(entry);
  e.b().SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", entry));
  top.in_table = entry->getArg(0);
  top.out_table = entry->getArg(1);
  top.state_table = entry->getArg(2);
  top.values = entry->getArg(3);
  top.scratch = e.b().CreateConstInBoundsGEP1_64(e.b().getInt8Ty(), top.values, uint64_t(top.homes.values_bytes));
  top.err = entry->getArg(4);  // RunContext::err is its first field
  if (options.profile) {
    Value* at = e.b().CreateConstInBoundsGEP1_64(e.b().getInt8Ty(), top.err, kProfileOffset);
    top.profile = e.b().CreateLoad(e.ptr(), at, "profile");
  }
  Lowering(e, g, options).lower(top);
  e.b().CreateRet(e.b().getInt32(0));

  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(*g.module, &os)) fail("internal error: the code generated for @{} is invalid: {}", f.name(), problems);
  return g;
}

}  // namespace minigrad::jit
