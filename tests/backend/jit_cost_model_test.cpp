// The cost model that decides which kernels are split over threads
// (backend/llvm/node_kernels.h): batch norm and dropout of a wide layer at a
// large batch (the 3 x 1024 MLP of issue 9, batch 256) are worth splitting, as
// are its GEMMs, counted with their epilogues; the seed model's batch norm
// (64 x 192) is not, so its step stays on one core. JitThreads (jit_model_test.cpp) checks that the split
// kernels give the bits of one thread.
#include <gtest/gtest.h>

#include "backend/llvm/node_kernels.h"
#include "ir/builder.h"

namespace minigrad::jit {
namespace {

using ir::DType;
using ir::Op;

ir::Type f32(ir::Dims d) { return ir::Type{DType::F32, ir::Shape(std::move(d))}; }

struct Layer {
  ir::Function f{"f"};
  const ir::Node *bn_train = nullptr, *bn_grad = nullptr, *dropout = nullptr, *add = nullptr;
};

void build(Layer& l, int64_t rows, int64_t features) {
  ir::Builder b(l.f);
  ir::ValueId x = b.input("x", f32({rows, features})), dy = b.input("dy", f32({rows, features}));
  ir::ValueId gamma = b.input("gamma", f32({features})), beta = b.input("beta", f32({features}));
  ir::ValueId seed = b.input("seed", ir::Type{DType::I32, {}}), step = b.input("step", ir::Type{DType::I32, {}});
  std::vector<ir::ValueId> bn = b.emit(Op::BatchNormTrain, {x, gamma, beta});
  std::vector<ir::ValueId> grad = b.emit(Op::BatchNormGrad, {dy, x, gamma, bn[1], bn[2]});
  ir::ValueId d = b.emit1(Op::Dropout, {bn[0], seed, step}, {{"p", 0.2}, {"salt", int64_t{1}}});
  ir::ValueId sum = b.add(d, grad[0]);
  b.output("y", sum);
  for (size_t i = 0; i < l.f.size(); ++i) {
    const ir::Node& n = l.f.node(i);
    if (n.op == Op::BatchNormTrain) l.bn_train = &n;
    if (n.op == Op::BatchNormGrad) l.bn_grad = &n;
    if (n.op == Op::Dropout) l.dropout = &n;
    if (n.op == Op::Add) l.add = &n;
  }
}

TEST(JitCostModel, BatchNormAndDropoutOfAWideLayerAreSplitTheSeedsAreNot) {
  constexpr unsigned kLanes = 16;  // AVX-512, f32
  Layer wide;
  build(wide, 256, 1024);
  EXPECT_GE(work_cycles(wide.f, *wide.bn_train, kLanes), kParallelCycles);
  EXPECT_GE(work_cycles(wide.f, *wide.bn_grad, kLanes), kParallelCycles);
  EXPECT_GE(work_cycles(wide.f, *wide.dropout, kLanes), kParallelCycles);
  // Dropout's hash costs many vector ops per element; an add, one.
  EXPECT_GT(work_cycles(wide.f, *wide.dropout, kLanes), 8 * work_cycles(wide.f, *wide.add, kLanes));
  Layer seed;
  build(seed, 64, 192);
  EXPECT_LT(work_cycles(seed.f, *seed.bn_train, kLanes), kParallelCycles);
  EXPECT_LT(work_cycles(seed.f, *seed.bn_grad, kLanes), kParallelCycles);
}

// A masked node's row count (docs/ir.md, "Partial batches") that is an input of
// the function is checked once, at the entry (codegen.cpp), against the fewest
// rows of a node that takes it, naming that node; the masked nodes then cannot
// fail, so the cost model alone decides whether they are split.
TEST(JitCostModel, MaskedNodesCannotFailOnceTheEntryCheckedTheirRowCount) {
  ir::Function f{"f"};
  ir::Builder b(f);
  ir::ValueId x = b.input("x", f32({256, 1024})), small = b.input("small", f32({100, 8}));
  ir::ValueId gamma = b.input("gamma", f32({1024})), beta = b.input("beta", f32({1024}));
  ir::ValueId n = b.input("n_rows", ir::Type{DType::I32, {}});
  ir::ValueId masked = b.emit1(Op::MaskRows, {x, n});
  std::vector<ir::ValueId> bn = b.emit(Op::BatchNormTrain, {masked, gamma, beta, n});
  ir::ValueId few = b.emit1(Op::MaskRows, {small, n});
  b.output("y", bn[0]);
  b.output("s", few);
  std::vector<EntryRowCount> counts = entry_row_counts(f);
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].value, n);
  EXPECT_EQ(counts[0].rows, 100);
  EXPECT_EQ(counts[0].node, f.value(few).def);
  const ir::Node& bn_train = *f.value(bn[0]).def;
  EXPECT_TRUE(node_can_fail(f, bn_train));
  EXPECT_FALSE(node_can_fail(f, bn_train, {n}));
  EXPECT_GE(work_cycles(f, bn_train, 16), kParallelCycles);
}

// The input gradient of a 10-class output layer through dropout: a product with
// K = 10 (81,920 cycles of FMAs at 256 x 1024) whose epilogue hashes every
// element; the two together are worth splitting.
TEST(JitCostModel, AGemmsEpilogueCounts) {
  ir::Function f("f");
  ir::Builder b(f);
  ir::ValueId dy = b.input("dy", f32({256, 10})), w = b.input("w", f32({1024, 10}));
  ir::ValueId seed = b.input("seed", ir::Type{DType::I32, {}}), step = b.input("step", ir::Type{DType::I32, {}});
  auto body = std::make_shared<ir::Function>("body");
  ir::Builder bb(*body);
  ir::ValueId x = bb.input("0", f.type(dy)), y = bb.input("1", f.type(w));
  ir::ValueId s = bb.input("2", f.type(seed)), t = bb.input("3", f.type(step));
  ir::ValueId mm = bb.matmul(x, y, false, true);
  bb.output("0", bb.emit1(Op::Dropout, {mm, s, t}, {{"p", 0.2}, {"salt", int64_t{2}}}));
  ir::ValueId out = b.emit(Op::Fused, {dy, w, seed, step}, {{"kind", std::string("matmul")}}, body)[0];
  b.output("dx", out);
  const ir::Node& fused = *f.value(out).def;
  ir::Function plain("plain");
  ir::Builder pb(plain);
  ir::ValueId product = pb.matmul(pb.input("dy", f32({256, 10})), pb.input("w", f32({1024, 10})), false, true);
  EXPECT_LT(work_cycles(plain, *plain.value(product).def, 16), kParallelCycles);
  EXPECT_GE(work_cycles(f, fused, 16), kParallelCycles);
}

}  // namespace
}  // namespace minigrad::jit
