// Graphviz DOT export of a module, for people to read: one cluster per function,
// one box per node with its op (and name or value), result types and the DSL lines
// that made it (file:line; the tracer's own nodes have none, a node made by a flag
// says "from --loss cross_entropy"), an arrow per use. A fused node is one record
// headed by its kind and listing its body's ops in order (with collapse_fused, only
// how many). Each class of node has one fill colour, explained by a legend; an
// arrow from a node with several results is labelled with the result it carries.
// Labels are HTML-like, so line breaks are <br/> and nothing shows a literal "\n".
// `dot -Tsvg` draws it (minigradc dump-ir --format svg|png runs it).
#pragma once

#include <string>
#include <string_view>

#include "ir/graph.h"

namespace minigrad::ir {

// What a node does, as the pictures colour it (the DOT graph and the memory plan
// chart). Decided by the op's traits and, for fused nodes, the kind.
enum class NodeClass {
  Source,       // input, load_state, constant
  Gemm,         // matmul
  Elementwise,  // one loop over elements
  Reduction,    // reduce_sum, reduce_mean, reduce_max
  Layout,       // reshape, transpose, broadcast, slice, pad
  Other,        // batch norm, row-wise softmax, losses, argmax, grad
  FusedElementwise,
  FusedMatmul,
  FusedBnAct,
  FusedBnActGrad,
  FusedLossGrad,
  Output,      // output
  StateWrite,  // store_state
};
inline constexpr int kNumNodeClasses = static_cast<int>(NodeClass::StateWrite) + 1;

NodeClass node_class(const Node& n);
std::string_view class_label(NodeClass c);   // the legend's words
std::string_view class_colour(NodeClass c);  // fill colour, "#rrggbb"

// Where a node's DSL lines are, in words: "seed_mlp.cpp:12, 13", "from --loss
// cross_entropy", or "" for the tracer's own nodes (inputs, outputs).
std::string describe_locs(const Locs& locs);

struct DotOptions {
  bool collapse_fused = false;  // a fused node shows its kind and op count, not its ops
  bool legend = true;
};

std::string to_dot(const Module& m, const DotOptions& options = {});

}  // namespace minigrad::ir
