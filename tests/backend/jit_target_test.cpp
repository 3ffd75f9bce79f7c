// Target selection (backend/llvm/target.h) through jit_dump: code for another
// machine than this one, with that machine's vector width, registers and
// documented figures, never this host's; bad triples and CPUs are Errors naming
// the flag. (The JIT runs host code only; e2e.dump_target checks the instructions.)
#include <gtest/gtest.h>

#include "backend/llvm/jit_backend.h"
#include "ir/error.h"
#include "ir/parser.h"

namespace minigrad::testing {
namespace {

constexpr const char* kGemm = R"(module @m {
  func @f {
    %a: f32[64,96] = input {name="a"}
    %b: f32[96,80] = input {name="b"}
    %c: f32[64,80] = matmul(%a, %b)
    output(%c) {name="c"}
  }
})";

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

TEST(JitTarget, AnM1GetsNeonShapedCodeAndItsOwnFigures) {
  ir::Module m = ir::parse_module(kGemm);
  std::string ir = jit_dump(m, "f", "llvm", {"arm64-apple-macos", "apple-m1", ""});
  EXPECT_NE(first_line(ir).find("cpu apple-m1: 128-bit vectors x 32, 4 FMA/cycle latency 4, 3 loads/cycle, L1d 128 KiB, "
                                "L2 12288 KiB, L3 8192 KiB (the documented figures of apple-m1)"),
            std::string::npos)
      << first_line(ir);
  EXPECT_NE(ir.find("target triple = \"arm64-apple-macos"), std::string::npos);
  EXPECT_NE(ir.find("<4 x float>"), std::string::npos);
  EXPECT_EQ(ir.find("<16 x float>"), std::string::npos);
  EXPECT_EQ(ir.find("<8 x float>"), std::string::npos);
}

TEST(JitTarget, AvxTargetsGetTheirWidth) {
  ir::Module m = ir::parse_module(kGemm);
  std::string skx = jit_dump(m, "f", "llvm", {"x86_64-linux-gnu", "skylake-avx512", ""});
  EXPECT_NE(first_line(skx).find("cpu skylake-avx512: 512-bit vectors x 32"), std::string::npos) << first_line(skx);
  EXPECT_NE(skx.find("<16 x float>"), std::string::npos);
  std::string hsw = jit_dump(m, "f", "llvm", {"x86_64-linux-gnu", "haswell", ""});
  EXPECT_NE(first_line(hsw).find("cpu haswell: 256-bit vectors x 16, 2 FMA/cycle latency 5"), std::string::npos)
      << first_line(hsw);
  EXPECT_EQ(hsw.find("<16 x float>"), std::string::npos);
}

TEST(JitTarget, TheHostIsTheDefaultAndReadsItsOwnCaches) {
  ir::Module m = ir::parse_module(kGemm);
  EXPECT_NE(first_line(jit_dump(m, "f", "llvm")).find("(the host's caches"), std::string::npos);
}

TEST(JitTarget, ACpuWithoutFiguresSaysSo) {
  ir::Module m = ir::parse_module(kGemm);
  std::string generic = jit_dump(m, "f", "llvm", {"aarch64-linux-gnu", "", ""});
  EXPECT_NE(first_line(generic).find("cpu generic: 128-bit vectors x 32"), std::string::npos) << first_line(generic);
  EXPECT_NE(first_line(generic).find("defaults: no figures are known for CPU 'generic'"), std::string::npos);
}

TEST(JitTarget, BadTriplesAndCpusNameTheFlag) {
  ir::Module m = ir::parse_module(kGemm);
  try {
    jit_dump(m, "f", "asm", {"sparc-sun-solaris", "", ""});
    ADD_FAILURE() << "no error for an unregistered target";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--target sparc-sun-solaris: LLVM cannot generate code for it here"),
              std::string::npos)
        << e.what();
  }
  try {
    jit_dump(m, "f", "asm", {"aarch64-linux-gnu", "skylake", ""});
    ADD_FAILURE() << "no error for an x86 CPU on AArch64";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--cpu skylake: not a CPU LLVM knows for aarch64"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace minigrad::testing
