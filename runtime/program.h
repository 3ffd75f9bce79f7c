// Program: a model ready to run. It holds the network, loss and optimiser, traces
// them for each batch size on first use (a batch size is part of a compiled
// function, so the last partial batch gets its own specialisation, cached), runs
// the pass pipeline, compiles with the chosen backend (each function when it is
// first run, except for the first batch size), and owns the one StateStore
// that every specialisation reads and updates.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "backend/backend.h"
#include "frontend/loss.h"
#include "frontend/module.h"
#include "frontend/optim.h"
#include "passes/pipeline.h"

namespace minigrad::runtime {

struct ModelParts {
  nn::AnyModule net;
  std::shared_ptr<nn::Loss> loss;
  std::shared_ptr<optim::Optimizer> optimizer;
};

struct ProgramOptions {
  std::string name = "model";
  int64_t in_features = 0;
  int64_t num_classes = 0;
  int64_t batch = 64;            // the specialisation traced first
  std::string backend = "interp";
  int threads = 1;               // intra-step threads (jit)
  bool flush_denormals = false;  // steps treat subnormals as zero (backend/fp_env.h)
  std::string jit_cache;         // the JIT's object cache: "" = default (backend/llvm/object_cache.h), "off", or a directory
  std::string gemm = "auto";     // the JIT's GEMM lowering: auto, tiled or blocked (backend/llvm/gemm/plan.h)
  bool profile = false;          // jit: compile the steps with a counter per call site (runtime/profile.h)
  passes::PipelineOptions pipeline;
  int64_t max_memory = 0;        // bytes the model may need before anything is allocated; 0: the machine's memory
  // Data-parallel training (runtime/distributed): this process is rank `rank` of
  // `ranks`. Each train_step is given the whole global batch and trains on its
  // shard (shard_of), its gradients summed over the ranks inside the step.
  int rank = 0, ranks = 1;
  bool sync_batchnorm = true;    // batch norm over the global batch (frontend/layers.h)
  // Partial batches (docs/ir.md): one process traces masked steps, and a batch of
  // at most `batch` rows runs the specialisation for `batch` with n_rows = its rows
  // (copied into the specialisation's own buffers), so the last partial batch of an
  // epoch compiles nothing more. Off, or with ranks > 1: one specialisation per size.
  bool masked_rows = true;
  // Where warnings about a traced model go (one line each, without a prefix);
  // unset: "minigrad: warning: <line>" on stderr.
  std::function<void(const std::string&)> warn;
};

// The backend `o.backend` names: "jit" (LLVM, for the host CPU, with o.threads
// intra-step threads, the object cache o.jit_cache and, with o.profile, counters
// per call site) or "interp" (the reference interpreter, which has no counters: an
// Error with o.profile), each flushing subnormals if o.flush_denormals; an Error
// lists the names otherwise.
// The interpreter is part of the runtime (minigrad_runtime_core); the JIT is a
// choice made at link time: minigrad_runtime adds minigrad_runtime_jit, whose
// runtime/jit_choice.cpp registers "jit" (and so links LLVM). A program linked
// with minigrad_runtime_core alone has no LLVM, and "jit" is an Error saying so.
std::unique_ptr<Backend> make_backend(const ProgramOptions& o);

// A backend made by a library linked in, by name; register_backend is called by a
// static BackendRegistrar before main. Registering a name twice is an Error.
using BackendFactory = std::unique_ptr<Backend> (*)(const ProgramOptions&);
void register_backend(const std::string& name, BackendFactory make);
struct BackendRegistrar {
  BackendRegistrar(const char* name, BackendFactory make) { register_backend(name, make); }
};

// Rank `rank`'s rows of a global batch of `global` rows split over `ranks`:
// contiguous blocks in rank order, the first global % ranks ranks one row more.
struct Shard {
  int64_t rows = 0, offset = 0;
};
Shard shard_of(int64_t global, int rank, int ranks);

class Program {
 public:
  Program(ModelParts parts, ProgramOptions options);

  struct Result {
    double loss = 0;
    int64_t correct = 0;
  };
  // x: f32 [B, F], y: i32 [B]; any B >= 1. Once B's specialisation exists, a
  // step allocates no memory. In a data-parallel program x and y are the global
  // batch: the step reads rows shard_of(B, rank, ranks) of them, where they are,
  // and B must be at least the number of ranks.
  Result train_step(const TensorView& x, const TensorView& y);
  Result train_step(const Buffer& x, const Buffer& y);
  // Evaluation mode; writes the logits [B, C] if `logits` is given.
  Result eval_step(const TensorView& x, const TensorView& y, const TensorView* logits = nullptr);
  Result eval_step(const Buffer& x, const Buffer& y, const TensorView* logits = nullptr);

  // Compiles batch size B's train_step (train) and/or eval now rather than when
  // first run, so that a timed epoch never includes a compile. Batch sizes are
  // global batches for train_step, and the rows of one call for eval (which a
  // data-parallel program never shards).
  void compile(int64_t batch, bool train, bool eval);

  // Fills every state from its declaration and `seed` (runtime/init_state.h).
  void init_state(uint64_t seed);
  StateStore& state() { return state_; }
  const ProgramOptions& options() const { return options_; }
  // The module for batch size `batch`: as traced, or after the pipeline.
  ir::Module traced(int64_t batch);
  const ir::Module& compiled_module(int64_t batch);
  // The batch sizes compiled so far.
  std::vector<int64_t> batch_sizes() const;
  // Batch size B's compiled train_step (null if not compiled yet) and the steps it
  // has run (for profiles: runtime/profile.h).
  const Executable* train_executable(int64_t batch) const;
  int64_t train_steps(int64_t batch) const;

 private:
  struct Specialisation {
    ir::Module module;
    std::unique_ptr<Executable> train, eval;
    std::vector<std::string> train_warnings;  // about the traced train_step, shown when it is compiled
    std::vector<std::string> one_row_warnings;  // masked: shown if it runs a batch of one row
    int64_t train_runs = 0;
    Buffer loss, correct, logits;  // outputs, allocated once: a step allocates nothing
    // The views passed to the executables, made once; a step sets their data (and
    // copies a type into one of the same rank, which reuses its storage).
    std::vector<TensorView> train_in, train_out, eval_in, eval_out;
    // Masked: the row count input, and the batch a call of fewer rows is copied into.
    Buffer n_rows, padded_x, padded_y;
  };
  // A specialisation is traced for `rows` rows of a global batch of `global` rows:
  // (B, B) for one process and for eval, (shard rows, B) for a data-parallel train_step.
  using Key = std::pair<int64_t, int64_t>;
  Key train_key(int64_t batch) const;
  Key eval_key(int64_t batch) const;
  bool masked() const { return options_.masked_rows && options_.ranks == 1; }
  // Points inputs `in` at batch (x, y) of `rows` rows, through the padded buffers
  // when the specialisation has more rows, and sets n_rows.
  void bind_rows(Specialisation& s, std::vector<TensorView>& in, const ir::Type& xt, void* x, const ir::Type& yt,
                 void* y, const char* what);
  void warn_one_row(Specialisation& s, int64_t rows);
  Specialisation& get(Key key);
  Executable& train_exe(Specialisation& s);
  Executable& eval_exe(Specialisation& s);
  Result train(const ir::Type& xt, void* x, const ir::Type& yt, void* y);
  Result eval(const ir::Type& xt, void* x, const ir::Type& yt, void* y, const TensorView* logits);

  ModelParts parts_;
  ProgramOptions options_;
  std::unique_ptr<Backend> backend_;
  StateStore state_;
  std::map<Key, Specialisation> cache_;
  bool warned_one_row_ = false;
};

}  // namespace minigrad::runtime
