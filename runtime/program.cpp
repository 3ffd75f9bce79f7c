// Program: tracing, compiling and running per batch size; see program.h.
#include "runtime/program.h"

#include "frontend/tracer.h"
#include "ir/error.h"
#include "runtime/init_state.h"

namespace minigrad::runtime {

std::unique_ptr<Backend> make_backend(const std::string& name) {
  if (name == "interp") return make_interp_backend();
  fail("unknown backend '{}' (interp)", name);
}

Program::Program(ModelParts parts, ProgramOptions options)
    : parts_(std::move(parts)), options_(std::move(options)), backend_(make_backend(options_.backend)) {
  if (!parts_.loss || !parts_.optimizer) fail("a program needs a loss and an optimiser");
  get(options_.batch);
}

ir::Module Program::traced(int64_t batch) {
  TraceSpec spec{options_.name, batch, options_.in_features, options_.num_classes, false};
  return trace(*parts_.net, *parts_.loss, *parts_.optimizer, spec);
}

Program::Specialisation& Program::get(int64_t batch) {
  auto it = cache_.find(batch);
  if (it != cache_.end()) return it->second;
  Specialisation s;
  s.module = traced(batch);
  passes::PipelineOptions pipeline = options_.pipeline;
  if (!pipeline.dump_dir.empty()) pipeline.dump_dir += "/batch" + std::to_string(batch);  // one per specialisation
  passes::run_pipeline(s.module, pipeline);
  state_.add_missing(s.module);
  s.train = backend_->compile(s.module, "train_step", state_);
  s.eval = backend_->compile(s.module, "eval", state_);
  s.loss = Buffer(ir::Type{ir::DType::F32, {}});
  s.correct = Buffer(ir::Type{ir::DType::I32, {}});
  s.logits = Buffer(ir::Type{ir::DType::F32, {batch, options_.num_classes}});
  return cache_.emplace(batch, std::move(s)).first->second;
}

std::vector<int64_t> Program::batch_sizes() const {
  std::vector<int64_t> sizes;
  for (const auto& [batch, s] : cache_) sizes.push_back(batch);
  return sizes;
}

void Program::init_state(uint64_t seed) { runtime::init_state(get(options_.batch).module, state_, seed); }

Program::Result Program::train_step(const TensorView& x, const TensorView& y) {
  Specialisation& s = get(x.type.shape[0]);
  TensorView in[] = {x, y};
  TensorView out[] = {s.loss.view(), s.correct.view()};
  s.train->run_checked(in, out);
  return {static_cast<double>(s.loss.as<float>()[0]), static_cast<int64_t>(s.correct.as<int32_t>()[0])};
}

Program::Result Program::eval_step(const TensorView& x, const TensorView& y, const TensorView* logits) {
  Specialisation& s = get(x.type.shape[0]);
  TensorView in[] = {x, y};
  TensorView out[] = {s.loss.view(), s.correct.view(), logits ? *logits : s.logits.view()};
  s.eval->run_checked(in, out);
  return {static_cast<double>(s.loss.as<float>()[0]), static_cast<int64_t>(s.correct.as<int32_t>()[0])};
}

}  // namespace minigrad::runtime
