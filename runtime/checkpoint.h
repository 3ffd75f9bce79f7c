// Checkpoints: a trained model in a safetensors file that PyTorch reads as it is,
// plus what minigrad needs to use it again.
//
// A checkpoint CKPT is one file (and, for resuming, a second one beside it):
//   CKPT                the model: its parameters and buffers under PyTorch's
//                       state_dict names and layouts (Linear weights [out, in],
//                       BatchNorm's num_batches_tracked as I64), and nothing else,
//                       so torch's load_state_dict(strict=True) accepts it. Its
//                       "__metadata__" holds, as JSON strings, the run's settings
//                       ("minigrad.config", runtime/run_config_json.h), the data
//                       shape the model was built for ("minigrad.shape"), the fitted
//                       preprocessing ("minigrad.preprocessing": PCA mean and
//                       components, scaler offsets and divisors, as exact decimal
//                       numbers) and the epochs trained with their figures
//                       ("minigrad.progress"), plus "format": "pt".
//   CKPT's training state  (training_state_path: "model.safetensors" ->
//                       "model.train.safetensors") every other state of the run,
//                       as minigrad stores it: optimiser moments ("optim.<param>.
//                       exp_avg", ...), the step counter "step" and the dropout seed
//                       "seed". Its metadata names the model file's content hash, so
//                       a training state never pairs with another model file.
//   Saving over a checkpoint replaces the pair in steps that each leave a model
//   file with its own training state on disk, so that a run killed at any moment
//   (SIGKILL included) can always be resumed from the last model file written: the
//   training state that matches the model file moves aside to
//   "model.train-previous.safetensors", the new training state is written, then the
//   new model file, then the old training state is removed. Resuming reads the
//   training state, or the previous one if only that matches the model file.
// Shuffling is a function of (seed, epoch) and dropout of (seed, step), so these
// two files and the config are everything a resumed run needs to continue exactly
// as if it had not stopped.
//
// Loading is strict, like PyTorch's: every tensor the model needs must be present
// with its shape, and no other; each mismatch is an Error naming the file, the
// tensor and the expected dtype and shape. A file PyTorch wrote (no minigrad
// metadata; F32 or F64 floats, I64 or I32 integers) loads the same way.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "ir/graph.h"
#include "runtime/preprocess.h"
#include "runtime/trainer.h"

namespace minigrad::runtime {

// What a checkpoint's metadata says; all of it is absent in a file PyTorch wrote.
struct CheckpointInfo {
  std::optional<nlohmann::json> config;  // run_config_json.h
  std::optional<FittedPreprocessing> preprocessing;
  int64_t in_features = 0, num_classes = 0;  // 0: unknown
  int epoch = 0;                             // epochs trained
  std::vector<EpochStats> history;           // their figures
};

// A state belongs to the model (and so to PyTorch's state_dict) unless it is
// optimiser state or drawn from the run's seed.
bool is_model_state(const ir::StateDecl& s);

std::filesystem::path training_state_path(const std::filesystem::path& ckpt);
// Where a save keeps the training state it replaces until the new model file is written.
std::filesystem::path previous_training_state_path(const std::filesystem::path& ckpt);

// Writes the model file (and the training state beside it if `with_training_state`),
// each atomically; the training state first, the one it replaces kept aside until
// the model file is written (see the top of this file).
void save_checkpoint(const std::filesystem::path& ckpt, const ir::Module& m, const StateStore& state,
                     const CheckpointInfo& info, bool with_training_state);

// The metadata of a checkpoint (the file is checked whole; Error if damaged).
CheckpointInfo read_checkpoint_info(const std::filesystem::path& ckpt);

// Loads the model states of `m` from the model file into `state` (strict).
void load_model_state(const std::filesystem::path& ckpt, const ir::Module& m, StateStore& state);

// Loads every other state from the training state beside `ckpt` (strict); Error if
// it is missing or belongs to another model file.
void load_training_state(const std::filesystem::path& ckpt, const ir::Module& m, StateStore& state);

// The metadata formats, exposed for tests and for the metrics writer.
nlohmann::json preprocessing_to_json(const FittedPreprocessing& p);
FittedPreprocessing preprocessing_from_json(const nlohmann::json& j, const std::string& where);
nlohmann::json history_to_json(const std::vector<EpochStats>& history);
std::vector<EpochStats> history_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace minigrad::runtime
