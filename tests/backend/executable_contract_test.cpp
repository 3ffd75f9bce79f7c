// What every backend's Executable does, checked on each backend (the reference
// interpreter and the LLVM JIT) by one parameterised suite: state is read as it
// was on entry and written by the end of the run, including values written in
// place into their state buffer and loads used after the store of their state;
// inputs and outputs follow the order of their nodes; compile() refuses missing
// state, state of another type, grad nodes and missing functions; run() refuses
// the wrong number of views; checks on bad data (labels out of range, integer
// division by zero, casts to i32 that do not fit) are Errors naming the op, its
// source line, the row and the value; i32 arithmetic wraps; subnormals are flushed
// to zero when the backend is asked to, and only during its runs.
#include <gtest/gtest.h>

#include <cmath>

#include "ir/error.h"
#include "tests/backend/interp_helpers.h"
#include "tests/backend/jit_helpers.h"

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

class ExecutableContract : public ::testing::TestWithParam<std::string> {
 protected:
  Backend& backend() { return GetParam() == "jit" ? jit_backend() : interp_backend(); }
  // Runs function @f of a module given as text, with a fresh state store.
  std::vector<Buffer> run(const std::string& text, const std::vector<Buffer>& inputs) {
    ir::Module m = ir::parse_module(text, "test.mgir");
    StateStore state(m);
    return run_with(backend(), m, state, inputs);
  }
};

TEST_P(ExecutableContract, LoadsSeeStateOnEntryAndStoresApplyOnReturn) {
  ir::Module m = ir::parse_module(kCounterModule);
  StateStore state(m);
  state.get("s").as<float>()[0] = 5;
  state.get("s").as<float>()[1] = 7;
  std::unique_ptr<Executable> exe = backend().compile(m, "f", state);
  Buffer loaded(ir::Type{ir::DType::F32, {2}}), after_store = loaded;
  TensorView out[] = {loaded.view(), after_store.view()};
  exe->run_checked({}, out);
  EXPECT_EQ(values<float>(loaded), (std::vector<float>{5, 7}));
  EXPECT_EQ(values<float>(after_store), (std::vector<float>{5, 7}));
  EXPECT_EQ(values<float>(state.get("s")), (std::vector<float>{6, 8}));
  exe->run_checked({}, out);
  EXPECT_EQ(values<float>(loaded), (std::vector<float>{6, 8}));
  EXPECT_EQ(values<float>(state.get("s")), (std::vector<float>{7, 9}));
}

// p -= 0.5 g is written in place into p's buffer; a later use of the load of q,
// after q's store, sees q as it was on entry.
TEST_P(ExecutableContract, InPlaceUpdatesAndLateUsesOfALoad) {
  const char* text = R"(module @m {
  state "p": f32[3] param zeros
  state "q": f32[3] param zeros
  func @f {
    %g: f32[3] = input {name="g"}
    %p: f32[3] = load_state {name="p"}
    %q: f32[3] = load_state {name="q"}
    %h: f32[] = constant {value=0.5}
    %step: f32[3] = mul(%g, %h)
    %p2: f32[3] = sub(%p, %step)
    store_state(%p2) {name="p"}
    %q2: f32[3] = add(%q, %p2)
    store_state(%q2) {name="q"}
    %late: f32[3] = mul(%q, %p)
    output(%late) {name="late"}
  }
})";
  ir::Module m = ir::parse_module(text);
  StateStore state(m);
  for (int i = 0; i < 3; ++i) state.get("p").as<float>()[i] = float(i + 1), state.get("q").as<float>()[i] = 10;
  std::vector<Buffer> out = run_with(backend(), m, state, {f32({3}, {2, 4, 6})});
  EXPECT_EQ(values<float>(state.get("p")), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(values<float>(state.get("q")), (std::vector<float>{10, 10, 10}));
  EXPECT_EQ(values<float>(out[0]), (std::vector<float>{10, 20, 30}));  // q and p as on entry
}

TEST_P(ExecutableContract, InputsAndOutputsFollowTheOrderOfTheirNodes) {
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
  std::vector<Buffer> out = run(text, {i32({3}, {10, 20, 30}), i32({3}, {1, 2, 3})});
  EXPECT_EQ(values<int32_t>(out[0]), (std::vector<int32_t>{9, 18, 27}));
  EXPECT_EQ(values<int32_t>(out[1]), (std::vector<int32_t>{-2, -2, -2}));
}

TEST_P(ExecutableContract, CompileRefusesStateMissingFromTheStoreOrOfAnotherType) {
  ir::Module m = ir::parse_module(kCounterModule);
  StateStore empty;
  std::string msg = error_of([&] { backend().compile(m, "f", empty); });
  expect_contains(msg, "load_state");
  expect_contains(msg, "state 's' is not in the state store");
  ir::Module other = m;
  other.states[0].type = ir::Type{ir::DType::F64, {2}};
  StateStore store(other);
  expect_contains(error_of([&] { backend().compile(m, "f", store); }),
                  "f64[2] in the state store, the function uses f32[2]");
}

TEST_P(ExecutableContract, CompileRefusesGradNodesAndMissingFunctions) {
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
  std::string msg = error_of([&] { backend().compile(m, "f", state); });
  expect_contains(msg, "grad must be expanded by the autodiff pass first");
  expect_contains(msg, "model.cpp:12:5");
  expect_contains(error_of([&] { backend().compile(m, "train_step", state); }), "no function @train_step");
}

TEST_P(ExecutableContract, LabelOutOfRangeIsAnErrorNamingOpPlaceRowAndValue) {
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
    std::string msg = error_of([&] { run(text, {f32({2, 3}, {}), i32({2}, {1, 7})}); });
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
  expect_contains(error_of([&] { run(one_hot, {i32({2}, {-1, 0})}); }), "label -1 in row 0");
}

TEST_P(ExecutableContract, IntegerDivisionByZeroIsAnError) {
  const char* text = R"(module @m {
  func @f {
    %a: i32[2] = input {name="a"}
    %b: i32[2] = input {name="b"}
    %q: i32[2] = div(%a, %b)  loc("model.cpp":4:1)
    output(%q) {name="q"}
  }
})";
  EXPECT_EQ(values<int32_t>(run(text, {i32({2}, {7, -7}), i32({2}, {2, 2})})[0]),
            (std::vector<int32_t>{3, -3}));
  EXPECT_EQ(values<int32_t>(run(text, {i32({2}, {INT32_MIN, 9}), i32({2}, {-1, 1})})[0]),
            (std::vector<int32_t>{INT32_MIN, 9}));  // wraps, as int64 narrowed to i32
  expect_contains(error_of([&] { run(text, {i32({2}, {7, 1}), i32({2}, {2, 0})}); }),
                  "div at model.cpp:4:1: integer division of 1 by zero");
}

TEST_P(ExecutableContract, CastToI32TruncatesAndRefusesWhatDoesNotFit) {
  const char* text = R"(module @m {
  func @f {
    %x: f32[3] = input {name="x"}
    %y: i32[3] = cast(%x) {dtype="i32"}
    output(%y) {name="y"}
  }
})";
  EXPECT_EQ(values<int32_t>(run(text, {f32({3}, {2.9f, -2.9f, 0.5f})})[0]), (std::vector<int32_t>{2, -2, 0}));
  expect_contains(error_of([&] { run(text, {f32({3}, {1, 3e9f, 0})}); }), "does not fit in i32");
  expect_contains(error_of([&] { run(text, {f32({3}, {NAN, 0, 0})}); }), "nan does not fit in i32");
}

TEST_P(ExecutableContract, IntegerArithmeticWrapsAround) {
  const char* text = R"(module @m {
  func @f {
    %a: i32[2] = input {name="a"}
    %s: i32[2] = add(%a, %a)
    %n: i32[2] = neg(%a)
    output(%s) {name="s"}
    output(%n) {name="n"}
  }
})";
  std::vector<Buffer> out = run(text, {i32({2}, {INT32_MAX, INT32_MIN})});
  EXPECT_EQ(values<int32_t>(out[0]), (std::vector<int32_t>{-2, 0}));
  EXPECT_EQ(values<int32_t>(out[1]), (std::vector<int32_t>{INT32_MIN + 1, INT32_MIN}));
}

TEST_P(ExecutableContract, RunRefusesTheWrongNumberOfViews) {
  ir::Module m = ir::parse_module(kCounterModule);
  StateStore state(m);
  std::unique_ptr<Executable> exe = backend().compile(m, "f", state);
  Buffer one(ir::Type{ir::DType::F32, {2}});
  TensorView out[] = {one.view()};
  expect_contains(error_of([&] { exe->run({}, out); }), "takes 0 inputs and 2 outputs, got 0 and 1");
}

// Asked to (--flush-denormals), a backend runs with subnormals read and written as
// zero, and only while it runs: 1e-39 (subnormal in f32) times 1 is 0, and 1e-30
// times 1e-10 (a subnormal result) is 0; by default both are computed exactly, and
// the caller's mode is the same after a run as before.
TEST_P(ExecutableContract, FlushesSubnormalsToZeroOnlyWhenAsked) {
  const char* text = R"(module @m {
  func @f {
    %x: f32[2] = input {name="x"}
    %y: f32[2] = input {name="y"}
    %z: f32[2] = mul(%x, %y)
    output(%z) {name="z"}
  }
})";
  ir::Module m = ir::parse_module(text, "test.mgir");
  Buffer x(ir::Type{ir::DType::F32, {2}}), y = x;
  x.as<float>()[0] = 1e-39f, y.as<float>()[0] = 1;
  x.as<float>()[1] = 1e-30f, y.as<float>()[1] = 1e-10f;
  std::unique_ptr<Backend> flushing =
      GetParam() == "jit" ? make_jit_backend({"off", 1, false, true}) : make_interp_backend(true);
  StateStore state(m);
  EXPECT_EQ(values<float>(run_with(*flushing, m, state, {x, y})[0]), (std::vector<float>{0, 0}));
  std::vector<float> exact = values<float>(run_with(backend(), m, state, {x, y})[0]);
  EXPECT_EQ(exact[0], 1e-39f);
  EXPECT_GT(exact[1], 0.0f);
  volatile float tiny = 1e-39f;
  EXPECT_EQ(tiny * 1.0f, 1e-39f) << "the caller's mode changed";
}

INSTANTIATE_TEST_SUITE_P(Backends, ExecutableContract, ::testing::Values("interp", "jit"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace minigrad::testing
