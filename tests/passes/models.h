// Traced modules of the example models for the pass tests: the seed model and the
// seed's architecture variants (examples/mlp.cpp), with the seed's loss and
// optimiser unless a test asks for others.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "frontend/dsl.h"
#include "frontend/tracer.h"

namespace minigrad::testing {

using Settings = std::vector<std::pair<std::string, std::string>>;

struct ModelCase {
  std::string label;
  std::string example;  // "seed_mlp" or "mlp"
  Settings set;
  bool unfused_loss = false;    // log_softmax + nll instead of softmax_xent
  std::string optimizer = "adam";  // adam | adamw | sgd
};

// GoogleTest prints a case by its label.
inline void PrintTo(const ModelCase& c, std::ostream* os) { *os << c.label; }

// Traces the case for one batch size and data shape.
inline ir::Module trace_case(const ModelCase& c, int64_t batch, int64_t features, int64_t classes,
                             bool output_grads = false) {
  ModelArgs args;
  args.in_features = features, args.num_classes = classes;
  for (const auto& [k, v] : c.set) args.set(k, v);
  nn::Model model = builtin_models().at(c.example).build(args);
  nn::CrossEntropyLoss loss(0.3, /*fused=*/!c.unfused_loss);
  std::unique_ptr<optim::Optimizer> opt;
  if (c.optimizer == "sgd") opt = std::make_unique<optim::SGD>(0.05, 1e-3, 0.9);
  else if (c.optimizer == "adamw") opt = std::make_unique<optim::AdamW>(1e-3, 1e-2);
  else opt = std::make_unique<optim::Adam>(1e-3, 1e-3);
  return trace(*model.net, loss, *opt, TraceSpec{c.example, batch, features, classes, output_grads});
}

// The seed model and the variants the pass tests run over: depth 1-3, activations
// none/relu/leaky_relu/sigmoid, dropout, batch norm on and off, the unfused loss
// (which fuse-softmax-xent rewrites), and the other optimisers.
//
// The unfused-loss cases avoid one combination on purpose: Adam on a Linear whose
// bias feeds batch norm. That bias's gradient is exactly zero in real arithmetic
// (batch norm removes the mean), so its computed gradient is rounding noise
// (~1e-9), which Adam divides by its own magnitude into steps of size lr; a
// rewrite that rounds differently (log_softmax + nll -> softmax_xent) then moves
// that bias by ~1e-3 instead of ~1e-9. With SGD, or without batch norm, the
// noise stays noise.
inline std::vector<ModelCase> model_cases() {
  return {
      {"seed_mlp", "seed_mlp", {{"width", "12"}}},
      {"seed_mlp unfused loss sgd", "seed_mlp", {{"width", "12"}}, true, "sgd"},
      {"depth1 relu", "mlp", {{"depth", "1"}, {"width", "12"}, {"activation", "relu"}}},
      {"depth2 leaky_relu dropout", "mlp", {{"depth", "2"}, {"width", "12"}, {"activation", "leaky_relu"}, {"dropout", "0.3"}}},
      {"depth3 sigmoid no-bn", "mlp", {{"depth", "3"}, {"width", "10"}, {"activation", "sigmoid"}, {"batchnorm", "false"}}},
      {"depth2 none no-bn", "mlp", {{"depth", "2"}, {"width", "10"}, {"activation", "none"}, {"batchnorm", "false"}}},
      {"depth2 relu no-bn dropout sgd", "mlp",
       {{"depth", "2"}, {"width", "10"}, {"activation", "relu"}, {"batchnorm", "false"}, {"dropout", "0.3"}}, false, "sgd"},
      {"depth3 leaky_relu no-bn adamw unfused", "mlp",
       {{"depth", "3"}, {"width", "8"}, {"activation", "leaky_relu"}, {"batchnorm", "false"}}, true, "adamw"},
      {"depth1 relu no-bn adam unfused", "mlp",
       {{"depth", "1"}, {"width", "12"}, {"activation", "relu"}, {"batchnorm", "false"}}, true},
  };
}

}  // namespace minigrad::testing
