// Parser errors name the file, line and column and say what was expected.
#include <gtest/gtest.h>

#include "ir/error.h"
#include "ir/parser.h"

namespace minigrad::ir {
namespace {

// The message of the Error that parsing `text` throws ("" if it parses).
std::string parse_error(const std::string& text) {
  try {
    parse_module(text, "t.mgir");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string func(const std::string& body) { return "module @m {\n  func @f {\n" + body + "  }\n}\n"; }

TEST(Parser, UnknownOpNamesItWithLineAndColumn) {
  std::string e = parse_error(func("    %0: f32[2] = input {name=\"x\"}\n    %1: f32[2] = frobnicate(%0)\n"));
  EXPECT_NE(e.find("t.mgir:4:18: unknown op 'frobnicate'"), std::string::npos) << e;
}

TEST(Parser, UseBeforeDefinition) {
  std::string e = parse_error(func("    %1: f32[2] = neg(%0)\n"));
  EXPECT_NE(e.find("t.mgir:3:22: %0 is not defined before this use"), std::string::npos) << e;
}

TEST(Parser, DeclaredTypeMustMatchTheTypeRule) {
  std::string e = parse_error(func("    %0: f32[2,3] = input {name=\"x\"}\n    %1: f32[3,3] = transpose(%0)\n"));
  EXPECT_NE(e.find("t.mgir:4:5: %1 is declared f32[3,3], but transpose gives f32[3,2]"), std::string::npos) << e;
}

TEST(Parser, ShapeErrorsComeFromTheTypeRule) {
  std::string e = parse_error(func(
      "    %0: f32[2,3] = input {name=\"a\"}\n    %1: f32[4,5] = input {name=\"b\"}\n"
      "    %2: f32[2,5] = matmul(%0, %1)\n"));
  EXPECT_NE(e.find("t.mgir:5:20"), std::string::npos) << e;
  EXPECT_NE(e.find("inner extents differ: f32[2,3] x f32[4,5]"), std::string::npos) << e;
}

// A shape's bytes are computed with checked multiplication (ir/checked.h): 10^11 x
// 10^11 floats is an error at the type, not a negative size in the memory planner.
TEST(Parser, AShapeWhoseBytesOverflowIsAnError) {
  std::string e = parse_error(func("    %0: f32[100000000000,100000000000] = input {name=\"x\"}\n"));
  EXPECT_NE(e.find("t.mgir:3:12: f32[100000000000,100000000000] is too large: its bytes would not fit a 64-bit size"),
            std::string::npos) << e;
  EXPECT_NE(parse_error(func("    %0: f64[1073741824,1073741824] = input {name=\"x\"}\n")), "") << "2^63 bytes do not fit";
  EXPECT_EQ(parse_error(func("    %0: f64[1073741824,1073741823] = input {name=\"x\"}\n    output(%0) {name=\"y\"}\n")), "");
}

TEST(Parser, AttributeErrors) {
  std::string base = "    %0: f32[2] = input {name=\"x\"}\n";
  EXPECT_NE(parse_error(func(base + "    %1: f32[2] = leaky_relu(%0) {slop=0.1}\n")).find("leaky_relu has no attribute 'slop'"),
            std::string::npos);
  EXPECT_NE(parse_error(func(base + "    %1: f32[2] = leaky_relu(%0) {slope=-1.0}\n"))
                .find("attribute 'slope' of leaky_relu must be in [0, inf], got -1.0"),
            std::string::npos);
  EXPECT_NE(parse_error(func(base + "    %1: f32[2] = pow(%0)\n")).find("pow needs attribute 'exponent'"),
            std::string::npos);
  EXPECT_NE(parse_error(func(base + "    %1: f32[2] = cmp(%0, %0) {pred=\"bigger\"}\n"))
                .find("must be one of gt|ge|lt|le|eq|ne"),
            std::string::npos);
}

TEST(Parser, LexicalAndStructuralErrors) {
  EXPECT_NE(parse_error("module @m {\n  func @f {\n    %0: f32[2] = input {name=\"x}\n").find("t.mgir:3:30: unterminated string"),
            std::string::npos);
  EXPECT_NE(parse_error("module @m {\n  func @f { $ }\n}").find("t.mgir:2:13: unexpected character '$'"), std::string::npos);
  EXPECT_NE(parse_error("module m {}").find("t.mgir:1:8: expected a module name like @model"), std::string::npos);
  EXPECT_NE(parse_error(func("    %0: q32[2] = input {name=\"x\"}\n")).find("unknown element type 'q32'"), std::string::npos);
  EXPECT_NE(parse_error(func("    %0: f32[0] = input {name=\"x\"}\n")).find("extents must be >= 1"), std::string::npos);
  EXPECT_NE(parse_error(func("    %0: f32[2] = input {name=\"x\"}\n    %0: f32[2] = neg(%0)\n")).find("%0 is defined twice"),
            std::string::npos);
}

TEST(Parser, StateDeclarationsAreChecked) {
  std::string e = parse_error("module @m {\n  state \"w\": f32[2] param gaussian(0,1)\n}\n");
  EXPECT_NE(e.find("t.mgir:2:27: unknown initialiser 'gaussian'"), std::string::npos) << e;
  e = parse_error("module @m {\n  state \"w\": f32[2] weights zeros\n}\n");
  EXPECT_NE(e.find("unknown state role 'weights'"), std::string::npos) << e;
}

TEST(Parser, MissingFileIsNamed) {
  try {
    parse_module_file("/nonexistent/x.mgir");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.mgir: cannot open IR file"), std::string::npos);
  }
}

}  // namespace
}  // namespace minigrad::ir
