// Gradient checks of every op, generated from the op table: every op either has
// gradient-check samples (tests/support/op_samples) or is a source, a sink, a
// zero-gradient op or one without a VJP rule. Each sample's op feeds a scalar loss
// sum_r sum(result_r * w_r) with random weights w_r; autodiff's gradients of the
// loss with respect to the sample's float operands are compared with central
// differences in double precision.
#include <gtest/gtest.h>

#include <random>

#include "backend/backend.h"
#include "ir/builder.h"
#include "ir/verifier.h"
#include "passes/autodiff.h"
#include "passes/widen_f64.h"
#include "tests/passes/gradcheck.h"
#include "tests/support/op_samples.h"

namespace minigrad::testing {
namespace {

bool differentiable(const ir::OpInfo& info) {
  return !info.has(ir::kSource) && !info.has(ir::kSink) && !info.has(ir::kZeroGrad) && !info.has(ir::kNoVjp);
}

// in0.. -> op -> loss = sum_r sum(out_r * w_r); outputs loss and grad.in<k>.
ir::Module loss_module(const OpSample& s, std::vector<std::string>* wrt) {
  ir::Module m;
  m.name = "gradcheck";
  ir::Function& f = m.add_func("f");
  ir::Builder b(f);
  std::vector<ir::ValueId> in;
  for (size_t i = 0; i < s.operands.size(); ++i) in.push_back(b.input("in" + std::to_string(i), s.operands[i].type));
  std::vector<ir::ValueId> out = b.emit(s.op, in, s.attrs);
  ir::ValueId loss = -1;
  for (size_t r = 0; r < out.size(); ++r) {
    ir::Type t = f.type(out[r]);
    if (!ir::is_float(t.dtype)) continue;
    ir::ValueId w = b.input("w" + std::to_string(r), t);
    ir::ValueId term = b.mul(out[r], w);
    if (t.shape.rank() > 0) {
      std::vector<int64_t> axes;
      for (int a = 0; a < t.shape.rank(); ++a) axes.push_back(a);
      term = b.reduce_sum(term, axes);
    }
    loss = loss < 0 ? term : b.add(loss, term);
  }
  std::vector<ir::ValueId> grad_args{loss};
  for (size_t i = 0; i < s.operands.size(); ++i)
    if (s.operands[i].differentiable && ir::is_float(s.operands[i].type.dtype)) {
      grad_args.push_back(in[i]);
      wrt->push_back("in" + std::to_string(i));
    }
  std::vector<ir::ValueId> grads = b.emit(ir::Op::Grad, grad_args);
  b.output("loss", loss);
  for (size_t k = 0; k < grads.size(); ++k) b.output("grad." + (*wrt)[k], grads[k]);
  return m;
}

TEST(GradCheck, EveryDifferentiableOpHasSamples) {
  for (const ir::OpInfo& info : ir::all_ops())
    if (differentiable(info)) {
      EXPECT_FALSE(samples_for(info.op).empty()) << info.name << " has no gradient check";
    }
}

class OpGradCheck : public ::testing::TestWithParam<OpSample> {};

TEST_P(OpGradCheck, MatchesCentralDifferences) {
  const OpSample& s = GetParam();
  std::vector<std::string> wrt;
  ir::Module m = loss_module(s, &wrt);
  passes::expand_grads(m.funcs[0]);
  ir::Module wide = passes::widen_to_f64(m);
  ir::verify(wide);

  std::vector<Buffer> inputs;
  for (Buffer& b : sample_inputs(s, 7)) inputs.push_back(convert(b, ir::is_float(b.type().dtype) ? ir::DType::F64 : b.type().dtype));
  std::mt19937 rng(11);
  std::normal_distribution<double> normal(0, 1);
  const ir::Function& f = wide.funcs[0];
  for (size_t i = inputs.size(); i < f.nodes_of(ir::Op::Input).size(); ++i) {  // the weights w_r
    Buffer w(f.type(f.nodes_of(ir::Op::Input)[i]->result()));
    for (double& v : w.span<double>()) v = normal(rng);
    inputs.push_back(std::move(w));
  }
  GradCheckResult r = check_input_gradients(wide, "f", inputs, wrt);
  EXPECT_GT(r.checked, 0u);
  EXPECT_LT(r.max_error, 1e-5) << r.worst;
}

// Samples of differentiable ops with a float operand to perturb and a float result.
std::vector<OpSample> differentiable_samples() {
  std::vector<OpSample> out;
  for (const OpSample& s : all_samples()) {
    if (!differentiable(ir::op_info(s.op))) continue;
    bool float_in = false, float_out = false;
    for (const OperandSpec& o : s.operands) float_in = float_in || (o.differentiable && ir::is_float(o.type.dtype));
    ir::Module m = sample_module(s);
    for (const ir::Node* n : m.funcs[0].nodes_of(ir::Op::Output))
      float_out = float_out || ir::is_float(m.funcs[0].type(n->operands[0]).dtype);
    if (float_in && float_out) out.push_back(s);
  }
  return out;
}

std::string sample_name(const ::testing::TestParamInfo<OpSample>& info) {
  std::string n = info.param.label;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n + "_" + std::to_string(info.index);
}

INSTANTIATE_TEST_SUITE_P(EveryOp, OpGradCheck, ::testing::ValuesIn(differentiable_samples()), sample_name);

}  // namespace
}  // namespace minigrad::testing
