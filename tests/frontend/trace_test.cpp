// The tracer: PyTorch's state names, source locations of the model file, the
// functions it produces, and errors that point at the user's line.
#include <gtest/gtest.h>

#include "frontend/dsl.h"
#include "frontend/trace.h"
#include "frontend/tracer.h"
#include "ir/error.h"
#include "ir/verifier.h"

namespace minigrad {
namespace {

nn::Model seed(int64_t in = 128, int64_t classes = 10) {
  ModelArgs args;
  args.in_features = in, args.num_classes = classes;
  return builtin_models().at("seed_mlp").build(args);
}

ir::Module trace_seed(int64_t batch = 64) {
  nn::Model model = seed();
  nn::CrossEntropyLoss loss(0.3);
  optim::Adam adam(1e-3, 1e-3);
  return trace(*model.net, loss, adam, {"seed_mlp", batch, 128, 10});
}

std::string trace_error(nn::Module& net, int64_t in = 4, int64_t classes = 3) {
  nn::CrossEntropyLoss loss;
  optim::SGD sgd(0.1);
  try {
    trace(net, loss, sgd, {"m", 2, in, classes});
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Trace, StateIsNamedAsPyTorchNamesIt) {
  ir::Module m = trace_seed();
  std::vector<std::string> names;
  for (const ir::StateDecl& s : m.states)
    if (s.role != ir::StateRole::Optim) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                             "1.running_var", "1.num_batches_tracked", "3.weight", "3.bias"}));
}

TEST(Trace, ParametersHaveTheirInitialisersAndLayout) {
  ir::Module m = trace_seed();
  const ir::StateDecl* w = m.find_state("0.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->type, (ir::Type{ir::DType::F32, {128, 192}}));
  EXPECT_TRUE(w->torch_transposed);
  EXPECT_EQ(w->init.kind, ir::Init::Kind::Uniform);
  EXPECT_NEAR(w->init.b, std::sqrt(6.0 / 128), 1e-12);  // Kaiming uniform
  EXPECT_EQ(m.find_state("0.bias")->init.kind, ir::Init::Kind::Zeros);
  EXPECT_EQ(m.find_state("1.weight")->init.kind, ir::Init::Kind::Ones);
  EXPECT_EQ(m.find_state("1.running_var")->init.kind, ir::Init::Kind::Ones);
  EXPECT_EQ(m.find_state("optim.0.weight.exp_avg")->role, ir::StateRole::Optim);
}

TEST(Trace, FunctionsAndTheirSignatures) {
  ir::Module m = trace_seed(32);
  ir::verify(m);
  const ir::Function* train = m.find_func("train_step");
  const ir::Function* eval = m.find_func("eval");
  ASSERT_TRUE(train && eval);
  EXPECT_EQ(train->nodes_of(ir::Op::Grad).size(), 1u);
  EXPECT_EQ(train->nodes_of(ir::Op::BatchNormTrain).size(), 1u);
  EXPECT_EQ(eval->nodes_of(ir::Op::BatchNormEval).size(), 1u);
  EXPECT_TRUE(eval->nodes_of(ir::Op::StoreState).empty());  // evaluation changes no state
  EXPECT_NE(train->find_output("loss"), nullptr);
  EXPECT_NE(train->find_output("correct"), nullptr);
  EXPECT_NE(eval->find_output("logits"), nullptr);
  EXPECT_EQ(train->type(train->nodes_of(ir::Op::Input)[0]->result()), (ir::Type{ir::DType::F32, {32, 128}}));
}

TEST(Trace, NodesPointAtTheModelFile) {
  ir::Module m = trace_seed();
  const ir::Function* f = m.find_func("train_step");
  const ir::Node* mm = f->nodes_of(ir::Op::Matmul).at(0);
  ASSERT_EQ(mm->locs.size(), 1u);
  EXPECT_EQ(mm->locs[0].file, "examples/seed_mlp.cpp");
  EXPECT_EQ(mm->locs[0].line, 12);  // nn::Linear(args.in_features, width)
  EXPECT_EQ(f->nodes_of(ir::Op::LeakyRelu).at(0)->locs[0].line, 14);
}

// A custom layer whose forward has a shape error: the message names this file and line.
struct Broken : nn::Module {
  Tensor forward(const Tensor& x) override {
    Tensor w = param("w", {5, 3}, init::zeros());
    return x.matmul(w);  // x is [2, 4]: inner extents differ
  }
  std::string describe() const override { return "Broken"; }
};

TEST(Trace, ShapeErrorsNameTheUsersLine) {
  Broken b;
  std::string e = trace_error(b);
  EXPECT_NE(e.find("trace_test.cpp:" + std::to_string(__LINE__ - 8)), std::string::npos) << e;
  EXPECT_NE(e.find("inner extents differ: f32[2,4] x f32[5,3]"), std::string::npos) << e;
}

TEST(Trace, OutputShapeMustMatchTheClasses) {
  nn::Linear l(4, 7);
  std::string e = trace_error(l);
  EXPECT_NE(e.find("the network maps f32[2,4] to f32[2,7]; expected f32[2,3] (3 classes)"), std::string::npos) << e;
}

TEST(Trace, TensorOpsOutsideATraceAreAnError) {
  EXPECT_THROW(TraceContext::current(), Error);
}

TEST(Trace, OperatorsBroadcastAndRecordTheirLine) {
  struct Ops : nn::Module {
    Tensor forward(const Tensor& x) override {
      Tensor b = param("b", {3}, init::zeros());
      return (x - b) * 2.0 / (x.abs() + 1) + (-x).exp().log() - x.sum(1, true) + x.mean() + x.max(0, true) +
             x.t().t() + x.rows(0, 2).pow(2.0);
    }
    std::string describe() const override { return "Ops"; }
  } ops;
  nn::CrossEntropyLoss loss;
  optim::SGD sgd(0.1);
  ir::Module m = trace(ops, loss, sgd, {"m", 2, 3, 3});
  const ir::Function* f = m.find_func("eval");
  const ir::Node* sub = f->nodes_of(ir::Op::Sub).at(0);
  EXPECT_EQ(sub->locs[0].line, __LINE__ - 10);
  EXPECT_EQ(f->nodes_of(ir::Op::Transpose).size(), 2u);
  EXPECT_EQ(f->nodes_of(ir::Op::Slice).size(), 1u);
}

TEST(Trace, UnfusedCrossEntropyTracesLogSoftmaxAndNll) {
  nn::Model model = seed(8, 3);
  nn::CrossEntropyLoss loss(0.3, /*fused=*/false);
  optim::Adam adam;
  ir::Module m = trace(*model.net, loss, adam, {"m", 4, 8, 3});
  const ir::Function* f = m.find_func("train_step");
  EXPECT_EQ(f->nodes_of(ir::Op::LogSoftmax).size(), 1u);
  EXPECT_EQ(f->nodes_of(ir::Op::Nll).size(), 1u);
  EXPECT_TRUE(f->nodes_of(ir::Op::SoftmaxXent).empty());
}

TEST(ModelArgs, DefaultsOverridesAndUnknownNames) {
  ModelArgs args;
  args.set("width", "17");
  args.set("colour", "red");
  EXPECT_EQ(args.get_int("width", 192), 17);
  EXPECT_EQ(args.get_int("depth", 2), 2);
  EXPECT_EQ(args.unused(), std::vector<std::string>{"colour"});
  args.set("depth", "two");
  EXPECT_THROW(args.get_int("depth", 2), Error);
}

}  // namespace
}  // namespace minigrad
