// The DOT export reads as a picture: real line breaks (HTML labels, never an escaped
// "\n"), a fused node headed by its kind with its body's ops in order, a box for
// every node, a legend of the classes drawn, locations as file:line or in words.
#include <gtest/gtest.h>

#include "ir/dot.h"
#include "ir/parser.h"

namespace minigrad::ir {
namespace {

const char* kModule = R"(module @m {
  state "g": f32[3] param ones
  state "b": f32[3] param zeros
  func @f {
    %0: f32[4,3] = input {name="x"}  loc("<trace>":0:0)
    %1: f32[3] = load_state {name="g"}  loc("examples/net.cpp":7:5)
    %2: f32[3] = load_state {name="b"}  loc("examples/net.cpp":7:5)
    %3: f32[4,3], %4: f32[3], %5: f32[3] = batch_norm_train(%0, %1, %2)  loc("examples/net.cpp":7:5)
    %6: f32[3] = fused(%4) {kind="elementwise"}  loc("examples/net.cpp":9:3, "examples/net.cpp":8:3, "examples/net.cpp":9:12) body {
      %0: f32[3] = input {name="0"}
      %1: f32[3] = neg(%0)  loc("examples/net.cpp":9:3)
      %2: f32[3] = exp(%1)  loc("examples/net.cpp":8:3)
      output(%2) {name="0"}
    }
    output(%3) {name="y"}  loc("<trace>":0:0)
    store_state(%6) {name="g"}  loc("<flag --optimizer sgd>":0:0)
  }
}
)";

TEST(Dot, LabelsBreakLinesWithoutEscapedNewlines) {
  std::string dot = to_dot(parse_module(kModule, "m.mgir"));
  EXPECT_EQ(dot.find("\\n"), std::string::npos) << dot;
  EXPECT_NE(dot.find("<b>load_state g</b><br/>f32[3]<br/>"), std::string::npos) << dot;
}

TEST(Dot, EveryNodeIsDrawnAndEveryUseIsAnArrow) {
  std::string dot = to_dot(parse_module(kModule, "m.mgir"));
  for (int i = 0; i < 7; ++i) EXPECT_NE(dot.find("f0n" + std::to_string(i) + " [shape="), std::string::npos) << i;
  EXPECT_EQ(dot.find("f0n7 [shape="), std::string::npos);
  EXPECT_NE(dot.find("f0n0 -> f0n3;"), std::string::npos) << dot;
  // batch_norm_train has three results: the arrow says which one it carries.
  EXPECT_NE(dot.find("f0n3 -> f0n4 [label=\"#1 f32[3]\"]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("f0n3 -> f0n5 [label=\"#0 f32[4,3]\"]"), std::string::npos) << dot;
}

TEST(Dot, FusedNodeNamesItsKindAndListsItsOpsInOrder) {
  Module m = parse_module(kModule, "m.mgir");
  std::string dot = to_dot(m);
  EXPECT_NE(dot.find("<b>fused elementwise</b><br/><i>one loop</i><br/>neg, exp<br/>f32[3]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("net.cpp:9, 8</font>"), std::string::npos) << dot;
  std::string collapsed = to_dot(m, {.collapse_fused = true});
  EXPECT_NE(collapsed.find("<b>fused elementwise</b><br/><i>one loop</i><br/>2 ops<br/>"), std::string::npos);
}

TEST(Dot, LegendHasTheClassesDrawnAndTheirColours) {
  std::string dot = to_dot(parse_module(kModule, "m.mgir"));
  std::string legend = dot.substr(dot.find("legend ["));
  for (NodeClass c : {NodeClass::Source, NodeClass::Other, NodeClass::FusedElementwise, NodeClass::Output,
                      NodeClass::StateWrite})
    EXPECT_NE(legend.find(std::string(class_colour(c)) + "\" align=\"left\">"), std::string::npos) << class_label(c);
  EXPECT_EQ(legend.find(class_colour(NodeClass::Gemm)), std::string::npos);
  EXPECT_EQ(to_dot(parse_module(kModule, "m.mgir"), {.legend = false}).find("legend"), std::string::npos);
}

TEST(Dot, LocationsAreFileAndLineOrWords) {
  EXPECT_EQ(describe_locs({{"examples/net.cpp", 12, 5}, {"examples/net.cpp", 13, 3}, {"examples/net.cpp", 12, 9}}),
            "net.cpp:12, 13");
  EXPECT_EQ(describe_locs({{"<flag --loss mse>", 0, 0}}), "from --loss mse");
  EXPECT_EQ(describe_locs({{"a.cpp", 3, 1}, {"<flag --optimizer adam>", 0, 0}}), "a.cpp:3; from --optimizer adam");
  EXPECT_EQ(describe_locs({{"<trace>", 0, 0}}), "");
  EXPECT_EQ(describe_locs({}), "");
}

}  // namespace
}  // namespace minigrad::ir
