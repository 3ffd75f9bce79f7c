// Embedding minigrad: a model defined in this program (the seed's architecture),
// trained for one epoch on a data directory and evaluated, through the runtime API
// of the installed package (README.md "Embedding").
//   consumer DATA_DIR [BACKEND]   prints "test accuracy 0.xxxx" (exit 1 with the message on an Error)
// BACKEND defaults to CONSUMER_BACKEND: "jit", or "interp" where the program links
// minigrad::runtime_core (no LLVM).
#define MINIGRAD_BUILTIN_NAME "embedded_mlp"  // registers the model below under this name
#include "frontend/dsl.h"

#include <cstdio>
#include <exception>

#include "runtime/metrics.h"
#include "runtime/session.h"

#ifndef CONSUMER_BACKEND
#define CONSUMER_BACKEND "jit"
#endif

using namespace minigrad;

MINIGRAD_MODEL(args) {
  int64_t width = args.get_int("width", 192);
  return nn::Sequential{nn::Linear(args.in_features, width), nn::BatchNorm1d(width), nn::LeakyReLU(0.01),
                        nn::Linear(width, args.num_classes)};
}

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: consumer DATA_DIR [BACKEND]\n");
    return 2;
  }
  try {
    runtime::RunConfig config;  // the seed's settings: Adam, batch 64, standard scaling
    config.model = "embedded_mlp";
    config.set = {{"width", "64"}};
    config.data_dir = argv[1];
    config.epochs = 1;
    config.seed = 1;
    config.backend = argc == 3 ? argv[2] : CONSUMER_BACKEND;
    runtime::Session session = runtime::start_session(config);  // data, preprocessing, traced and compiled model
    runtime::train_session(session);
    runtime::RunSummary summary = runtime::summarize(session.history);
    std::printf("trained %s on %s: %d epoch, %lld steps, test accuracy %.4f\n", config.model.c_str(),
                config.backend.c_str(), summary.epochs,
                static_cast<long long>(session.history.back().steps), summary.test_accuracy);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
}
