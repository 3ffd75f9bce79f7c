// Text form of the IR. One node a line, every value named %N in order of
// definition, every result typed, attributes that differ from their defaults in
// braces, and the DSL lines in loc(...). The parser (ir/parser.h) reads it back:
// print(parse(print(m))) == print(m).
//
//   module @seed_mlp {
//     state "0.weight": f32[128,192] param uniform(-0.088,0.088) torch_transposed
//     func @eval {
//       %0: f32[64,128] = input {name="x"}
//       %1: f32[128,192] = load_state {name="0.weight"}  loc("seed_mlp.cpp":12:5)
//       %2: f32[64,192] = matmul(%0, %1)  loc("seed_mlp.cpp":12:5)
//       output(%2) {name="logits"}
//     }
//   }
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace minigrad::ir {

struct PrintOptions {
  bool locs = true;  // print loc(...) on each node
};

std::string print(const Module& m, const PrintOptions& opts = {});
std::string print(const Function& f, const PrintOptions& opts = {});

// The number the printer shows for each value id (-1: not defined by any node).
std::vector<int> number_values(const Function& f);
// One node as the printer shows it, without indentation or newline.
std::string print_node(const Function& f, const Node& n, const std::vector<int>& numbers,
                       const PrintOptions& opts = {});
std::string print_state(const StateDecl& s);

}  // namespace minigrad::ir
