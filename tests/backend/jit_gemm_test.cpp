// The generated GEMM (backend/llvm/gemm/) at shapes that reach every edge of both
// lowerings: the four transpose cases over odd extents (1, 7, 63, 65, 257, 784,
// 1000), the blocked lowering with caches small enough that every extent has
// several blocks and a remainder panel, with and without an epilogue (bias and
// ReLU, where the sums cross K blocks in scratch), at 1 and 2 threads.
//   - against the interpreter (Eigen), within float rounding;
//   - tiled against blocked, bit for bit: both add the K products of an element
//     in the same order, one fused multiply-add each;
//   - 2 threads against 1, bit for bit: units write disjoint parts of C.
#include <gtest/gtest.h>

#include <random>

#include "backend/llvm/gemm/plan.h"
#include "ir/builder.h"
#include "tests/backend/jit_helpers.h"

namespace minigrad::testing {
namespace {

using ir::DType;
using ir::Op;

ir::Type f32(ir::Dims d) { return ir::Type{DType::F32, ir::Shape(std::move(d))}; }

struct Case {
  int64_t m, n, k;
};
// Tiny caches make the blocks KC = 32 (the least), MC = 32 and NC = 128 columns.
constexpr int64_t kL1 = 2048, kL2 = 8192, kL3 = 32768;
const Case kCases[] = {{1, 1, 1}, {7, 63, 65}, {65, 7, 257}, {63, 257, 7}, {257, 65, 63}, {65, 1000, 33}, {33, 65, 784}};

// C = op(A) op(B) and, with `epilogue`, relu(C + bias) through a fused node.
ir::Module gemm_module(Case c, bool ta, bool tb, bool epilogue) {
  ir::Module m;
  m.name = "gemm";
  ir::Function& f = m.add_func("f");
  ir::Builder b(f);
  ir::ValueId a = b.input("a", ta ? f32({c.k, c.m}) : f32({c.m, c.k}));
  ir::ValueId bm = b.input("b", tb ? f32({c.n, c.k}) : f32({c.k, c.n}));
  if (!epilogue) {
    b.output("c", b.matmul(a, bm, ta, tb));
    return m;
  }
  ir::ValueId bias = b.input("bias", f32({c.n}));
  auto body = std::make_shared<ir::Function>("body");
  ir::Builder bb(*body);
  ir::ValueId x = bb.input("0", f.type(a)), y = bb.input("1", f.type(bm)), z = bb.input("2", f32({c.n}));
  bb.output("0", bb.unary(Op::Relu, bb.add(bb.matmul(x, y, ta, tb), z)));
  b.output("c", b.emit(Op::Fused, {a, bm, bias}, {{"kind", std::string("matmul")}}, body)[0]);
  return m;
}

std::vector<Buffer> inputs(const ir::Module& m) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0, 1);
  std::vector<Buffer> in;
  for (const ir::Node* n : m.funcs[0].nodes_of(Op::Input)) {
    Buffer buf(m.funcs[0].type(n->result()));
    for (int64_t i = 0; i < buf.numel(); ++i) buf.as<float>()[i] = normal(rng);
    in.push_back(std::move(buf));
  }
  return in;
}

std::vector<Buffer> run_jit(const ir::Module& m, const std::string& lowering, int threads) {
  JitBackendOptions o;
  o.cache_dir = "off", o.gemm = lowering, o.threads = threads;
  if (lowering == "blocked") o.l1d_bytes = kL1, o.l2_bytes = kL2, o.l3_bytes = kL3;
  std::unique_ptr<Backend> jit = make_jit_backend(o);
  StateStore s(m);
  return run_with(*jit, m, s, inputs(m));
}

bool same_bits(const Buffer& x, const Buffer& y) {
  return x.type() == y.type() && std::memcmp(x.data(), y.data(), x.type().bytes()) == 0;
}

class JitGemm : public ::testing::TestWithParam<std::tuple<bool, bool, bool>> {};

TEST_P(JitGemm, BothLoweringsAgreeWithTheInterpreterAndEachOtherBitForBit) {
  auto [ta, tb, epilogue] = GetParam();
  for (Case c : kCases) {
    std::string what = fmt::format("{}x{}x{} ta {} tb {} epilogue {}", c.m, c.n, c.k, ta, tb, epilogue);
    ir::Module m = gemm_module(c, ta, tb, epilogue);
    StateStore s(m);
    std::vector<Buffer> ref = run_with(interp_backend(), m, s, inputs(m));
    std::vector<Buffer> tiled = run_jit(m, "tiled", 1), blocked = run_jit(m, "blocked", 1);
    expect_agree(blocked, ref, {1e-4, 1e-4}, what);
    EXPECT_TRUE(same_bits(tiled[0], blocked[0])) << what << ": tiled and blocked differ";
    EXPECT_TRUE(same_bits(run_jit(m, "blocked", 2)[0], blocked[0])) << what << ": 2 threads differ from 1";
    EXPECT_TRUE(same_bits(run_jit(m, "tiled", 2)[0], tiled[0])) << what << ": tiled, 2 threads differ from 1";
  }
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<bool, bool, bool>>& info) {
  auto [ta, tb, epilogue] = info.param;
  return fmt::format("{}{}{}", ta ? "At" : "A", tb ? "Bt" : "B", epilogue ? "_epilogue" : "");
}

INSTANTIATE_TEST_SUITE_P(TransposesAndEpilogues, JitGemm,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool(), ::testing::Bool()), case_name);

// The code for a 128-bit, 32-register target (NEON's shape: 4 f32 lanes, tiles
// of up to 8 vectors) agrees with the interpreter and gives the bits of the
// host's width: element (m, n) is the same chain of FMAs at every width.
TEST(JitGemmTargets, NeonShapedCodeAgreesWithTheInterpreterAndTheHostWidth) {
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (Case c : {Case{65, 257, 63}, Case{7, 10, 784}}) {
        std::string what = fmt::format("{}x{}x{} ta {} tb {}", c.m, c.n, c.k, ta, tb);
        ir::Module m = gemm_module(c, ta, tb, true);
        JitBackendOptions o;
        o.cache_dir = "off", o.gemm = "blocked", o.vector_bits = 128, o.vector_registers = 32;
        o.l1d_bytes = kL1, o.l2_bytes = kL2, o.l3_bytes = kL3;
        std::unique_ptr<Backend> neon = make_jit_backend(o);
        StateStore s1(m), s2(m);
        std::vector<Buffer> got = run_with(*neon, m, s1, inputs(m)), ref = run_with(interp_backend(), m, s2, inputs(m));
        expect_agree(got, ref, {1e-4, 1e-4}, what);
        EXPECT_TRUE(same_bits(got[0], run_jit(m, "blocked", 1)[0])) << what << ": 128-bit code differs from the host's";
      }
}

// A narrow product read down A's rows (ta, N < lanes) takes tiles of C^T, vectors
// along M, where M fills them better than N does; the grid above checks its bits
// (its tiled runs of 65 x 7 x 257 with ta take it, against the blocked lowering).
TEST(JitGemmTiled, NarrowProductsReadDownARowsAreTiledAlongM) {
  jit::TargetInfo t;
  t.vector_bits = 512, t.vector_registers = 32;
  auto plan = [&](int64_t m, int64_t n, int64_t k, bool ta) { return jit::plan_gemm({m, n, k, ta, false}, t, true, 1); };
  jit::GemmPlan out = plan(192, 10, 64, true);  // the seed's output-layer weight gradient
  EXPECT_TRUE(out.transposed) << out.describe();
  EXPECT_EQ(out.tile.mr, 32) << out.describe();  // two vectors of rows: 20 accumulators
  EXPECT_EQ(out.units, 6) << out.describe();
  EXPECT_TRUE(plan(65, 7, 64, true).transposed);
  EXPECT_FALSE(plan(7, 10, 65, true).transposed) << "7 rows fill a vector less than 10 columns";
  EXPECT_FALSE(plan(192, 10, 64, false).transposed) << "without ta, A's rows are not contiguous in M";
  EXPECT_FALSE(plan(192, 16, 64, true).transposed) << "a whole vector of columns";
}

// An update's epilogue (matmul_update) runs after the tiles where C and the three
// matrices it reads fit in half of L2: the seed's 128 x 192 and 192 x 10 weights
// with a 1 MiB L2, not 784 x 512 (4 x 1.6 MB), nor a plain epilogue, nor the blocked
// lowering. The sums take scratch (these shapes have no tb, so no pack of B^T beside them).
TEST(JitGemmTiled, SmallUpdatesRunAfterTheTiles) {
  jit::TargetInfo t;
  t.vector_bits = 512, t.vector_registers = 32, t.l2_bytes = 1 << 20;
  auto plan = [&](int64_t m, int64_t n, int64_t k, bool update) {
    return jit::plan_gemm({m, n, k, true, false}, t, true, 1, update);
  };
  jit::GemmPlan seed = plan(128, 192, 64, true);
  EXPECT_TRUE(seed.update_after) << seed.describe();
  EXPECT_EQ(seed.scratch_bytes, 128 * 192 * 4);
  EXPECT_TRUE(plan(192, 10, 64, true).update_after) << "transposed tiles too";
  EXPECT_FALSE(plan(784, 512, 128, true).update_after);
  EXPECT_FALSE(plan(128, 192, 64, false).update_after) << "a bias or activation epilogue stays in the tiles";
  t.gemm = jit::GemmChoice::Blocked;
  EXPECT_FALSE(plan(128, 192, 64, true).update_after);
}

// An epilogue GEMM whose K x NR panel of B fits in a sixth of L2 runs all of K
// in one block (sums in registers up to the epilogue); with a smaller L2 the same
// product carries its sums across K blocks in scratch. Both give the same bits.
TEST(JitGemmBlocks, OneKBlockAndPartialSumsGiveTheSameBits) {
  jit::TargetInfo t;
  t.vector_bits = 512, t.vector_registers = 32, t.gemm = jit::GemmChoice::Blocked;
  t.l1d_bytes = kL1, t.l2_bytes = 1 << 22, t.l3_bytes = 1 << 22;
  jit::GemmPlan one = jit::plan_gemm({65, 100, 784}, t, true, 1);
  EXPECT_EQ(one.kc, 784) << one.describe();
  EXPECT_FALSE(one.partials) << one.describe();
  t.l2_bytes = kL2;
  jit::GemmPlan blocks = jit::plan_gemm({65, 100, 784}, t, true, 1);
  EXPECT_LT(blocks.kc, 784) << blocks.describe();
  EXPECT_TRUE(blocks.partials) << blocks.describe();
  EXPECT_FALSE(jit::plan_gemm({65, 100, 784}, t, false, 1).partials) << "no epilogue, no partial-sum buffer";
  // The rule's edge, with a host's 1 MiB L2 and 16 lanes: 784 x 48 x 4 bytes (147 KiB)
  // is within a sixth (171 KiB); 1024 x 48 x 4 (192 KiB) is not.
  t.l2_bytes = 1 << 20;
  auto kc_with_nr48 = [&](int64_t k) {
    jit::GemmPlan p = jit::plan_gemm({1024, 192, k}, t, true, 1);
    EXPECT_EQ(p.nr, 48) << p.describe();
    return p.kc;
  };
  EXPECT_EQ(kc_with_nr48(784), 784);
  EXPECT_LT(kc_with_nr48(1024), 1024);
  // K = 777 = 48 x 16 + 9: with tb, the one block's pack of B^T loads the last 9
  // columns of each 16 rows narrow and widens them (pack.h, transpose_copy).
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      ir::Module m = gemm_module({65, 100, 777}, ta, tb, true);
      JitBackendOptions o;
      o.cache_dir = "off", o.gemm = "blocked", o.l1d_bytes = kL1, o.l3_bytes = 1 << 22;
      o.l2_bytes = 1 << 22;  // 777 x 32 x 4 bytes < L2 / 8: one K block
      std::unique_ptr<Backend> one_block = make_jit_backend(o);
      o.l2_bytes = kL2;  // K blocks of 32 with partial sums
      std::unique_ptr<Backend> partials = make_jit_backend(o);
      StateStore s1(m), s2(m), s3(m);
      std::vector<Buffer> got = run_with(*one_block, m, s1, inputs(m));
      expect_agree(got, run_with(interp_backend(), m, s3, inputs(m)), {1e-4, 1e-4}, "one K block");
      EXPECT_TRUE(same_bits(got[0], run_with(*partials, m, s2, inputs(m))[0])) << "ta " << ta << " tb " << tb;
      EXPECT_TRUE(same_bits(got[0], run_jit(m, "tiled", 1)[0])) << "ta " << ta << " tb " << tb << ": tiled differs";
    }
}

// The host's own blocks (no forced caches) at a product big enough to be split
// over columns at 2 threads, the weight gradient's A^T case: equal bits.
TEST(JitGemmThreads, AWideProductSplitOverTwoThreadsGivesTheBitsOfOne) {
  ir::Module m = gemm_module({300, 700, 520}, true, false, false);
  JitBackendOptions o;
  o.cache_dir = "off", o.gemm = "blocked";
  std::unique_ptr<Backend> one = make_jit_backend(o);
  o.threads = 2;
  std::unique_ptr<Backend> two = make_jit_backend(o);
  StateStore s1(m), s2(m);
  EXPECT_TRUE(same_bits(run_with(*one, m, s1, inputs(m))[0], run_with(*two, m, s2, inputs(m))[0]));
}

}  // namespace
}  // namespace minigrad::testing
