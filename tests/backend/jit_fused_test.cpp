// Every fused kind of the passes' contract (docs/fusion-kinds.md on their side)
// compiles to one kernel that agrees with the interpreter, which runs the body
// node by node: `elementwise` (broadcast inputs, broadcast_to reads, outputs of
// two dtypes, dropout at its flat index, a scalar group), `matmul` (bias and
// activation; the LeakyReLU backward on g W^T with the product also a result;
// A^T), `bn_act` and `bn_act_grad` (LeakyReLU and ReLU), `loss_grad` (label
// smoothing, a constant or an input scale; with the loss and the count of correct
// rows, equal to their own kernels'), at odd shapes. A body outside its
// kind's form still compiles, node after node.
#include <gtest/gtest.h>

#include <random>

#include "ir/builder.h"
#include "tests/backend/interp_helpers.h"
#include "tests/backend/jit_helpers.h"

namespace minigrad::testing {
namespace {

using ir::DType;
using ir::Op;

ir::Type f32(ir::Dims d) { return ir::Type{DType::F32, ir::Shape(std::move(d))}; }

// A body under construction: inputs first, then nodes, then outputs.
struct Body {
  std::shared_ptr<ir::Function> f = std::make_shared<ir::Function>("body");
  ir::Builder b{*f};
  std::vector<ir::Type> operand_types;
  ir::ValueId in(const ir::Type& t) {
    operand_types.push_back(t);
    return b.input(std::to_string(operand_types.size() - 1), t);
  }
  int outputs = 0;
  void out(ir::ValueId v) { b.output(std::to_string(outputs++), v); }
};

// A module @f: one input per operand, the fused node, one output per result.
ir::Module fused_module(Body& body, const std::string& kind) {
  ir::Module m;
  m.name = "fused";
  ir::Function& f = m.add_func("f");
  ir::Builder b(f);
  std::vector<ir::ValueId> in;
  for (size_t i = 0; i < body.operand_types.size(); ++i) in.push_back(b.input("in" + std::to_string(i), body.operand_types[i]));
  b.set_locs({{"fused.cpp", 1, 1}});
  std::vector<ir::ValueId> out = b.emit(Op::Fused, in, {{"kind", kind}}, body.f);
  for (size_t i = 0; i < out.size(); ++i) b.output("out" + std::to_string(i), out[i]);
  return m;
}

std::vector<Buffer> random_inputs(const ir::Module& m, int64_t classes) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0, 1);
  std::vector<Buffer> in;
  for (const ir::Node* n : m.funcs[0].nodes_of(Op::Input)) {
    Buffer buf(m.funcs[0].type(n->result()));
    for (int64_t i = 0; i < buf.numel(); ++i) {
      if (buf.type().dtype == DType::I32) buf.as<int32_t>()[i] = int32_t(rng() % uint32_t(classes));
      else buf.as<float>()[i] = n->attrs.s("name") == "in5" || n->attrs.s("name") == "pos" ? 0.5f + float(rng() % 100) / 50
                                                                                        : normal(rng);
    }
    in.push_back(std::move(buf));
  }
  return in;
}

// Compiles with both backends and compares; `kernels`: the JIT's kernel count.
void expect_agree_fused(const ir::Module& m, const std::vector<Buffer>& in, int64_t kernels, const std::string& what) {
  StateStore s1(m), s2(m);
  std::vector<Buffer> ref = run_with(interp_backend(), m, s1, in);
  std::unique_ptr<Executable> exe = jit_backend().compile(m, "f", s2);
  std::vector<TensorView> views;
  for (const Buffer& b : in) views.push_back(b.view());
  std::vector<Buffer> out;
  for (const auto& [name, type] : exe->signature().outputs) out.emplace_back(type);
  std::vector<TensorView> out_views;
  for (Buffer& b : out) out_views.push_back(b.view());
  exe->run_checked(views, out_views);
  expect_agree(out, ref, Tolerance{2e-5, 1e-5}, what);
  EXPECT_EQ(jit_stats(*exe)->kernels, kernels) << what;
}

struct Dims2 {
  int64_t rows, cols;
};
const Dims2 kShapes[] = {{7, 10}, {64, 192}, {65, 257}};

TEST(JitFused, ElementwiseWithBroadcastsTwoDtypesAndDropout) {
  for (Dims2 s : kShapes) {
    Body body;
    ir::ValueId x = body.in(f32({s.rows, s.cols})), row = body.in(f32({s.cols})), col = body.in(f32({s.rows, 1}));
    ir::ValueId seed = body.in(ir::Type{DType::I32, {}}), step = body.in(ir::Type{DType::I32, {}});
    ir::ValueId wide = body.b.broadcast_to(row, ir::Shape{s.rows, s.cols});
    ir::ValueId t = body.b.add(body.b.mul(x, wide), col);
    ir::ValueId d = body.b.emit1(Op::Dropout, {t, seed, step}, {{"p", 0.25}, {"salt", int64_t{3}}});
    ir::ValueId e = body.b.unary(Op::Exp, body.b.neg(body.b.mul(d, d)));
    body.out(e);
    body.out(body.b.cmp("gt", d, body.b.scalar(0.0, DType::F32)));
    body.out(body.b.cast(body.b.unary(Op::Relu, t), DType::F64));
    ir::Module m = fused_module(body, "elementwise");
    expect_agree_fused(m, random_inputs(m, 1000), 1, fmt::format("elementwise {}x{}", s.rows, s.cols));
  }
}

// The scalar group of Adam's bias corrections: S = [], an i32 counter and f32 factors.
TEST(JitFused, ElementwiseScalarGroup) {
  Body body;
  ir::ValueId step = body.in(ir::Type{DType::I32, {}});
  ir::ValueId next = body.b.add(step, body.b.scalar(1, DType::I32));
  ir::ValueId t = body.b.cast(next, DType::F32);
  ir::ValueId c1 = body.b.sub(body.b.scalar(1, DType::F32), body.b.unary(Op::Exp, body.b.mul(t, -0.105360515)));
  body.out(next);
  body.out(c1);
  body.out(body.b.unary(Op::Sqrt, c1));
  ir::Module m = fused_module(body, "elementwise");
  expect_agree_fused(m, random_inputs(m, 1000), 1, "scalar group");
}

TEST(JitFused, MatmulWithBiasAndRelu) {
  for (Dims2 s : kShapes) {
    for (bool ta : {false, true}) {
      Body body;
      int64_t k = 33;
      ir::ValueId x = body.in(ta ? f32({k, s.rows}) : f32({s.rows, k})), w = body.in(f32({k, s.cols}));
      ir::ValueId bias = body.in(f32({s.cols}));
      ir::ValueId mm = body.b.matmul(x, w, ta, false);
      body.out(body.b.unary(Op::Relu, body.b.add(mm, bias)));
      ir::Module m = fused_module(body, "matmul");
      expect_agree_fused(m, random_inputs(m, 10), 1, fmt::format("matmul {}x{} ta {}", s.rows, s.cols, ta));
    }
  }
}

// dx = select(a > 0, g W^T, 0.01 g W^T), with g W^T itself also a result.
TEST(JitFused, MatmulLeakyReluBackwardWithTheProductAsAResult) {
  for (Dims2 s : kShapes) {
    Body body;
    ir::ValueId g = body.in(f32({s.rows, 10})), w = body.in(f32({s.cols, 10})), a = body.in(f32({s.rows, s.cols}));
    ir::ValueId p = body.b.matmul(g, w, false, true);
    ir::ValueId gs = body.b.mul(p, 0.01);
    ir::ValueId c = body.b.cmp("gt", a, body.b.scalar(0.0, DType::F32));
    body.out(p);
    body.out(body.b.select(c, p, gs));
    ir::Module m = fused_module(body, "matmul");
    expect_agree_fused(m, random_inputs(m, 10), 1, fmt::format("matmul backward {}x{}", s.rows, s.cols));
  }
}

TEST(JitFused, BatchNormWithActivation) {
  for (Dims2 s : kShapes)
    for (bool leaky : {true, false}) {
      Body body;
      ir::ValueId x = body.in(f32({s.rows, s.cols})), gamma = body.in(f32({s.cols})), beta = body.in(f32({s.cols}));
      std::vector<ir::ValueId> bn = body.b.emit(Op::BatchNormTrain, {x, gamma, beta});
      body.out(leaky ? body.b.emit1(Op::LeakyRelu, {bn[0]}, {{"slope", 0.01}}) : body.b.unary(Op::Relu, bn[0]));
      body.out(bn[1]);
      body.out(bn[2]);
      ir::Module m = fused_module(body, "bn_act");
      expect_agree_fused(m, random_inputs(m, 10), 1, fmt::format("bn_act {}x{} leaky {}", s.rows, s.cols, leaky));
    }
}

TEST(JitFused, BatchNormGradThroughTheActivation) {
  for (Dims2 s : kShapes)
    for (bool leaky : {true, false}) {
      Body body;
      ir::Type m2 = f32({s.rows, s.cols}), v = f32({s.cols});
      ir::ValueId g = body.in(m2), a = body.in(m2), x = body.in(m2), gamma = body.in(v), mean = body.in(v);
      ir::ValueId var = body.in(v);
      ir::ValueId mask = body.b.cmp("gt", a, body.b.scalar(0.0, DType::F32));
      ir::ValueId dy = leaky ? body.b.select(mask, g, body.b.mul(g, 0.01)) : body.b.mul(g, mask);
      std::vector<ir::ValueId> r = body.b.emit(Op::BatchNormGrad, {dy, x, gamma, mean, var});
      for (ir::ValueId o : r) body.out(o);
      ir::Module m = fused_module(body, "bn_act_grad");
      expect_agree_fused(m, random_inputs(m, 10), 1, fmt::format("bn_act_grad {}x{} leaky {}", s.rows, s.cols, leaky));
    }
}

TEST(JitFused, LossGrad) {
  for (Dims2 s : kShapes)
    for (bool scale_input : {false, true}) {
      Body body;
      ir::ValueId logits = body.in(f32({s.rows, s.cols})), labels = body.in(ir::Type{DType::I32, {s.rows}});
      ir::ValueId scale = scale_input ? body.in(f32({})) : body.b.scalar(1.0 / double(s.rows), DType::F32);
      ir::ValueId p = body.b.emit1(Op::Softmax, {logits});
      ir::ValueId oh = body.b.emit1(Op::OneHot, {labels}, {{"classes", s.cols}});
      ir::ValueId t = body.b.add(body.b.mul(oh, 0.7), 0.3 / double(s.cols));
      body.out(body.b.mul(body.b.sub(p, t), scale));
      ir::Module m = fused_module(body, "loss_grad");
      expect_agree_fused(m, random_inputs(m, s.cols), 1, fmt::format("loss_grad {}x{}", s.rows, s.cols));
    }
}

// The loss and the count of correct rows inside loss_grad (fuse-loss-grad puts them
// there): one kernel, agreeing with the interpreter, and with the JIT's own
// softmax_xent and correct kernels bit for bit (the same sums, term for term).
TEST(JitFused, LossGradWithTheLossAndTheCount) {
  for (Dims2 s : kShapes)
    for (double ls : {0.0, 0.3}) {
      Body body;
      ir::ValueId logits = body.in(f32({s.rows, s.cols})), labels = body.in(ir::Type{DType::I32, {s.rows}});
      ir::ValueId loss = body.b.emit1(Op::SoftmaxXent, {logits, labels}, {{"label_smoothing", ls}});
      ir::ValueId count = body.b.emit1(Op::Correct, {logits, labels});
      ir::ValueId p = body.b.emit1(Op::Softmax, {logits});
      ir::ValueId oh = body.b.emit1(Op::OneHot, {labels}, {{"classes", s.cols}});
      body.out(body.b.mul(body.b.sub(p, oh), 1.0 / double(s.rows)));
      body.out(loss);
      body.out(count);
      ir::Module m = fused_module(body, "loss_grad");
      std::vector<Buffer> in = random_inputs(m, s.cols);
      std::string what = fmt::format("loss_grad with loss and count {}x{} ls {}", s.rows, s.cols, ls);
      expect_agree_fused(m, in, 1, what);

      ir::Module alone;
      alone.name = "alone";
      ir::Builder b(alone.add_func("f"));
      ir::ValueId x = b.input("x", f32({s.rows, s.cols})), y = b.input("y", ir::Type{DType::I32, {s.rows}});
      b.output("loss", b.emit1(Op::SoftmaxXent, {x, y}, {{"label_smoothing", ls}}));
      b.output("correct", b.emit1(Op::Correct, {x, y}));
      StateStore s1(m), s2(alone), s3(alone);
      std::vector<Buffer> fused = run_with(jit_backend(), m, s1, in), own = run_with(jit_backend(), alone, s2, in);
      // The lone kernels against the interpreter too: equal to the fused kernel is
      // only worth something if they are right (the count exactly).
      expect_agree(own, run_with(interp_backend(), alone, s3, in), Tolerance{2e-5, 1e-5}, what + " (lone kernels)");
      EXPECT_EQ(values<float>(fused[1]), values<float>(own[0])) << what;
      EXPECT_EQ(values<int32_t>(fused[2]), values<int32_t>(own[1])) << what;
    }
}

TEST(JitFused, ABodyOutsideItsKindsFormIsLoweredNodeByNode) {
  Body body;
  ir::ValueId x = body.in(f32({5, 6}));
  ir::ValueId r = body.b.reduce_sum(body.b.unary(Op::Exp, x), {1}, true);
  body.out(body.b.div(x, r));  // a softmax-like body that no kind describes
  ir::Module m = fused_module(body, "elementwise");
  expect_agree_fused(m, random_inputs(m, 10), 4, "node by node");  // the fused kernel and three inside it
}

}  // namespace
}  // namespace minigrad::testing
