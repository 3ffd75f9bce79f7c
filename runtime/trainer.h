// The training loop: epochs of shuffled mini-batches through a Program's
// train_step, then evaluation of both splits in evaluation mode (running
// statistics, no dropout). Each epoch reports the train loss and accuracy measured
// during the epoch (the mean over its batches, weighted by batch size, as the seed
// reported them), the test loss and accuracy, and the seconds spent training.
#pragma once

#include <functional>
#include <vector>

#include "runtime/batching.h"
#include "runtime/dataset.h"
#include "runtime/program.h"

namespace minigrad::runtime {

struct EvalResult {
  double loss = 0;      // mean over rows
  double accuracy = 0;  // fraction of rows classified correctly
  int64_t rows = 0;
};

// Evaluation mode over a whole split, in batches of `batch` rows (the last may be
// smaller). If `logits` is given it receives f32 [N, C]. A data-parallel program
// (ProgramOptions::ranks > 1) evaluates its rank's block of rows (eval_shard) and
// sums the results over the ranks, unless logits are asked for (then every rank
// evaluates the whole split).
EvalResult evaluate(Program& program, const Split& split, int64_t batch, Buffer* logits = nullptr);
Shard eval_shard(const Program& program, int64_t rows);

// Called after each training step with the steps done and the steps of this epoch.
using StepCallback = std::function<void(int64_t done, int64_t total)>;

struct TrainOptions {
  int epochs = 100;      // the last epoch to train (1-based)
  int start_epoch = 0;   // epochs already trained (a resumed run): training starts at start_epoch + 1
  BatchOptions batching;
  int64_t eval_batch = 1000;
  int eval_every = 1;  // evaluate the test split every N epochs (and after the last)
  StepCallback on_step;  // optional: progress within an epoch
  // A step whose loss, or state after it, is not finite stops training with an
  // Error naming the first op that made a NaN or an infinity (runtime/divergence.h).
  // check_numerics: copy the state before and check it after every step (slower;
  // the failing step is then the first whose state is not finite, even if its loss is).
  bool check_numerics = false;
};

struct EpochStats {
  int epoch = 0;  // 1-based
  double train_loss = 0, train_accuracy = 0;
  double test_loss = 0, test_accuracy = 0;
  bool evaluated = false;  // test figures are valid
  double train_seconds = 0, eval_seconds = 0;
  int64_t steps = 0;
};

using EpochCallback = std::function<void(const EpochStats&)>;

std::vector<EpochStats> train(Program& program, const Dataset& data, const TrainOptions& options,
                              const EpochCallback& on_epoch = {});

}  // namespace minigrad::runtime
