// Program: a model ready to run. It holds the network, loss and optimiser, traces
// them for each batch size on first use (a batch size is part of a compiled
// function, so the last partial batch gets its own specialisation, cached), runs
// the pass pipeline, compiles with the chosen backend, and owns the one StateStore
// that every specialisation reads and updates.
#pragma once

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
  passes::PipelineOptions pipeline;
};

// "interp" (and, once it exists, "jit"); an Error lists the names otherwise.
std::unique_ptr<Backend> make_backend(const std::string& name);

class Program {
 public:
  Program(ModelParts parts, ProgramOptions options);

  struct Result {
    double loss = 0;
    int64_t correct = 0;
  };
  // x: f32 [B, F], y: i32 [B]; any B >= 1.
  Result train_step(const TensorView& x, const TensorView& y);
  // Evaluation mode; writes the logits [B, C] if `logits` is given.
  Result eval_step(const TensorView& x, const TensorView& y, const TensorView* logits = nullptr);

  // Fills every state from its declaration and `seed` (runtime/init_state.h).
  void init_state(uint64_t seed);
  StateStore& state() { return state_; }
  const ProgramOptions& options() const { return options_; }
  // The module for batch size `batch`: as traced, or after the pipeline.
  ir::Module traced(int64_t batch);
  const ir::Module& compiled_module(int64_t batch) { return get(batch).module; }
  // The batch sizes compiled so far.
  std::vector<int64_t> batch_sizes() const;

 private:
  struct Specialisation {
    ir::Module module;
    std::unique_ptr<Executable> train, eval;
    Buffer loss, correct, logits;  // outputs, allocated once: a step allocates nothing
  };
  Specialisation& get(int64_t batch);

  ModelParts parts_;
  ProgramOptions options_;
  std::unique_ptr<Backend> backend_;
  StateStore state_;
  std::map<int64_t, Specialisation> cache_;
};

}  // namespace minigrad::runtime
