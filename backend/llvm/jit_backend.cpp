// The JIT backend and its executable; see jit_backend.h.
#include "backend/llvm/jit_backend.h"

#include <chrono>
#include <cstdlib>
#include <new>

#include <llvm/Config/llvm-config.h>
#include <llvm/MC/MCAsmInfo.h>
#include <llvm/Support/raw_ostream.h>

#include "backend/collectives.h"
#include "backend/fp_env.h"
#include "backend/llvm/codegen.h"
#include "backend/llvm/jit.h"
#include "backend/llvm/object_cache.h"
#include "backend/llvm/run_context.h"
#include "backend/llvm/target.h"
#include "backend/llvm/thread_pool.h"
#include "ir/error.h"
#include "ir/verifier.h"

namespace minigrad {
namespace {

using jit::JitSession;

// The version of minigrad's code generator and of the pass pipeline and its
// options: part of every cache key. Bump it when they change.
constexpr const char* kPipelineVersion = "minigrad-jit o3-no-unroll 2";

[[noreturn]] void fail_node(const ir::Node& n, const std::string& what) {
  fail("{} at {}: {}", ir::op_name(n.op), ir::to_string(n.locs), what);
}

// Everything the object depends on (object_cache.h): the generated LLVM IR itself
// (so a change of the code generator can never reuse a stale object), the pass
// pipeline, the code generator's version and options, LLVM's version and the
// target. Source locations are not in the generated code: they only name errors,
// which are reported from the host side.
std::string cache_key(const llvm::Module& m, const jit::TargetInfo& t, const jit::CodegenOptions& o) {
  std::string ir;
  llvm::raw_string_ostream os(ir);
  m.print(os, nullptr);
  return jit::object_key({kPipelineVersion, jit::custom_pipeline(), LLVM_VERSION_STRING, t.triple, t.cpu, t.features,
                          t.vector_bits, o.threads, o.profile},
                         ir);
}

// Checks that every state the function uses is in the store with its type.
void check_state(const ir::Function& f, const StateStore& state) {
  for (size_t i = 0; i < f.size(); ++i) {
    const ir::Node& n = f.node(i);
    if (n.op == ir::Op::Grad) fail_node(n, "grad must be expanded by the autodiff pass first");
    if (n.op != ir::Op::LoadState && n.op != ir::Op::StoreState) continue;
    const std::string& name = n.attrs.s("name");
    ir::Type used = f.type(n.op == ir::Op::LoadState ? n.result() : n.operands[0]);
    if (!state.has(name)) fail_node(n, fmt::format("state '{}' is not in the state store", name));
    if (state.get(name).type() != used)
      fail_node(n, fmt::format("state '{}' is {} in the state store, the function uses {}", name,
                               ir::to_string(state.get(name).type()), ir::to_string(used)));
  }
}

struct FreeArena {
  void operator()(std::byte* p) const { std::free(p); }
};

class JitExecutable final : public Executable {
 public:
  JitExecutable(std::shared_ptr<JitSession> session, std::shared_ptr<jit::ThreadPool> pool, const ir::Module& m,
                const ir::Function& f, StateStore& state, const jit::TargetInfo& target,
                const jit::CodegenOptions& options, bool denormals_as_zero)
      : session_(std::move(session)), pool_(std::move(pool)), name_(f.name()), denormals_as_zero_(denormals_as_zero) {
    context_.pool = pool_.get();
    auto t0 = std::chrono::steady_clock::now();
    ir::verify(f, &m);
    check_state(f, state);
    sig_ = signature_of(f);
    auto ctx = std::make_unique<llvm::LLVMContext>();
    jit::Generated g = jit::generate(m, f, target, *ctx, options);
    g.module->setModuleIdentifier(cache_key(*g.module, target, options));
    sites_ = std::move(g.sites);
    for (const std::string& s : g.state_names) state_.push_back(state.get(s).data());
    in_.assign(sig_.inputs.size(), nullptr);
    out_.assign(sig_.outputs.size(), nullptr);
    size_t bytes = size_t((std::max<int64_t>(g.arena_bytes, 64) + 63) / 64 * 64);
    arena_.reset(static_cast<std::byte*>(std::aligned_alloc(64, bytes)));
    if (!arena_) throw std::bad_alloc();
    stats_.kernels = g.kernels;
    call_sites_ = g.call_sites;
    counters_.assign(g.call_sites.size(), 0);
    if (options.profile) context_.profile = counters_.data();
    stats_.arena_bytes = g.arena_bytes;
    JitSession::Loaded loaded = session_->load(std::move(g.module), std::move(ctx), jit::kEntryName);
    dylib_ = loaded.dylib;
    entry_ = reinterpret_cast<Entry>(loaded.entry);
    stats_.from_cache = loaded.from_cache;
    stats_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  ~JitExecutable() override { session_->unload(dylib_); }

  void run(std::span<const TensorView> inputs, std::span<const TensorView> outputs) override {
    if (inputs.size() != in_.size() || outputs.size() != out_.size())
      fail("@{} takes {} inputs and {} outputs, got {} and {}", name_, in_.size(), out_.size(), inputs.size(),
           outputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) in_[i] = inputs[i].data;
    for (size_t i = 0; i < outputs.size(); ++i) out_[i] = outputs[i].data;
    DenormalsAsZero mode(denormals_as_zero_);
    if (call_generated(entry_, in_.data(), out_.data(), state_.data(), arena_.get(), &context_) != 0)
      throw Error(sites_.message(context_.err[0], context_.err[1], context_.err[2]));
  }

  const JitCompileStats& stats() const { return stats_; }

  using Entry = int32_t (*)(void* const*, void* const*, void* const*, void*, jit::RunContext*);

  // The call into generated code. Clang's -fsanitize=function (part of -fsanitize=
  // undefined, tools/test.sh --sanitize) checks an indirect call by reading a type
  // signature just before the callee, which only code compiled with it has: the
  // JIT's entry has none, and when it starts a page the read faults. The generated
  // code is not instrumented anyway (see CMakeLists.txt); this call is left unchecked.
#if defined(__clang__)
  __attribute__((no_sanitize("function")))
#endif
  static int32_t call_generated(Entry e, void* const* in, void* const* out, void* const* state, void* arena,
                                jit::RunContext* context) {
    return e(in, out, state, arena, context);
  }

  std::vector<JitProfileEntry> profile() const {
    std::vector<JitProfileEntry> out;
    for (size_t i = 0; i < counters_.size(); ++i) out.push_back({call_sites_[i].what, counters_[i], call_sites_[i].gemm});
    return out;
  }

 private:
  std::shared_ptr<JitSession> session_;
  std::shared_ptr<jit::ThreadPool> pool_;
  std::string name_;
  llvm::orc::JITDylib* dylib_ = nullptr;
  Entry entry_ = nullptr;
  std::vector<void*> in_, out_, state_;
  std::unique_ptr<std::byte, FreeArena> arena_;
  jit::RunContext context_;
  std::vector<uint64_t> counters_;
  std::vector<jit::CallSite> call_sites_;
  jit::ErrorSites sites_;
  JitCompileStats stats_;
  bool denormals_as_zero_;
};

class JitBackend final : public Backend {
 public:
  explicit JitBackend(const JitBackendOptions& o) : options_(o) {
    if (o.gemm != "auto" && o.gemm != "tiled" && o.gemm != "blocked")
      fail("unknown GEMM lowering '{}' (auto, tiled or blocked)", o.gemm);
  }
  std::string name() const override { return "jit"; }

  // The session's host target with the options' GEMM lowering and cache sizes.
  jit::TargetInfo target() const {
    jit::TargetInfo t = session_->target();
    t.gemm = options_.gemm == "tiled" ? jit::GemmChoice::Tiled
             : options_.gemm == "blocked" ? jit::GemmChoice::Blocked : jit::GemmChoice::Auto;
    if (options_.l1d_bytes > 0) t.l1d_bytes = options_.l1d_bytes;
    if (options_.l2_bytes > 0) t.l2_bytes = options_.l2_bytes;
    if (options_.l3_bytes > 0) t.l3_bytes = options_.l3_bytes;
    if (options_.vector_bits > 0) t.vector_bits = options_.vector_bits;
    if (options_.vector_registers > 0) t.vector_registers = options_.vector_registers;
    return t;
  }

  std::unique_ptr<Executable> compile(const ir::Module& m, const std::string& func, StateStore& state) override {
    const ir::Function* f = m.find_func(func);
    if (f == nullptr) fail("module {} has no function @{}", m.name, func);
    check_collectives(*f);
    if (!session_) session_ = std::make_shared<JitSession>(jit::JitOptions{options_.cache_dir});
    jit::CodegenOptions codegen;
    codegen.profile = options_.profile;
    codegen.threads = std::max(1, options_.threads);
    if (codegen.threads > 1 && !pool_)
      pool_ = std::make_shared<jit::ThreadPool>(codegen.threads, options_.denormals_as_zero);
    return std::make_unique<JitExecutable>(session_, pool_, m, *f, state, target(), codegen, options_.denormals_as_zero);
  }

 private:
  JitBackendOptions options_;
  std::shared_ptr<JitSession> session_;
  std::shared_ptr<jit::ThreadPool> pool_;  // shared by the executables; one runs at a time
};

}  // namespace

std::unique_ptr<Backend> make_jit_backend(const JitBackendOptions& options) {
  return std::make_unique<JitBackend>(options);
}

std::vector<JitProfileEntry> jit_profile(const Executable& exe) {
  auto* j = dynamic_cast<const JitExecutable*>(&exe);
  return j ? j->profile() : std::vector<JitProfileEntry>{};
}

const JitCompileStats* jit_stats(const Executable& exe) {
  auto* j = dynamic_cast<const JitExecutable*>(&exe);
  return j ? &j->stats() : nullptr;
}

std::string jit_dump(const ir::Module& m, const std::string& func, const std::string& stage,
                     const jit::TargetSpec& spec, int threads) {
  const ir::Function* f = m.find_func(func);
  if (f == nullptr) fail("module {} has no function @{}", m.name, func);
  if (stage != "llvm" && stage != "asm") fail("unknown stage '{}' (llvm, asm)", stage);
  ir::verify(*f, &m);
  jit::Target target = jit::make_target(spec);
  llvm::LLVMContext ctx;
  jit::CodegenOptions options;
  options.threads = threads;
  jit::Generated g = jit::generate(m, *f, target.info, ctx, options);
  if (auto err = jit::run_pipeline(*g.module, *target.machine)) fail("LLVM: optimising: {}", llvm::toString(std::move(err)));
  if (stage == "asm") {
    std::string comment = target.machine->getMCAsmInfo()->getCommentString().str();
    return comment + " " + target.figures + "\n" + jit::assembly(*g.module, *target.machine);
  }
  std::string text = "; " + target.figures + "\n";
  for (const std::string& note : g.notes) text += "; " + note + "\n";
  llvm::raw_string_ostream os(text);
  g.module->print(os, nullptr);
  return text;
}

}  // namespace minigrad
