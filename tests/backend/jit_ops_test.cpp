// The JIT agrees with the interpreter on every op sample of the op table
// (tests/support/op_samples): forward in f32 and in f64, and backward, on the
// graph autodiff builds for loss = sum_r sum(result_r * w_r). f32 results agree to
// 1e-5 relative (+1e-6 absolute, for values near zero): the JIT computes in f32
// where the interpreter uses double for sums, and its exp, log and tanh are
// polynomials; f64 results agree to 1e-12.
#include <gtest/gtest.h>

#include <random>

#include "ir/builder.h"
#include "passes/autodiff.h"
#include "passes/widen_f64.h"
#include "tests/backend/jit_helpers.h"
#include "tests/support/op_samples.h"

namespace minigrad::testing {
namespace {

constexpr Tolerance kF32{1e-5, 1e-6};
constexpr Tolerance kF64{1e-12, 1e-13};

std::vector<Buffer> widened(const std::vector<Buffer>& in) {
  std::vector<Buffer> out;
  for (const Buffer& b : in) out.push_back(b.type().dtype == ir::DType::F32 ? convert(b, ir::DType::F64) : b);
  return out;
}

void expect_same_outputs(const ir::Module& m, const std::vector<Buffer>& inputs, Tolerance tol, const std::string& what) {
  StateStore s1(m), s2(m);
  std::vector<Buffer> ref = run_with(interp_backend(), m, s1, inputs);
  std::vector<Buffer> got = run_with(jit_backend(), m, s2, inputs);
  expect_agree(got, ref, tol, what);
}

class JitOp : public ::testing::TestWithParam<OpSample> {};

TEST_P(JitOp, ForwardF32) {
  const OpSample& s = GetParam();
  expect_same_outputs(sample_module(s), sample_inputs(s, 3), kF32, s.label);
}

TEST_P(JitOp, ForwardF64) {
  const OpSample& s = GetParam();
  expect_same_outputs(passes::widen_to_f64(sample_module(s)), widened(sample_inputs(s, 3)), kF64, s.label);
}

// in0.. -> op -> loss = sum_r sum(out_r * w_r); outputs loss and the gradient of
// every float operand; the backward graph is what autodiff builds.
ir::Module backward_module(const OpSample& s, size_t* weights) {
  ir::Module m;
  m.name = "backward";
  ir::Function& f = m.add_func("f");
  ir::Builder b(f);
  std::vector<ir::ValueId> in;
  for (size_t i = 0; i < s.operands.size(); ++i) in.push_back(b.input("in" + std::to_string(i), s.operands[i].type));
  std::vector<ir::ValueId> out = b.emit(s.op, in, s.attrs, s.body);
  ir::ValueId loss = -1;
  *weights = 0;
  for (size_t r = 0; r < out.size(); ++r) {
    ir::Type t = f.type(out[r]);
    if (!ir::is_float(t.dtype)) continue;
    ir::ValueId term = b.mul(out[r], b.input("w" + std::to_string(r), t));
    ++*weights;
    if (t.shape.rank() > 0) {
      std::vector<int64_t> axes;
      for (int a = 0; a < t.shape.rank(); ++a) axes.push_back(a);
      term = b.reduce_sum(term, axes);
    }
    loss = loss < 0 ? term : b.add(loss, term);
  }
  std::vector<ir::ValueId> grad_args{loss};
  for (size_t i = 0; i < s.operands.size(); ++i)
    if (s.operands[i].differentiable && ir::is_float(s.operands[i].type.dtype)) grad_args.push_back(in[i]);
  std::vector<ir::ValueId> grads = b.emit(ir::Op::Grad, grad_args);
  b.output("loss", loss);
  for (size_t k = 0; k < grads.size(); ++k) b.output("grad" + std::to_string(k), grads[k]);
  return m;
}

bool has_backward(const OpSample& s) {
  const ir::OpInfo& info = ir::op_info(s.op);
  if (info.has(ir::kZeroGrad) || info.has(ir::kNoVjp)) return false;
  bool float_in = false;
  for (const OperandSpec& o : s.operands) float_in = float_in || (o.differentiable && ir::is_float(o.type.dtype));
  return float_in;
}

class JitOpBackward : public ::testing::TestWithParam<OpSample> {};

TEST_P(JitOpBackward, AgreesWithInterpreter) {
  const OpSample& s = GetParam();
  size_t weights = 0;
  ir::Module m = backward_module(s, &weights);
  passes::expand_grads(m.funcs[0]);
  std::vector<Buffer> inputs = sample_inputs(s, 5);
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0, 1);
  const ir::Function& f = m.funcs[0];
  auto input_nodes = f.nodes_of(ir::Op::Input);
  for (size_t i = inputs.size(); i < input_nodes.size(); ++i) {
    Buffer w(f.type(input_nodes[i]->result()));
    for (float& v : w.span<float>()) v = normal(rng);
    inputs.push_back(std::move(w));
  }
  expect_same_outputs(m, inputs, kF32, s.label + " backward");
  expect_same_outputs(passes::widen_to_f64(m), widened(inputs), kF64, s.label + " backward f64");
}

std::string sample_name(const ::testing::TestParamInfo<OpSample>& info) {
  std::string n = info.param.label;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n + "_" + std::to_string(info.index);
}

// Samples of ops that have a gradient and a float operand to differentiate.
std::vector<OpSample> backward_samples() {
  std::vector<OpSample> out;
  for (const OpSample& s : all_samples())
    if (has_backward(s)) out.push_back(s);
  return out;
}

INSTANTIATE_TEST_SUITE_P(EveryOp, JitOp, ::testing::ValuesIn(all_samples()), sample_name);
INSTANTIATE_TEST_SUITE_P(EveryOp, JitOpBackward, ::testing::ValuesIn(backward_samples()), sample_name);

}  // namespace
}  // namespace minigrad::testing
