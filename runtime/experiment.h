// One training run described as data: which model (and its parameters), which
// data and preprocessing, which optimiser and loss, how many epochs. minigradc
// train, eval and sweep fill a RunConfig from their flags or a sweep file and call
// these functions; a C++ program can do the same.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "frontend/model.h"
#include "runtime/model_loader.h"
#include "runtime/preprocess.h"
#include "runtime/program.h"
#include "runtime/trainer.h"

namespace minigrad::runtime {

struct RunConfig {
  // Defaults are the seed's best run: Adam 1e-3, weight decay 1e-3, label
  // smoothing 0.3, batch 64, 100 epochs, standard scaling.
  std::string model = "seed_mlp";
  std::vector<std::pair<std::string, std::string>> set;  // model parameters, name=value
  std::string data_dir;
  int epochs = 100;
  int64_t batch = 64;
  std::string optimizer = "adam";  // adam | adamw | sgd
  double lr = 1e-3;
  double weight_decay = 1e-3;
  double momentum = 0;             // sgd only
  std::string loss = "cross_entropy";  // cross_entropy | mse
  double label_smoothing = 0.3;
  Scale scale = Scale::Standard;
  int pca = 0;
  int num_classes = 0;  // classes of the model (--num-classes); 0: the largest training label + 1
  uint64_t seed = 0;
  bool shuffle = true;
  bool drop_last = false;
  std::string backend = "jit";  // jit (LLVM, for this CPU) or interp (the reference)
  int threads = 1;              // intra-step threads of the jit backend
  int64_t max_memory = 0;       // bytes a model may need (runtime/memory_need.h); 0: the machine's memory (not a setting of the run)
  bool flush_denormals = false;  // subnormals as zero in the steps (backend/fp_env.h), as torch.set_flush_denormal
  std::string jit_cache;        // the JIT's object cache: "" default, "off", or a directory (not a setting of the run)
  std::string gemm = "auto";    // the JIT's GEMM lowering: auto (its cost model), tiled or blocked (same bits; for comparison)
  bool profile = false;         // jit: count the time at each call site of the steps (runtime/profile.h; not a setting)
  passes::PipelineOptions pipeline;  // disabled passes, IR printing, timing (passes/pipeline.h)
  int64_t eval_batch = 1000;
  int eval_every = 1;
  // Data-parallel training over every rank of the run (runtime/distributed; set by
  // `train` under mpirun with more than one rank; not a setting of the run: any
  // number of ranks trains the same model), and whether batch norm normalises over
  // the global batch there (--sync-batchnorm, the default) or each rank's rows.
  bool data_parallel = false;
  bool sync_batchnorm = true;
  // A batch of fewer rows (the last of an epoch, evaluation's last) runs the full
  // batch's masked step (docs/ir.md, "Partial batches"; --no-mask-rows: its own).
  bool mask_rows = true;
};

struct PreparedData {
  Dataset data;
  FittedPreprocessing preprocessing;
};

// Loads config.data_dir and fits and applies the preprocessing. The classes are
// num_classes if > 0 (a checkpoint's model: `source` says so), else
// config.num_classes if > 0 (--num-classes), else those of the training labels; see
// load_data_dir.
PreparedData prepare_data(const RunConfig& config, int64_t num_classes = 0,
                          const std::string& source = "as the checkpoint's model has");

// The optimiser and loss that the config names; Error for an unknown name.
std::shared_ptr<optim::Optimizer> make_optimizer(const RunConfig& config);
std::shared_ptr<nn::Loss> make_loss(const RunConfig& config);

// Builds the model named by config.model for data of the given shape; the model
// file's own loss, if it defines one, wins over config.loss. Unknown --set names
// are an Error listing the model's parameters.
ModelParts build_model(const RunConfig& config, const ModelSource& src, int64_t in_features, int64_t num_classes);

// For a model file (not an example compiled in): builds and traces it once in a
// child process, so that a fault in its code is an Error naming the file and the
// signal (runtime/model_probe.h). make_program calls it.
void probe_model(const RunConfig& config, const ModelSource& src, int64_t in_features, int64_t num_classes,
                 int64_t batch);

// A Program for the config and data, its state initialised from config.seed.
std::unique_ptr<Program> make_program(const RunConfig& config, const Dataset& data);
// The same for a data shape without data (first_batch: the specialisation traced first).
std::unique_ptr<Program> make_program(const RunConfig& config, int64_t in_features, int64_t num_classes,
                                      int64_t first_batch);

TrainOptions train_options(const RunConfig& config);

}  // namespace minigrad::runtime
