// A training run with its checkpoints, from settings to results: what `minigradc
// train` does and what each configuration of a sweep does. A session starts from
// scratch, from a checkpoint's model (init: new run, the checkpoint's weights and
// preprocessing) or from a checkpoint's whole run (resume: weights, running
// statistics, optimiser state, step counter, seed and epoch, so that training on
// gives the same result, bit for bit, as if the run had never stopped).
//
// A session that starts from a checkpoint with stored preprocessing applies it to
// the data instead of fitting a new one: the model's weights expect exactly those
// inputs. Its class count is the checkpoint's, and data with more classes is refused.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "runtime/checkpoint.h"
#include "runtime/experiment.h"

namespace minigrad::runtime {

struct StartFrom {
  std::filesystem::path init;    // load this checkpoint's model states
  std::filesystem::path resume;  // load this checkpoint's model and training states
};

struct Session {
  RunConfig config;
  PreparedData data;
  std::unique_ptr<Program> program;
  std::vector<EpochStats> history;  // every epoch trained, those before a resume included

  int epochs_done() const { return history.empty() ? 0 : history.back().epoch; }
};

// Loads and preprocesses the data, builds the program and loads the checkpoint.
// `prepared`: data already loaded and preprocessed for config's settings (a sweep
// prepares each data directory, scaling and PCA once for all its runs); used only
// when no checkpoint is given, since a checkpoint brings its own preprocessing.
Session start_session(const RunConfig& config, const StartFrom& from = {},
                      std::shared_ptr<const PreparedData> prepared = nullptr);

// Trains from epochs_done() + 1 to config.epochs (nothing if already there), calling
// on_epoch after each epoch and on_step after each step. Returns the new epochs.
// check_numerics: TrainOptions::check_numerics (a debugging aid, not a setting of the run).
std::vector<EpochStats> train_session(Session& s, const EpochCallback& on_epoch = {}, const StepCallback& on_step = {},
                                      bool check_numerics = false);

// The metadata a checkpoint of this session carries.
CheckpointInfo session_info(const Session& s);

// Saves the model (and the training state, for resuming) of `s` at `ckpt`.
void save_session(const Session& s, const std::filesystem::path& ckpt, bool with_training_state = true);

// Preprocesses `data` with an already fitted preprocessing (a checkpoint's); `what`
// names its origin in messages.
void apply_fitted(Dataset& data, const FittedPreprocessing& fitted, const std::string& what);

}  // namespace minigrad::runtime
