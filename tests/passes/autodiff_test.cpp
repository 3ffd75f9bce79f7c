// The autodiff pass: the shape of the backward graph it writes, activity
// analysis, zero gradients, locations, and its errors.
#include <gtest/gtest.h>

#include "backend/backend.h"
#include "frontend/dsl.h"
#include "frontend/tracer.h"
#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/autodiff.h"

namespace minigrad::passes {
namespace {

ir::Module seed_after_autodiff() {
  ModelArgs args;
  args.in_features = 128, args.num_classes = 10;
  nn::Model model = builtin_models().at("seed_mlp").build(args);
  nn::CrossEntropyLoss loss(0.3);
  optim::Adam adam(1e-3, 1e-3);
  ir::Module m = trace(*model.net, loss, adam, {"seed_mlp", 64, 128, 10});
  EXPECT_TRUE(Autodiff().run(m));
  ir::verify(m);
  return m;
}

TEST(Autodiff, SeedTrainStepHasTheExpectedBackward) {
  ir::Module m = seed_after_autodiff();
  const ir::Function& f = *m.find_func("train_step");
  EXPECT_TRUE(f.nodes_of(ir::Op::Grad).empty());
  // Two forward matmuls and three backward ones: dW2 = h^T g, dh = g W2^T, dW1 = x^T dz.
  // The input x is not a parameter, so no dx = dz W1^T is computed.
  EXPECT_EQ(f.nodes_of(ir::Op::Matmul).size(), 5u);
  EXPECT_EQ(f.nodes_of(ir::Op::BatchNormGrad).size(), 1u);
  EXPECT_EQ(f.nodes_of(ir::Op::Softmax).size(), 1u);  // (softmax - target) / N
  // eval has no grad node and is left as it was.
  EXPECT_EQ(m.find_func("eval")->nodes_of(ir::Op::Matmul).size(), 2u);
}

TEST(Autodiff, BackwardNodesCarryTheForwardNodesLine) {
  ir::Module m = seed_after_autodiff();
  const ir::Function& f = *m.find_func("train_step");
  for (const ir::Node* n : f.nodes_of(ir::Op::Matmul)) {
    ASSERT_FALSE(n->locs.empty());
    EXPECT_EQ(n->locs[0].file, "examples/seed_mlp.cpp");
  }
  EXPECT_EQ(f.nodes_of(ir::Op::BatchNormGrad).at(0)->locs.at(0).line, 13);
}

const char* kUnusedParam = R"(module @m {
  state "w": f32[3] param ones
  state "u": f32[3] param ones
  func @f {
    %x: f32[3] = input {name="x"}
    %w: f32[3] = load_state {name="w"}
    %u: f32[3] = load_state {name="u"}
    %y: f32[3] = mul(%x, %w)
    %l: f32[] = reduce_sum(%y) {axes=[0]}
    %gw: f32[3], %gu: f32[3] = grad(%l, %w, %u)
    output(%gw) {name="gw"}
    output(%gu) {name="gu"}
  }
})";

TEST(Autodiff, ParameterTheLossIgnoresGetsZero) {
  ir::Module m = ir::parse_module(kUnusedParam);
  Autodiff().run(m);
  ir::verify(m);
  const ir::Function& f = m.funcs[0];
  const ir::Node* gu = f.find_output("gu");
  const ir::Node* def = f.value(gu->operands[0]).def;
  EXPECT_EQ(def->op, ir::Op::Constant);
  EXPECT_EQ(def->attrs.f("value"), 0.0);
  EXPECT_EQ(f.value(f.find_output("gw")->operands[0]).def->op, ir::Op::Mul) << ir::print(m);
}

TEST(Autodiff, AnOpWithoutVjpOnTheLossPathIsAnError) {
  const char* text = R"(module @m {
  func @f {
    %dy: f32[4,2] = input {name="dy"}
    %x: f32[4,2] = input {name="x"}
    %g: f32[2] = input {name="g"}
    %mu: f32[2] = input {name="mu"}
    %v: f32[2] = input {name="v"}
    %dx: f32[4,2], %dg: f32[2], %db: f32[2] = batch_norm_grad(%dy, %x, %g, %mu, %v)  loc("bn.cpp":9:5)
    %l: f32[] = reduce_sum(%dg) {axes=[0]}
    %gx: f32[4,2] = grad(%l, %x)
    output(%gx) {name="gx"}
  }
})";
  ir::Module m = ir::parse_module(text);
  try {
    Autodiff().run(m);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bn.cpp:9:5: autodiff: batch_norm_grad has no VJP rule"), std::string::npos)
        << e.what();
  }
}

TEST(Autodiff, ContributionsOfEveryUseAreSummed) {
  // l = sum(w * w + w): dl/dw = 2w + 1, from three uses of w.
  const char* text = R"(module @m {
  func @f {
    %w: f32[2] = input {name="w"}
    %a: f32[2] = mul(%w, %w)
    %b: f32[2] = add(%a, %w)
    %l: f32[] = reduce_sum(%b) {axes=[0]}
    %g: f32[2] = grad(%l, %w)
    output(%g) {name="g"}
  }
})";
  ir::Module m = ir::parse_module(text);
  Autodiff().run(m);
  ir::verify(m);
  // The values, not a count of adds: a lost contribution (of either operand of the
  // mul, or of the add's) changes them.
  StateStore state(m);
  std::unique_ptr<Executable> exe = make_interp_backend()->compile(m, "f", state);
  Buffer w(ir::Type{ir::DType::F32, {2}}), g(ir::Type{ir::DType::F32, {2}});
  w.as<float>()[0] = 1.5f, w.as<float>()[1] = -2.0f;
  TensorView in[] = {w.view()}, out[] = {g.view()};
  exe->run_checked(in, out);
  EXPECT_EQ(g.as<float>()[0], 4.0f) << ir::print(m);  // 2 * 1.5 + 1
  EXPECT_EQ(g.as<float>()[1], -3.0f) << ir::print(m);  // 2 * -2 + 1
}

}  // namespace
}  // namespace minigrad::passes
