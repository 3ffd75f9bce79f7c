// The JIT session; see jit.h.
#include "backend/llvm/jit.h"

#include <chrono>
#include <mutex>

#include <llvm/Analysis/TargetTransformInfo.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/IRCompileLayer.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>

#include "backend/llvm/core_figures.h"
#include "backend/llvm/host_cpu.h"
#include "backend/llvm/object_cache.h"
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

void initialise_llvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

llvm::orc::JITTargetMachineBuilder host_builder() {
  auto jtmb = check(llvm::orc::JITTargetMachineBuilder::detectHost(), "detecting the host CPU");
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

// The vector width is what the target's cost model reports for a function of the
// host CPU with no preference narrower than its registers (some x86 CPUs prefer
// 256-bit vectors by default; the generated code uses the full width).
TargetInfo host_target(llvm::TargetMachine& tm) {
  TargetInfo t;
  t.triple = tm.getTargetTriple().str();
  t.cpu = tm.getTargetCPU().str();
  t.features = tm.getTargetFeatureString().str();
  t.data_layout = tm.createDataLayout().getStringRepresentation();
  set_core_figures(t);
  llvm::LLVMContext ctx;
  llvm::Module m("probe", ctx);
  auto* f = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), false),
                                   llvm::GlobalValue::ExternalLinkage, "probe", m);
  f->addFnAttr("target-cpu", t.cpu);
  f->addFnAttr("target-features", t.features);
  f->addFnAttr("prefer-vector-width", "4096");
  llvm::TargetTransformInfo tti = tm.getTargetTransformInfo(*f);
  t.vector_bits = unsigned(tti.getRegisterBitWidth(llvm::TargetTransformInfo::RGK_FixedWidthVector).getFixedValue());
  if (t.vector_bits < 64) t.vector_bits = 64;
  t.vector_registers = tti.getNumberOfRegisters(tti.getRegisterClassForType(true));
  read_host_caches(t);
  return t;
}

JitSession::JitSession(const JitOptions& options) {
  initialise_llvm();
  tm_ = check(host_builder().createTargetMachine(), "creating the host target machine");
  target_ = host_target(*tm_);
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

llvm::Error JitSession::run_pipeline(llvm::Module& m) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = false;
  tuning.LoopVectorization = false;
  tuning.SLPVectorization = false;
  llvm::PassBuilder pb(tm_.get(), tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm;
  if (std::string text = custom_pipeline(); !text.empty()) {
    if (auto err = pb.parsePassPipeline(mpm, text)) return err;
  } else {
    mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  }
  mpm.run(m, mam);
  return llvm::Error::success();
}

std::string JitSession::assembly(llvm::Module& m) {
  llvm::SmallString<0> text;
  llvm::raw_svector_ostream os(text);
  llvm::legacy::PassManager pm;
  if (tm_->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::AssemblyFile))
    fail("LLVM: the host target cannot emit assembly");
  pm.run(m);
  return std::string(text.str());
}

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
  return map;
}

void JitSession::unload(llvm::orc::JITDylib* dylib) {
  std::lock_guard<std::mutex> lock(mutex_);
  llvm::consumeError(jit_->getExecutionSession().removeJITDylib(*dylib));
}

}  // namespace minigrad::jit
