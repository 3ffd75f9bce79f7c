// Target selection; see target.h.
#include "backend/llvm/target.h"

#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <llvm/Analysis/TargetTransformInfo.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Triple.h>

#include "backend/llvm/host_cpu.h"
#include "backend/llvm/jit.h"
#include "ir/error.h"

namespace minigrad::jit {
namespace {

constexpr int64_t KiB = 1024, MiB = 1024 * KiB;

// Per-core figures of a CPU that LLVM's cost model does not give: vector FMAs
// issued per cycle and their latency, vector loads per cycle, the L1 data cache,
// the L2 one core sees and the shared last-level cache (capped at 64 MiB: only its
// order matters to the blocking). From the vendors' optimisation guides and
// product pages; docs/aot.md lists them.
struct CpuFigures {
  const char* cpu;
  unsigned fma_per_cycle, fma_latency, loads_per_cycle;
  int64_t l1d, l2, l3;
};

constexpr CpuFigures kCpus[] = {
    // Apple: four 128-bit FP pipes, 4-cycle FMA; the L2 is shared by the performance
    // cluster and the system-level cache stands in for an L3.
    {"apple-m1", 4, 4, 3, 128 * KiB, 12 * MiB, 8 * MiB},
    {"apple-m2", 4, 4, 3, 128 * KiB, 16 * MiB, 8 * MiB},
    {"apple-m3", 4, 4, 3, 128 * KiB, 16 * MiB, 8 * MiB},
    {"apple-m4", 4, 4, 3, 128 * KiB, 16 * MiB, 8 * MiB},
    // Arm Neoverse (servers: Graviton 2/3/4, Ampere Altra, Grace).
    {"neoverse-n1", 2, 4, 2, 64 * KiB, 1 * MiB, 32 * MiB},
    {"neoverse-n2", 2, 4, 3, 64 * KiB, 1 * MiB, 32 * MiB},
    {"neoverse-v1", 4, 4, 3, 64 * KiB, 1 * MiB, 32 * MiB},
    {"neoverse-v2", 4, 4, 3, 64 * KiB, 2 * MiB, 64 * MiB},
    // x86-64.
    {"haswell", 2, 5, 2, 32 * KiB, 256 * KiB, 8 * MiB},
    {"skylake", 2, 4, 2, 32 * KiB, 256 * KiB, 8 * MiB},
    {"skylake-avx512", 2, 4, 2, 32 * KiB, 1 * MiB, 16 * MiB},
    {"icelake-server", 2, 4, 2, 48 * KiB, 1280 * KiB, 32 * MiB},
    {"sapphirerapids", 2, 4, 2, 48 * KiB, 2 * MiB, 64 * MiB},
    {"znver3", 2, 4, 2, 32 * KiB, 512 * KiB, 32 * MiB},
    {"znver4", 2, 4, 2, 32 * KiB, 1 * MiB, 32 * MiB},
    {"znver5", 2, 4, 2, 48 * KiB, 1 * MiB, 32 * MiB},
};

std::optional<CpuFigures> figures_of(const std::string& cpu) {
  for (const CpuFigures& c : kCpus)
    if (cpu == c.cpu) return c;
  return std::nullopt;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// The FMA and load figures of a CPU without an entry, by architecture: x86-64
// cores issue two vector FMAs a cycle (4-cycle latency) and load two vectors;
// Apple's big cores and Arm's Neoverse V four 128-bit FMAs and three loads; other
// AArch64 cores (Neoverse N, Cortex-A7x, and the `generic` CPU LLVM reports under
// qemu) two and two. An architecture with no figures is an error naming it.
void set_arch_figures(TargetInfo& t) {
  llvm::Triple triple(t.triple);
  switch (triple.getArch()) {
    case llvm::Triple::x86_64:
      t.fma_per_cycle = 2, t.fma_latency = 4, t.loads_per_cycle = 2;
      return;
    case llvm::Triple::aarch64:
    case llvm::Triple::aarch64_be:
      if (starts_with(t.cpu, "apple-") || starts_with(t.cpu, "neoverse-v"))
        t.fma_per_cycle = 4, t.fma_latency = 4, t.loads_per_cycle = 3;
      else
        t.fma_per_cycle = 2, t.fma_latency = 4, t.loads_per_cycle = 2;
      return;
    default:
      fail("target {} (CPU {}): minigrad has no figures for this architecture's cores (backend/llvm/target.cpp); "
           "x86-64 and AArch64 are known",
           t.triple, t.cpu);
  }
}

std::string sizes(const TargetInfo& t) {
  return fmt::format("{} FMA/cycle latency {}, {} loads/cycle, L1d {} KiB, L2 {} KiB, L3 {} KiB", t.fma_per_cycle,
                     t.fma_latency, t.loads_per_cycle, t.l1d_bytes / KiB, t.l2_bytes / KiB, t.l3_bytes / KiB);
}

// The target LLVM has registered for `triple`; Error naming --target otherwise.
const llvm::Target& lookup(const std::string& triple) {
  std::string err;
  const llvm::Target* t = llvm::TargetRegistry::lookupTarget(triple, err);
  if (t == nullptr) fail("--target {}: LLVM cannot generate code for it here ({}; registered: x86-64, aarch64)", triple, err);
  return *t;
}

void check_cpu(const llvm::Target& target, const TargetSpec& s) {
  if (s.cpu == "generic") return;
  std::unique_ptr<llvm::MCSubtargetInfo> sti(target.createMCSubtargetInfo(s.triple, "generic", ""));
  if (!sti || !sti->isCPUStringValid(s.cpu))
    fail("--cpu {}: not a CPU LLVM knows for {} (llc-19 -mtriple={} -mcpu=help lists them)", s.cpu, s.triple, s.triple);
}

// Every entry of --target-features is +name or -name, with a name in the target's
// own feature table (LLVM would only warn "not a recognized feature" and go on).
void check_features(const llvm::Target& target, const TargetSpec& s) {
  if (s.features.empty()) return;
  std::unique_ptr<llvm::MCSubtargetInfo> sti(target.createMCSubtargetInfo(s.triple, "generic", ""));
  if (!sti) fail("--target-features {}: LLVM has no subtarget information for {}", s.features, s.triple);
  llvm::SmallVector<llvm::StringRef, 16> entries;
  llvm::StringRef(s.features).split(entries, ',');
  for (llvm::StringRef entry : entries) {
    entry = entry.trim();
    if (entry.empty() || (entry[0] != '+' && entry[0] != '-'))
      fail("--target-features {}: '{}' must be +feature (add) or -feature (remove)", s.features, entry.str());
    llvm::StringRef name = entry.drop_front();
    bool known = false;
    for (const llvm::SubtargetFeatureKV& kv : sti->getAllProcessorFeatures()) known = known || name == kv.Key;
    if (!known)
      fail("--target-features {}: '{}' is not a feature LLVM knows for {} (llc-19 -mtriple={} -mattr=help lists them)",
           s.features, name.str(), s.triple, s.triple);
  }
}

}  // namespace

void initialise_targets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
    LLVMInitializeX86TargetInfo(), LLVMInitializeX86Target(), LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter(), LLVMInitializeX86AsmParser();
    LLVMInitializeAArch64TargetInfo(), LLVMInitializeAArch64Target(), LLVMInitializeAArch64TargetMC();
    LLVMInitializeAArch64AsmPrinter(), LLVMInitializeAArch64AsmParser();
  });
}

TargetSpec host_spec() {
  initialise_targets();
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) fail("LLVM: detecting the host CPU: {}", llvm::toString(jtmb.takeError()));
  return TargetSpec{jtmb->getTargetTriple().str(), jtmb->getCPU(), jtmb->getFeatures().getString()};
}

// The vector width is what the target's cost model reports for a function of the
// CPU with no preference narrower than its registers (some x86 CPUs prefer 256-bit
// vectors by default; the generated code uses the full width).
TargetInfo target_info(llvm::TargetMachine& tm, bool host, std::string* figures) {
  TargetInfo t;
  t.triple = tm.getTargetTriple().str();
  t.cpu = tm.getTargetCPU().str();
  t.features = tm.getTargetFeatureString().str();
  t.data_layout = tm.createDataLayout().getStringRepresentation();
  llvm::LLVMContext ctx;
  llvm::Module m("probe", ctx);
  auto* f = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), false),
                                   llvm::GlobalValue::ExternalLinkage, "probe", m);
  f->addFnAttr("target-cpu", t.cpu);
  if (!t.features.empty()) f->addFnAttr("target-features", t.features);
  f->addFnAttr("prefer-vector-width", "4096");
  llvm::TargetTransformInfo tti = tm.getTargetTransformInfo(*f);
  t.vector_bits = unsigned(tti.getRegisterBitWidth(llvm::TargetTransformInfo::RGK_FixedWidthVector).getFixedValue());
  if (t.vector_bits < 64) t.vector_bits = 64;
  t.vector_registers = tti.getNumberOfRegisters(tti.getRegisterClassForType(true));
  // FMA and cache figures: the CPU's entry, else its architecture's (and the
  // default caches); the host's caches then as the operating system reports them.
  std::string from;
  if (auto c = figures_of(t.cpu)) {
    t.fma_per_cycle = c->fma_per_cycle, t.fma_latency = c->fma_latency, t.loads_per_cycle = c->loads_per_cycle;
    t.l1d_bytes = c->l1d, t.l2_bytes = c->l2, t.l3_bytes = c->l3;
    from = fmt::format("the documented figures of {}", t.cpu);
  } else {
    set_arch_figures(t);
    from = fmt::format("no entry for CPU '{}' (docs/aot.md lists those that have one): its architecture's FMA figures, "
                       "default caches", t.cpu);
  }
  if (host) {
    read_host_caches(t);
    from += "; the host's caches";
  }
  if (figures)
    *figures = fmt::format("target {} cpu {}: {}-bit vectors x {}, {} ({})", t.triple, t.cpu, t.vector_bits,
                           t.vector_registers, sizes(t), from);
  return t;
}

Target make_target(const TargetSpec& spec, bool pic) {
  initialise_targets();
  Target t;
  t.host = spec.is_host();
  if (t.host) {
    t.spec = host_spec();
  } else {
    t.spec.triple = llvm::Triple::normalize(spec.triple.empty() ? host_spec().triple : spec.triple);
    t.spec.cpu = spec.cpu.empty() ? "generic" : spec.cpu;
    t.spec.features = spec.features;
  }
  const llvm::Target& target = lookup(t.spec.triple);
  check_cpu(target, t.spec);
  check_features(target, t.spec);
  llvm::TargetOptions options;
  std::optional<llvm::Reloc::Model> reloc;
  if (pic) reloc = llvm::Reloc::PIC_;
  t.machine.reset(target.createTargetMachine(t.spec.triple, t.spec.cpu, t.spec.features, options, reloc, std::nullopt,
                                             llvm::CodeGenOptLevel::Aggressive));
  if (!t.machine) fail("--target {}: LLVM could not create a target machine for cpu {}", t.spec.triple, t.spec.cpu);
  t.info = target_info(*t.machine, t.host, &t.figures);
  return t;
}

llvm::Error run_pipeline(llvm::Module& m, llvm::TargetMachine& tm) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = false;
  tuning.LoopVectorization = false;
  tuning.SLPVectorization = false;
  llvm::PassBuilder pb(&tm, tuning);
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

namespace {
std::string emit_file(llvm::Module& m, llvm::TargetMachine& tm, llvm::CodeGenFileType type, const char* what) {
  llvm::SmallString<0> bytes;
  llvm::raw_svector_ostream os(bytes);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr, type))
    fail("LLVM: target {} cannot emit {}", tm.getTargetTriple().str(), what);
  pm.run(m);
  return std::string(bytes.str());
}
}  // namespace

std::string assembly(llvm::Module& m, llvm::TargetMachine& tm) {
  return emit_file(m, tm, llvm::CodeGenFileType::AssemblyFile, "assembly");
}

std::string object_code(llvm::Module& m, llvm::TargetMachine& tm) {
  return emit_file(m, tm, llvm::CodeGenFileType::ObjectFile, "an object file");
}

}  // namespace minigrad::jit
