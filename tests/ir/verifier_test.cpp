// The verifier reports every problem with the function, the node as printed and
// its source location.
#include <gtest/gtest.h>

#include "ir/builder.h"
#include "ir/error.h"
#include "ir/parser.h"
#include "ir/verifier.h"

namespace minigrad::ir {
namespace {

std::string verify_error(const Module& m) {
  try {
    verify(m);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Verifier, StateMustBeDeclaredWithItsType) {
  std::string e;
  try {
    parse_module("module @m {\n  state \"w\": f32[2] param zeros\n  func @f {\n"
                 "    %0: f32[3] = load_state {name=\"w\"}  loc(\"model.cpp\":7:3)\n"
                 "    %1: f32[3] = load_state {name=\"v\"}\n  }\n}\n",
                 "s.mgir");
  } catch (const Error& err) {
    e = err.what();
  }
  EXPECT_NE(e.find("@f: `%0: f32[3] = load_state {name=\"w\"}` at model.cpp:7:3: state \"w\" is declared f32[2], used as f32[3]"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("state \"v\" is not declared"), std::string::npos) << e;
}

TEST(Verifier, DuplicateNamesAndStores) {
  std::string e;
  try {
    parse_module("module @m {\n  state \"w\": f32[2] param zeros\n  func @f {\n"
                 "    %0: f32[2] = input {name=\"x\"}\n    %1: f32[2] = input {name=\"x\"}\n"
                 "    store_state(%0) {name=\"w\"}\n    store_state(%1) {name=\"w\"}\n"
                 "    output(%0) {name=\"y\"}\n    output(%1) {name=\"y\"}\n  }\n}\n");
  } catch (const Error& err) {
    e = err.what();
  }
  EXPECT_NE(e.find("input name is used twice"), std::string::npos) << e;
  EXPECT_NE(e.find("state is stored twice in one function"), std::string::npos) << e;
  EXPECT_NE(e.find("output name is used twice"), std::string::npos) << e;
}

TEST(Verifier, UseBeforeDefinitionAfterAnEdit) {
  Module m;
  m.name = std::string("m");
  Function& f = m.add_func("f");
  Builder b(f);
  b.set_locs({{"edit.cpp", 3, 1}});
  ValueId x = b.input("x", Type{DType::F32, Shape{2}});
  ValueId y = b.neg(x);
  b.output("y", y);
  // Move the neg before its operand's definition: dominance is broken.
  f.replace_all_uses(x, y, 1);
  std::string e = verify_error(m);
  EXPECT_NE(e.find("operand %1 is used before it is defined"), std::string::npos) << e;
  EXPECT_NE(e.find("edit.cpp:3:1"), std::string::npos) << e;
}

TEST(Verifier, WrongResultTypeIsReported) {
  Module m;
  m.name = std::string("m");
  Function& f = m.add_func("f");
  Builder b(f);
  ValueId x = b.input("x", Type{DType::F32, Shape{2, 3}});
  ValueId z = b.input("z", Type{DType::F32, Shape{4, 3}});
  ValueId t = b.emit1(Op::Transpose, {x});
  b.output("t", t);
  f.node(2).operands = {z};  // an edit that leaves the stored result type stale
  std::string e = verify_error(m);
  EXPECT_NE(e.find("result 0 is f32[3,2], expected f32[3,4]"), std::string::npos) << e;
}

TEST(Verifier, FusedBodyIsChecked) {
  std::string e;
  try {
    parse_module("module @m {\n  func @f {\n    %0: f32[2] = input {name=\"x\"}\n"
                 "    %1: f32[2] = fused(%0) {kind=\"elementwise\"} body {\n"
                 "      %0: f32[3] = input {name=\"0\"}\n      output(%0) {name=\"0\"}\n    }\n"
                 "    output(%1) {name=\"y\"}\n  }\n}\n",
                 "fb.mgir");
  } catch (const Error& err) {
    e = err.what();
  }
  EXPECT_NE(e.find("fb.mgir:4:18"), std::string::npos) << e;
  EXPECT_NE(e.find("fused body input 0 is f32[3], the operand is f32[2]"), std::string::npos) << e;
}

}  // namespace
}  // namespace minigrad::ir
