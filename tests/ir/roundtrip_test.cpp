// Round trip of the IR text form: print(parse(print(m))) == print(m), for a module
// that uses every op of the op table.
#include <gtest/gtest.h>

#include "ir/builder.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "tests/support/op_samples.h"

namespace minigrad::ir {
namespace {

TEST(RoundTrip, EveryOpPrintsAndParsesBack) {
  Module m = testing::module_with_every_op();
  verify(m);
  std::string text = print(m);
  Module again = parse_module(text, "roundtrip.mgir");
  EXPECT_EQ(print(again), text);
}

TEST(RoundTrip, EveryOpIsCovered) {
  Module m = testing::module_with_every_op();
  std::vector<bool> seen(all_ops().size(), false);
  for (const Function& f : m.funcs)
    for (size_t i = 0; i < f.size(); ++i) seen[static_cast<size_t>(f.node(i).op)] = true;
  for (const OpInfo& info : all_ops()) EXPECT_TRUE(seen[static_cast<size_t>(info.op)]) << info.name;
}

TEST(RoundTrip, LocationsAndDefaultsSurvive) {
  const char* text = R"(module @m {
  state "w": f32[3,4] param uniform(-0.5,0.5) torch_transposed
  func @f {
    %a: f32[2,3] = input {name="x"}
    %w: f32[3,4] = load_state {name="w"}
    %y: f32[2,4] = matmul(%a, %w)  loc("model.cpp":12:7, "model.cpp":13:1)
    %z: f32[2,4] = leaky_relu(%y) {slope=0.2}
    output(%z) {name="y"}
  }
})";
  Module m = parse_module(text);
  std::string printed = print(m);
  EXPECT_NE(printed.find("loc(\"model.cpp\":12:7, \"model.cpp\":13:1)"), std::string::npos) << printed;
  EXPECT_NE(printed.find("leaky_relu(%2) {slope=0.2}"), std::string::npos) << printed;
  EXPECT_EQ(printed.find("transpose_a"), std::string::npos) << printed;  // default omitted
  EXPECT_EQ(print(parse_module(printed)), printed);
  EXPECT_TRUE(m.find_state("w")->torch_transposed);
}

}  // namespace
}  // namespace minigrad::ir
