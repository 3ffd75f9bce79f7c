// Every op sample (tests/support/op_samples.h) run through the interpreter and
// compared with the naive reference (naive_reference.h): in f32 as given, in f64
// (the sample with its f32 operands and dtype attributes made f64) and in i32
// (f32 operands made i32) wherever the op's type rule admits that version. f32
// results must agree to 1e-5 relative (with an absolute floor of 1e-6 for results
// near zero), f64 to 1e-12, i32 exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>

#include "ir/error.h"
#include "ir/type_rules.h"
#include "tests/backend/interp_helpers.h"
#include "tests/backend/naive_reference.h"
#include "passes/widen_f64.h"
#include "tests/support/op_samples.h"

namespace minigrad::testing {
namespace {

using ir::DType;

struct Case {
  std::string name;  // for the test's name: "matmul_ta_f64"
  OpSample sample;
  std::vector<Buffer> inputs;
};

// The sample with its f32 operands and its dtype attribute, if "f32" (given or by
// default, as one_hot's), turned into `to`; nullopt if the sample has neither.
std::optional<OpSample> retyped(const OpSample& s, DType to) {
  OpSample out = s;
  bool changed = false;
  for (OperandSpec& o : out.operands)
    if (o.type.dtype == DType::F32) o.type.dtype = to, changed = true;
  ir::Attrs attrs = ir::with_defaults(ir::op_info(s.op), s.attrs);
  if (to != DType::I32)
    if (const auto* d = attrs.find("dtype"); d && std::get<std::string>(*d) == "f32")
      out.attrs.set("dtype", std::string(ir::dtype_name(to))), changed = true;
  if (s.body && to == DType::F64) out.body = std::make_shared<ir::Function>(passes::widen_to_f64(*s.body));
  if (!changed) return std::nullopt;
  return out;
}

bool type_rule_admits(const std::optional<OpSample>& s) {
  if (!s) return false;
  try {
    sample_module(*s);
    return true;
  } catch (const Error&) {
    return false;
  }
}

// i32 operands for an i32 version: the f32 values scaled by 10 and rounded, so that
// they are small, mostly distinct integers (positive ones stay >= 5: no division by
// zero); 0/1 masks, labels and small ints are kept as drawn.
std::vector<Buffer> i32_inputs(const OpSample& f32, uint32_t seed) {
  std::vector<Buffer> in = sample_inputs(f32, seed);
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i].type().dtype != DType::F32) continue;
    Buffer b(ir::Type{DType::I32, in[i].type().shape});
    bool scale = f32.operands[i].gen != Gen::Mask01;
    for (int64_t k = 0; k < b.numel(); ++k)
      b.as<int32_t>()[k] = int32_t(std::lround(in[i].as<float>()[k] * (scale ? 10.0f : 1.0f)));
    in[i] = std::move(b);
  }
  return in;
}

std::string test_name(const OpSample& s, DType d) {
  std::string name = s.label + "_" + std::string(ir::dtype_name(d));
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  uint32_t seed = 1;
  std::map<std::string, int> seen;  // samples with the same label get " #2", " #3"...
  for (OpSample s : all_samples()) {
    ++seed;
    if (int n = ++seen[s.label]; n > 1) s.label += " #" + std::to_string(n);
    cases.push_back({test_name(s, DType::F32), s, sample_inputs(s, seed)});
    std::optional<OpSample> f64 = retyped(s, DType::F64), i32 = retyped(s, DType::I32);
    if (type_rule_admits(f64)) cases.push_back({test_name(s, DType::F64), *f64, sample_inputs(*f64, seed)});
    if (type_rule_admits(i32)) cases.push_back({test_name(s, DType::I32), *i32, i32_inputs(s, seed)});
  }
  return cases;
}

Tensor to_tensor(const Buffer& b) {
  Tensor t{b.type().shape, {}};
  Buffer d = convert(b, DType::F64);
  t.v.assign(d.as<double>(), d.as<double>() + d.numel());
  return t;
}

// Checks `got` against `want` with the tolerance of its dtype.
void expect_close(const Buffer& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.type().shape, want.shape) << what;
  Tensor g = to_tensor(got);
  double rel = got.type().dtype == DType::F32 ? 1e-5 : got.type().dtype == DType::F64 ? 1e-12 : 0;
  double abs = got.type().dtype == DType::F32 ? 1e-6 : got.type().dtype == DType::F64 ? 1e-12 : 0;
  for (size_t i = 0; i < g.v.size(); ++i)
    EXPECT_LE(std::fabs(g.v[i] - want.v[i]), rel * std::fabs(want.v[i]) + abs)
        << what << " element " << i << ": got " << g.v[i] << ", want " << want.v[i];
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class InterpOps : public ::testing::TestWithParam<Case> {};

TEST_P(InterpOps, MatchesNaiveReference) {
  const Case& c = GetParam();
  ir::Module m = sample_module(c.sample);
  StateStore state(m);
  std::vector<Buffer> out = run_interp(m, state, c.inputs);

  const ir::Function& f = *m.find_func("f");
  const ir::Node& node = *f.nodes_of(c.sample.op).at(0);
  std::vector<ir::Type> result_types;
  for (ir::ValueId r : node.results) result_types.push_back(f.type(r));
  std::vector<Tensor> operands;
  for (const Buffer& b : c.inputs) operands.push_back(to_tensor(b));
  std::vector<Tensor> want = naive_reference(node, result_types, operands);

  ASSERT_EQ(want.size(), out.size());
  for (size_t r = 0; r < out.size(); ++r)
    expect_close(out[r], want[r], c.sample.label + " result " + std::to_string(r));
}

INSTANTIATE_TEST_SUITE_P(EverySample, InterpOps, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// Every sample runs in f32, and every sample with an f32 value in f64 too.
TEST(InterpOpsCoverage, EverySampleRunsInF32AndF64) {
  std::vector<Case> cases = all_cases();
  auto has = [&](const OpSample& s, DType d) {
    return std::any_of(cases.begin(), cases.end(), [&](const Case& c) {
      return c.sample.op == s.op && c.name.ends_with(std::string(ir::dtype_name(d)));
    });
  };
  for (const OpSample& s : all_samples()) {
    EXPECT_TRUE(has(s, DType::F32)) << s.label;
    ir::Module m = sample_module(s);
    const ir::Function& f = *m.find_func("f");
    bool has_f32 = false;
    for (ir::ValueId v = 0; v < f.num_values(); ++v) has_f32 |= f.type(v).dtype == DType::F32;
    if (has_f32) {
      EXPECT_TRUE(has(s, DType::F64)) << s.label;
    }
  }
}

}  // namespace
}  // namespace minigrad::testing
