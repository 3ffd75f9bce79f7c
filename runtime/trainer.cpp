// The training loop and evaluation; see trainer.h.
#include "runtime/trainer.h"

#include <chrono>
#include <cmath>

#include "ir/error.h"
#include "runtime/distributed/world.h"
#include "runtime/divergence.h"

namespace minigrad::runtime {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Reusable batch buffers, one pair per batch size.
struct BatchBuffers {
  std::map<int64_t, std::pair<Buffer, Buffer>> by_size;
  std::pair<Buffer, Buffer>& get(int64_t rows, int64_t features) {
    auto it = by_size.find(rows);
    if (it != by_size.end()) return it->second;
    return by_size
        .emplace(rows, std::make_pair(Buffer(ir::Type{ir::DType::F32, {rows, features}}),
                                      Buffer(ir::Type{ir::DType::I32, {rows}})))
        .first->second;
  }
};

// The batch sizes of a pass over `rows` rows in batches of `batch`: the full size
// and, unless dropped, the last partial batch's.
std::vector<int64_t> pass_batch_sizes(int64_t rows, int64_t batch, bool drop_last) {
  std::vector<int64_t> sizes;
  if (rows >= batch) sizes.push_back(batch);
  if (rows % batch != 0 && !drop_last) sizes.push_back(rows % batch);
  return sizes;
}

// Compiles every specialisation the run will use before its first epoch (the last
// partial batch's train_step, the evaluation batches' eval), so that the seconds
// reported for each epoch are training and evaluation, never compilation.
void compile_ahead(Program& program, const Dataset& data, const TrainOptions& o) {
  for (int64_t b : pass_batch_sizes(data.train.rows(), o.batching.batch_size, o.batching.drop_last))
    program.compile(b, true, false);
  Shard mine = eval_shard(program, data.test.rows());
  if (mine.rows > 0)
    for (int64_t b : pass_batch_sizes(mine.rows, o.eval_batch, false)) program.compile(b, false, true);
}

}  // namespace

// A data-parallel program evaluates its rank's contiguous block of the split;
// one process evaluates it all.
Shard eval_shard(const Program& program, int64_t rows) {
  const ProgramOptions& o = program.options();
  return o.ranks > 1 ? shard_of(rows, o.rank, o.ranks) : Shard{rows, 0};
}

// Rows are evaluated in order, so each batch is a contiguous block of the split:
// its rows and labels are passed where they are, without copying. A
// data-parallel program evaluates its block (eval_shard) and the loss sums and
// counts are added over the ranks in rank order (runtime/distributed).
EvalResult evaluate(Program& program, const Split& split, int64_t batch, Buffer* logits) {
  int64_t n = split.rows(), f = split.features();
  int64_t classes = program.options().num_classes;
  if (n == 0) fail("cannot evaluate an empty split");
  if (split.x.type().dtype != ir::DType::F32 || static_cast<int64_t>(split.y.size()) != n)
    fail("evaluate: a split must be f32 [N,F] with N labels, got {} and {} labels", ir::to_string(split.x.type()),
         split.y.size());
  if (logits) *logits = Buffer(ir::Type{ir::DType::F32, {n, classes}});
  bool split_over_ranks = program.options().ranks > 1 && !logits;  // the same on every rank
  Shard mine = split_over_ranks ? eval_shard(program, n) : Shard{n, 0};
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t start = mine.offset; start < mine.offset + mine.rows; start += batch) {
    int64_t rows = std::min(batch, mine.offset + mine.rows - start);
    TensorView x{ir::Type{ir::DType::F32, {rows, f}}, const_cast<float*>(split.x.as<float>() + start * f)};
    TensorView y{ir::Type{ir::DType::I32, {rows}}, const_cast<int32_t*>(split.y.data() + start)};
    TensorView out;
    if (logits) out = TensorView{ir::Type{ir::DType::F32, {rows, classes}}, logits->as<float>() + start * classes};
    Program::Result r = program.eval_step(x, y, logits ? &out : nullptr);
    loss_sum += r.loss * static_cast<double>(rows);
    correct += r.correct;
  }
  if (split_over_ranks) {  // counts below 2^53 add exactly in doubles
    std::vector<double> sums = sum_over_ranks({loss_sum, static_cast<double>(correct)});
    loss_sum = sums[0], correct = static_cast<int64_t>(sums[1]);
  }
  return {loss_sum / static_cast<double>(n), static_cast<double>(correct) / static_cast<double>(n), n};
}

namespace {

// Where a step is, for messages: "step 37 (epoch 1, batch 37)"; steps count from 1
// over the whole run.
std::string step_name(int epoch, int64_t batch, int64_t per_epoch) {
  return fmt::format("step {} (epoch {}, batch {})", (epoch - 1) * per_epoch + batch, epoch, batch);
}

// Replays epoch `epoch` from `start` (the state at its beginning) with the same
// executables and batches, bit for bit, up to batch `last` at most, and reports the
// first step whose loss or resulting state is not finite (runtime/divergence.h).
[[noreturn]] void replay_epoch(Program& program, const Split& tr, const TrainOptions& o, int epoch,
                               const StateStore& start, int64_t last, BatchBuffers& buffers) {
  copy_state(start, program.state());
  EpochBatches batches(tr.rows(), o.batching, static_cast<uint64_t>(epoch - 1));
  StateStore before;
  std::span<const int64_t> idx;
  for (int64_t b = 1; batches.next(&idx); ++b) {
    auto& [bx, by] = buffers.get(static_cast<int64_t>(idx.size()), tr.features());
    gather(tr.x, tr.y, idx, bx, by);
    copy_state(program.state(), before);
    Program::Result r = program.train_step(bx, by);
    if (b == last || !std::isfinite(r.loss) || !all_finite(program.state()))
      report_divergence(program, before, bx, by, step_name(epoch, b, batches.count()));
  }
  fail("epoch {}: its state was not finite at the end, but a replay of its {} steps found no step that made it so",
       epoch, batches.count());
}

}  // namespace

std::vector<EpochStats> train(Program& program, const Dataset& data, const TrainOptions& options,
                              const EpochCallback& on_epoch) {
  const Split& tr = data.train;
  if (options.start_epoch < options.epochs) compile_ahead(program, data, options);
  BatchBuffers buffers;
  std::vector<EpochStats> history;
  StateStore epoch_start, before;  // the state when the epoch began; before this step (check_numerics)
  for (int epoch = options.start_epoch + 1; epoch <= options.epochs; ++epoch) {
    EpochStats st;
    st.epoch = epoch;
    copy_state(program.state(), epoch_start);
    auto t0 = Clock::now();
    EpochBatches batches(tr.rows(), options.batching, static_cast<uint64_t>(epoch - 1));
    double loss_sum = 0;
    int64_t correct = 0, seen = 0;
    std::span<const int64_t> idx;
    while (batches.next(&idx)) {
      int64_t rows = static_cast<int64_t>(idx.size());
      auto& [bx, by] = buffers.get(rows, tr.features());
      gather(tr.x, tr.y, idx, bx, by);
      if (options.check_numerics) copy_state(program.state(), before);
      prefetch_rows(tr.x, batches.upcoming());
      Program::Result r = program.train_step(bx, by);
      ++st.steps;
      if (options.check_numerics && !(std::isfinite(r.loss) && all_finite(program.state())))
        report_divergence(program, before, bx, by, step_name(epoch, st.steps, batches.count()));
      if (!std::isfinite(r.loss)) replay_epoch(program, tr, options, epoch, epoch_start, st.steps, buffers);
      loss_sum += r.loss * static_cast<double>(rows);
      correct += r.correct;
      seen += rows;
      if (options.on_step) options.on_step(st.steps, batches.count());
    }
    st.train_seconds = seconds_since(t0);
    if (!all_finite(program.state())) replay_epoch(program, tr, options, epoch, epoch_start, st.steps, buffers);
    if (seen > 0) st.train_loss = loss_sum / static_cast<double>(seen), st.train_accuracy = static_cast<double>(correct) / static_cast<double>(seen);
    if (epoch % options.eval_every == 0 || epoch == options.epochs) {
      auto t1 = Clock::now();
      EvalResult test = evaluate(program, data.test, options.eval_batch);
      st.test_loss = test.loss, st.test_accuracy = test.accuracy, st.evaluated = true;
      st.eval_seconds = seconds_since(t1);
    }
    history.push_back(st);
    if (on_epoch) on_epoch(st);
  }
  return history;
}

}  // namespace minigrad::runtime
