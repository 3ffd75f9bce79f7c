// Building a run from its description; see experiment.h.
#include "runtime/experiment.h"

#include "frontend/loss.h"
#include "frontend/optim.h"
#include "frontend/tracer.h"
#include "ir/error.h"
#include "runtime/distributed/world.h"
#include "runtime/model_probe.h"

namespace minigrad::runtime {

PreparedData prepare_data(const RunConfig& config, int64_t num_classes, const std::string& source) {
  if (config.data_dir.empty()) fail("no data directory given (--data DIR)");
  std::string from = source;
  if (num_classes <= 0 && config.num_classes > 0) {
    num_classes = config.num_classes;
    from = kClassesFromFlag;
  }
  PreparedData p{load_data_dir(config.data_dir, num_classes, from), {}};
  p.preprocessing = preprocess(p.data, Preprocessing{config.scale, config.pca});
  return p;
}

// The loss and optimiser come from the run's settings: their nodes are located at
// the flag that chose them.
std::shared_ptr<optim::Optimizer> make_optimizer(const RunConfig& c) {
  Here at = Here::setting("<flag --optimizer " + c.optimizer + ">");
  if (c.optimizer == "adam") return std::make_shared<optim::Adam>(c.lr, c.weight_decay, 0.9, 0.999, 1e-8, at);
  if (c.optimizer == "adamw") return std::make_shared<optim::AdamW>(c.lr, c.weight_decay, 0.9, 0.999, 1e-8, at);
  if (c.optimizer == "sgd") return std::make_shared<optim::SGD>(c.lr, c.weight_decay, c.momentum, at);
  fail("unknown optimizer '{}' (adam, adamw, sgd)", c.optimizer);
}

std::shared_ptr<nn::Loss> make_loss(const RunConfig& c) {
  Here at = Here::setting("<flag --loss " + c.loss + ">");
  if (c.loss == "cross_entropy") return std::make_shared<nn::CrossEntropyLoss>(c.label_smoothing, true, at);
  if (c.loss == "mse") return std::make_shared<nn::MSELoss>(at);
  fail("unknown loss '{}' (cross_entropy, mse)", c.loss);
}

ModelParts build_model(const RunConfig& config, const ModelSource& src, int64_t in_features, int64_t num_classes) {
  ModelArgs args;
  args.in_features = in_features;
  args.num_classes = num_classes;
  for (const auto& [name, value] : config.set) args.set(name, value);
  nn::Model model = [&] {
    ModelCodeScope scope(src.file);
    try {
      return src.build(args);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {  // the model file's own C++ threw (std::vector::at, ...)
      fail("model file {} failed while building the model: {}", src.file, e.what());
    }
  }();
  std::vector<std::string> unused = args.unused();
  if (!unused.empty()) {
    std::string known;
    for (const auto& [name, def] : args.declared()) known += (known.empty() ? "" : ", ") + name + "=" + def;
    fail("model {} has no parameter '{}' (its parameters: {})", src.file, unused[0], known.empty() ? "none" : known);
  }
  return {model.net, model.loss ? model.loss : make_loss(config), make_optimizer(config)};
}

void probe_model(const RunConfig& config, const ModelSource& src, int64_t in_features, int64_t num_classes,
                 int64_t batch) {
  if (builtin_models().count(config.model)) return;  // compiled into minigradc: not a model file
  run_contained(src.file, [&](const std::function<void(const char*)>& phase) {
    phase("building the model");
    ModelParts parts = build_model(config, src, in_features, num_classes);
    phase("tracing the model");
    trace(*parts.net, *parts.loss, *parts.optimizer, TraceSpec{src.name, batch, in_features, num_classes, false});
  });
}

std::unique_ptr<Program> make_program(const RunConfig& config, const Dataset& data) {
  return make_program(config, data.train.features(), data.num_classes, std::min<int64_t>(config.batch, data.train.rows()));
}

std::unique_ptr<Program> make_program(const RunConfig& config, int64_t in_features, int64_t num_classes,
                                      int64_t first_batch) {
  ModelSource src = load_model(config.model);
  ProgramOptions opts;
  opts.name = src.name;
  opts.in_features = in_features;
  opts.num_classes = num_classes;
  opts.batch = first_batch;
  opts.backend = config.backend;
  opts.threads = config.threads;
  opts.jit_cache = config.jit_cache;
  opts.gemm = config.gemm;
  opts.profile = config.profile;
  opts.flush_denormals = config.flush_denormals;
  opts.pipeline = config.pipeline;
  opts.max_memory = config.max_memory;
  if (config.data_parallel) {
    opts.rank = world_rank();
    opts.ranks = world_ranks();
  }
  opts.sync_batchnorm = config.sync_batchnorm;
  opts.masked_rows = config.mask_rows;
  probe_model(config, src, opts.in_features, opts.num_classes, opts.batch);
  auto program = std::make_unique<Program>(build_model(config, src, opts.in_features, opts.num_classes), opts);
  program->init_state(config.seed);
  return program;
}

TrainOptions train_options(const RunConfig& c) {
  if (c.epochs < 1) fail("epochs must be >= 1, got {}", c.epochs);
  if (c.batch < 1) fail("batch size must be >= 1, got {}", c.batch);
  if (c.eval_every < 1) fail("eval-every must be >= 1, got {}", c.eval_every);
  TrainOptions t;
  t.epochs = c.epochs;
  t.batching = BatchOptions{c.batch, c.shuffle, c.drop_last, c.seed};
  t.eval_batch = c.eval_batch;
  t.eval_every = c.eval_every;
  return t;
}

}  // namespace minigrad::runtime
