// The interpreter as an Executable: inputs and outputs in the order of their nodes,
// state read on entry and written on return, and the errors of compile() and of
// kernels on bad input (missing state, grad nodes, labels out of range, integer
// division by zero, casts that do not fit), each naming the op and its place.
#include <gtest/gtest.h>

#include "ir/error.h"
#include "tests/backend/interp_helpers.h"

namespace minigrad::testing {
namespace {

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "\"" << text << "\" lacks \"" << part << "\"";
}

// The message of the Error that f throws; a failure if it throws none.
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no Error was thrown";
  return "";
}

const char* kCounter = R"(module @m {
  state "s": f32[2] buffer zeros
  func @f {
    %s: f32[2] = load_state {name="s"}
    %one: f32[2] = constant {value=1.0}
    %next: f32[2] = add(%s, %one)
    store_state(%next) {name="s"}
    output(%s) {name="loaded"}
    %again: f32[2] = load_state {name="s"}
    output(%again) {name="loaded_after_store"}
  }
})";

TEST(InterpExecutable, LoadsSeeStateOnEntryAndStoresApplyOnReturn) {
  ir::Module m = ir::parse_module(kCounter);
  StateStore state(m);
  state.get("s").as<float>()[0] = 5;
  state.get("s").as<float>()[1] = 7;
  std::unique_ptr<Executable> exe = make_interp_backend()->compile(m, "f", state);
  Buffer loaded(ir::Type{ir::DType::F32, {2}}), after_store = loaded;
  TensorView out[] = {loaded.view(), after_store.view()};
  exe->run_checked({}, out);
  EXPECT_EQ(values<float>(loaded), (std::vector<float>{5, 7}));
  EXPECT_EQ(values<float>(after_store), (std::vector<float>{5, 7}));  // the store waits for the return
  EXPECT_EQ(values<float>(state.get("s")), (std::vector<float>{6, 8}));
  exe->run_checked({}, out);
  EXPECT_EQ(values<float>(loaded), (std::vector<float>{6, 8}));
  EXPECT_EQ(values<float>(state.get("s")), (std::vector<float>{7, 9}));
}

TEST(InterpExecutable, InputsAndOutputsFollowTheOrderOfTheirNodes) {
  const char* text = R"(module @m {
  func @f {
    %a: i32[3] = input {name="a"}
    %b: i32[3] = input {name="b"}
    %d: i32[3] = sub(%a, %b)
    output(%d) {name="difference"}
    %c: i32[3] = constant {value=-2.7}
    output(%c) {name="constant"}
  }
})";
  std::vector<Buffer> out = run_text(text, {i32({3}, {10, 20, 30}), i32({3}, {1, 2, 3})});
  EXPECT_EQ(values<int32_t>(out[0]), (std::vector<int32_t>{9, 18, 27}));
  EXPECT_EQ(values<int32_t>(out[1]), (std::vector<int32_t>{-2, -2, -2}));  // truncated toward zero
}

TEST(InterpExecutable, CompileRefusesStateMissingFromTheStore) {
  ir::Module m = ir::parse_module(kCounter);
  StateStore empty;
  std::string msg = error_of([&] { make_interp_backend()->compile(m, "f", empty); });
  expect_contains(msg, "load_state");
  expect_contains(msg, "state 's' is not in the state store");
}

TEST(InterpExecutable, CompileRefusesStateOfAnotherType) {
  ir::Module m = ir::parse_module(kCounter);
  ir::Module other = m;
  other.states[0].type = ir::Type{ir::DType::F64, {2}};
  StateStore store(other);
  std::string msg = error_of([&] { make_interp_backend()->compile(m, "f", store); });
  expect_contains(msg, "f64[2] in the state store, the function uses f32[2]");
}

TEST(InterpExecutable, CompileRefusesGradNodes) {
  const char* text = R"(module @m {
  state "w": f32[3] param zeros
  func @f {
    %w: f32[3] = load_state {name="w"}
    %l: f32[] = reduce_sum(%w) {axes=[0]}
    %g: f32[3] = grad(%l, %w)  loc("model.cpp":12:5)
    output(%g) {name="g"}
  }
})";
  ir::Module m = ir::parse_module(text);
  StateStore state(m);
  std::string msg = error_of([&] { make_interp_backend()->compile(m, "f", state); });
  expect_contains(msg, "grad must be expanded by the autodiff pass first");
  expect_contains(msg, "model.cpp:12:5");
}

TEST(InterpExecutable, CompileRefusesAMissingFunction) {
  ir::Module m = ir::parse_module(kCounter);
  StateStore state(m);
  expect_contains(error_of([&] { make_interp_backend()->compile(m, "train_step", state); }),
                  "no function @train_step");
}

// Each op that reads labels, on a batch whose second label (7) is out of range.
TEST(InterpExecutable, LabelOutOfRangeIsAnErrorNamingOpPlaceRowAndValue) {
  for (std::string op : {"softmax_xent", "nll", "correct"}) {
    std::string result = op == "correct" ? "i32[]" : "f32[]";
    std::string text = R"(module @m {
  func @f {
    %x: f32[2,3] = input {name="x"}
    %y: i32[2] = input {name="y"}
    %l: )" + result + " = " + op + R"((%x, %y)  loc("model.cpp":3:9)
    output(%l) {name="l"}
  }
})";
    std::string msg = error_of([&] { run_text(text, {f32({2, 3}, {}), i32({2}, {1, 7})}); });
    expect_contains(msg, op + " at model.cpp:3:9");
    expect_contains(msg, "label 7 in row 1 is outside [0, 3)");
  }
  const char* one_hot = R"(module @m {
  func @f {
    %y: i32[2] = input {name="y"}
    %h: f32[2,3] = one_hot(%y) {classes=3}
    output(%h) {name="h"}
  }
})";
  expect_contains(error_of([&] { run_text(one_hot, {i32({2}, {-1, 0})}); }), "label -1 in row 0");
}

TEST(InterpExecutable, IntegerDivisionByZeroIsAnError) {
  const char* text = R"(module @m {
  func @f {
    %a: i32[2] = input {name="a"}
    %b: i32[2] = input {name="b"}
    %q: i32[2] = div(%a, %b)  loc("model.cpp":4:1)
    output(%q) {name="q"}
  }
})";
  EXPECT_EQ(values<int32_t>(run_text(text, {i32({2}, {7, -7}), i32({2}, {2, 2})})[0]), (std::vector<int32_t>{3, -3}));
  expect_contains(error_of([&] { run_text(text, {i32({2}, {7, 1}), i32({2}, {2, 0})}); }),
                  "div at model.cpp:4:1: integer division of 1 by zero");
}

TEST(InterpExecutable, CastToI32TruncatesAndRefusesWhatDoesNotFit) {
  const char* text = R"(module @m {
  func @f {
    %x: f32[3] = input {name="x"}
    %y: i32[3] = cast(%x) {dtype="i32"}
    output(%y) {name="y"}
  }
})";
  EXPECT_EQ(values<int32_t>(run_text(text, {f32({3}, {2.9f, -2.9f, 0.5f})})[0]), (std::vector<int32_t>{2, -2, 0}));
  expect_contains(error_of([&] { run_text(text, {f32({3}, {1, 3e9f, 0})}); }), "does not fit in i32");
  expect_contains(error_of([&] { run_text(text, {f32({3}, {NAN, 0, 0})}); }), "nan does not fit in i32");
}

TEST(InterpExecutable, IntegerArithmeticWrapsAround) {
  const char* text = R"(module @m {
  func @f {
    %a: i32[2] = input {name="a"}
    %s: i32[2] = add(%a, %a)
    %n: i32[2] = neg(%a)
    output(%s) {name="s"}
    output(%n) {name="n"}
  }
})";
  std::vector<Buffer> out = run_text(text, {i32({2}, {INT32_MAX, INT32_MIN})});
  EXPECT_EQ(values<int32_t>(out[0]), (std::vector<int32_t>{-2, 0}));
  EXPECT_EQ(values<int32_t>(out[1]), (std::vector<int32_t>{INT32_MIN + 1, INT32_MIN}));
}

}  // namespace
}  // namespace minigrad::testing
