// Helpers for the backends' tests: buffers from literal values, running a
// function of a module written in the IR's text form.
#pragma once

#include <string>
#include <vector>

#include "backend/backend.h"
#include "ir/parser.h"

namespace minigrad::testing {

template <typename T>
Buffer buffer(ir::DType d, ir::Shape s, std::vector<T> values) {
  Buffer b(ir::Type{d, std::move(s)});
  for (size_t i = 0; i < values.size() && int64_t(i) < b.numel(); ++i) b.as<T>()[i] = values[i];
  return b;
}
inline Buffer f32(ir::Shape s, std::vector<float> v) { return buffer(ir::DType::F32, std::move(s), std::move(v)); }
inline Buffer i32(ir::Shape s, std::vector<int32_t> v) { return buffer(ir::DType::I32, std::move(s), std::move(v)); }

template <typename T>
std::vector<T> values(const Buffer& b) {
  return std::vector<T>(b.as<T>(), b.as<T>() + b.numel());
}

// Compiles `func` of `m` with the interpreter against `state`, runs it once on
// `inputs` and returns its outputs.
inline std::vector<Buffer> run_interp(const ir::Module& m, StateStore& state, const std::vector<Buffer>& inputs,
                                      const std::string& func = "f") {
  std::unique_ptr<Executable> exe = make_interp_backend()->compile(m, func, state);
  std::vector<TensorView> in;
  for (const Buffer& b : inputs) in.push_back(b.view());
  std::vector<Buffer> out;
  for (const auto& [name, type] : exe->signature().outputs) out.emplace_back(type);
  std::vector<TensorView> out_views;
  for (Buffer& b : out) out_views.push_back(b.view());
  exe->run_checked(in, out_views);
  return out;
}

// A function that loads state "s", stores s + 1 and outputs s twice (before and
// after the store): the executable tests' check that loads see the state as it was
// on entry and stores apply on return.
inline constexpr const char* kCounterModule = R"(module @m {
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

// run_interp on a module given as text, with a fresh state store.
inline std::vector<Buffer> run_text(const std::string& text, const std::vector<Buffer>& inputs) {
  ir::Module m = ir::parse_module(text, "test.mgir");
  StateStore state(m);
  return run_interp(m, state, inputs);
}

}  // namespace minigrad::testing
