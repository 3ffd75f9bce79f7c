#include <gtest/gtest.h>
#include <cstdio>
#include "frontend/dsl.h"
#include "frontend/tracer.h"
#include "ir/printer.h"
namespace minigrad { namespace {
TEST(Trace, SeedModelPrints) {
  ModelArgs args; args.in_features = 128; args.num_classes = 10;
  nn::Model model = builtin_models().at("seed_mlp").build(args);
  nn::CrossEntropyLoss loss(0.3);
  optim::Adam adam(1e-3, 1e-3);
  ir::Module m = trace(*model.net, loss, adam, {"seed_mlp", 64, 128, 10});
  std::printf("%s", ir::print(m).c_str());
}
}}
