// The JIT session; see jit.h.
#include "backend/llvm/jit.h"

#include <chrono>
#include <mutex>

#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/IRCompileLayer.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Support/raw_ostream.h>

#include "backend/llvm/object_cache.h"
#include "backend/llvm/target.h"
#include "backend/llvm/run_context.h"
#include "ir/error.h"

namespace minigrad::jit {
namespace {

// llvm::Error and llvm::Expected to minigrad::Error.
void check(llvm::Error err, const char* what) {
  if (err) fail("LLVM: {}: {}", what, llvm::toString(std::move(err)));
}
template <typename T>
T check(llvm::Expected<T> v, const char* what) {
  if (!v) fail("LLVM: {}: {}", what, llvm::toString(v.takeError()));
  return std::move(*v);
}
template <typename T>
T& check(llvm::Expected<T&> v, const char* what) {
  if (!v) fail("LLVM: {}: {}", what, llvm::toString(v.takeError()));
  return *v;
}

// The host's JITTargetMachineBuilder, from target.h's host instance.
llvm::orc::JITTargetMachineBuilder host_builder() {
  TargetSpec host = host_spec();
  llvm::orc::JITTargetMachineBuilder jtmb{llvm::Triple(host.triple)};
  jtmb.setCPU(host.cpu);
  jtmb.getFeatures() = llvm::SubtargetFeatures(host.features);
  jtmb.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  return jtmb;
}

}  // namespace

extern "C" int64_t mg_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string custom_pipeline() {
  const char* text = std::getenv("MINIGRAD_JIT_PIPELINE");
  return text ? text : "";
}

std::string digest(const std::string& text) {
  auto hash = llvm::SHA256::hash(llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  std::string hex;
  for (uint8_t byte : hash) hex += fmt::format("{:02x}", byte);
  return hex;
}

JitSession::JitSession(const JitOptions& options) {
  host_ = make_target(TargetSpec{});
  target_ = host_.info;
  cache_ = std::make_unique<DiskObjectCache>(cache_dir_for(options.cache_dir));
  DiskObjectCache* cache = cache_.get();
  jit_ = check(llvm::orc::LLJITBuilder()
                   .setJITTargetMachineBuilder(host_builder())
                   .setCompileFunctionCreator([cache](llvm::orc::JITTargetMachineBuilder jtmb)
                                                  -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
                     auto tm = jtmb.createTargetMachine();
                     if (!tm) return tm.takeError();
                     return std::make_unique<llvm::orc::TMOwningSimpleCompiler>(std::move(*tm), cache);
                   })
                   .create(),
               "creating the JIT");
  // Optimise each module before it is compiled, unless its object is cached.
  jit_->getIRTransformLayer().setTransform(
      [this](llvm::orc::ThreadSafeModule tsm, llvm::orc::MaterializationResponsibility&) -> llvm::Expected<llvm::orc::ThreadSafeModule> {
        // No exception may cross LLVM's frames: errors travel as llvm::Error here.
        llvm::Error err = tsm.withModuleDo([this](llvm::Module& m) -> llvm::Error {
          if (cache_->has(m.getModuleIdentifier())) return llvm::Error::success();
          return run_pipeline(m);
        });
        if (err) return err;
        return tsm;
      });
}

JitSession::~JitSession() = default;

void JitSession::optimize(llvm::Module& m) { check(run_pipeline(m), "optimising"); }

llvm::Error JitSession::run_pipeline(llvm::Module& m) { return jit::run_pipeline(m, *host_.machine); }

std::string JitSession::assembly(llvm::Module& m) { return jit::assembly(m, *host_.machine); }

JitSession::Loaded JitSession::load(std::unique_ptr<llvm::Module> module, std::unique_ptr<llvm::LLVMContext> ctx,
                                    const std::string& symbol) {
  std::lock_guard<std::mutex> lock(mutex_);
  Loaded out;
  out.from_cache = cache_->has(module->getModuleIdentifier());
  out.dylib = &check(jit_->createJITDylib(fmt::format("minigrad{}", dylibs_++)), "creating a JITDylib");
  check(out.dylib->define(llvm::orc::absoluteSymbols(host_symbols())), "defining the host functions");
  check(jit_->addIRModule(*out.dylib, llvm::orc::ThreadSafeModule(std::move(module), std::move(ctx))),
        "adding a module");
  out.entry = check(jit_->lookup(*out.dylib, symbol), "compiling").toPtr<void*>();
  return out;
}

// The host functions generated code may call (run_context.h).
llvm::orc::SymbolMap JitSession::host_symbols() {
  llvm::orc::SymbolMap map;
  auto add = [&](const char* name, void* address) {
    map[jit_->mangleAndIntern(name)] = {llvm::orc::ExecutorAddr::fromPtr(address), llvm::JITSymbolFlags::Exported};
  };
  add(kClockSymbol, reinterpret_cast<void*>(&mg_clock_ns));
  add(kParallelSymbol, reinterpret_cast<void*>(&mg_parallel_for));
  add(kAllReduceSymbol, reinterpret_cast<void*>(&mg_all_reduce));
  add(kAllReduceStartSymbol, reinterpret_cast<void*>(&mg_all_reduce_start));
  add(kAllReduceWaitSymbol, reinterpret_cast<void*>(&mg_all_reduce_wait));
  add(kCollectiveProgressSymbol, reinterpret_cast<void*>(&mg_collective_progress));
  return map;
}

void JitSession::unload(llvm::orc::JITDylib* dylib) {
  std::lock_guard<std::mutex> lock(mutex_);
  llvm::consumeError(jit_->getExecutionSession().removeJITDylib(*dylib));
}

}  // namespace minigrad::jit
