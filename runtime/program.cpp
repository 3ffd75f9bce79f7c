// Program: tracing, compiling and running per batch size; see program.h.
#include "runtime/program.h"

#include <cstring>
#include <map>
#include <set>

#include <fmt/core.h>

#include "backend/fp_env.h"
#include "frontend/tracer.h"
#include "ir/error.h"
#include "runtime/init_state.h"
#include "runtime/memory_need.h"

namespace minigrad::runtime {

namespace {
std::map<std::string, BackendFactory>& registered_backends() {
  static std::map<std::string, BackendFactory> backends;
  return backends;
}
}  // namespace

void register_backend(const std::string& name, BackendFactory make) {
  if (name == "interp" || !registered_backends().emplace(name, make).second)
    fail("backend '{}' is registered twice", name);
}

std::unique_ptr<Backend> make_backend(const ProgramOptions& o) {
  if (o.flush_denormals && !denormals_as_zero_supported())
    fail("--flush-denormals: minigrad does not know this CPU's floating-point mode (x86-64 and AArch64 only)");
  if (o.threads < 1) fail("threads must be >= 1, got {}", o.threads);
  if (o.backend == "interp") {
    if (o.profile) fail("--profile needs --backend jit: the interp backend has no per-kernel counters");
    return make_interp_backend(o.flush_denormals);
  }
  if (auto it = registered_backends().find(o.backend); it != registered_backends().end()) return it->second(o);
  if (o.backend == "jit")
    fail("backend 'jit': this program was linked without the JIT (minigrad_runtime_core alone); link "
         "minigrad_runtime (CMake package: minigrad::runtime) for it, or use --backend interp");
  fail("unknown backend '{}' (jit, interp)", o.backend);
}

Shard shard_of(int64_t global, int rank, int ranks) {
  int64_t base = global / ranks, extra = global % ranks;
  return {base + (rank < extra ? 1 : 0), rank * base + std::min<int64_t>(rank, extra)};
}

Program::Program(ModelParts parts, ProgramOptions options)
    : parts_(std::move(parts)), options_(std::move(options)), backend_(make_backend(options_)) {
  if (!parts_.loss || !parts_.optimizer) fail("a program needs a loss and an optimiser");
  if (options_.ranks < 1 || options_.rank < 0 || options_.rank >= options_.ranks)
    fail("rank {} of {} ranks", options_.rank, options_.ranks);
  // The first batch size compiles at once, so its errors show here.
  train_exe(get(train_key(options_.batch)));
  eval_exe(get(eval_key(options_.batch)));
}

// Masked, a batch of at most options_.batch rows runs that size's specialisation.
Program::Key Program::eval_key(int64_t batch) const {
  if (masked() && batch <= options_.batch) return {options_.batch, options_.batch};
  return {batch, batch};
}

Program::Key Program::train_key(int64_t batch) const {
  if (options_.ranks == 1) return eval_key(batch);
  if (batch < options_.ranks)
    fail("a batch of {} rows cannot be shared by {} ranks: every rank needs a row (a smaller -np, a larger "
         "--batch-size, or --drop-last if only the last batch of an epoch is that small)", batch, options_.ranks);
  return {shard_of(batch, options_.rank, options_.ranks).rows, batch};
}

namespace {

// Batch normalisation in training mode over a batch of one row: mean = x and
// var = 0, so y = (x - x) / sqrt(0 + eps) * gamma + beta = beta whatever x is,
// and dy/dx = 0. The layers before it get no gradient and the logits do not depend
// on the input: training stays at chance. PyTorch raises an error here; minigrad
// warns, so that a sweep over batch sizes (the seed's included 1) still runs.
// Read off the traced module (the passes fuse batch_norm_train away); shown only
// when train_step is compiled, since an evaluation batch of one row is harmless.
// `rows`: the rows a masked step runs (0: the traced batch's).
std::vector<std::string> one_row_batch_norms(const ir::Module& m, int64_t rows = 0) {
  std::vector<std::string> found;
  const ir::Function* f = m.find_func("train_step");
  if (f == nullptr) return found;
  for (const ir::Node* n : f->nodes_of(ir::Op::BatchNormTrain))
    if ((rows ? rows : f->type(n->operands[0]).shape[0]) == 1)
      found.push_back(fmt::format(
          "{}: batch normalisation in training mode over a batch of 1 row outputs its bias whatever the input, and "
          "passes no gradient back: use batches of 2 rows or more (or --drop-last if only the last batch has 1 row)",
          ir::to_string(n->locs)));
  return found;
}

}  // namespace

namespace {
ir::Module trace_key(ModelParts& parts, const ProgramOptions& o, int64_t rows, int64_t global) {
  TraceSpec spec{o.name, rows, o.in_features, o.num_classes, false, {}};
  spec.masked_rows = o.masked_rows && o.ranks == 1;
  if (rows != global)
    spec.sharding = Sharding{o.ranks, rows, global, shard_of(global, o.rank, o.ranks).offset, o.sync_batchnorm};
  return trace(*parts.net, *parts.loss, *parts.optimizer, spec);
}
}  // namespace

ir::Module Program::traced(int64_t batch) {
  Key k = train_key(batch);
  return trace_key(parts_, options_, k.first, k.second);
}

Program::Specialisation& Program::get(Key key) {
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  auto [batch, global] = key;
  Specialisation s;
  s.module = trace_key(parts_, options_, batch, global);
  s.train_warnings = one_row_batch_norms(s.module);
  if (masked()) s.one_row_warnings = one_row_batch_norms(s.module, 1);
  check_sizes(s.module, options_.name);  // before the memory planner computes with them
  passes::PipelineOptions pipeline = options_.pipeline;
  if (!pipeline.dump_dir.empty())  // one per specialisation
    pipeline.dump_dir += "/batch" + std::to_string(batch) + (batch != global ? "of" + std::to_string(global) : "");
  passes::run_pipeline(s.module, pipeline);
  check_memory(s.module, options_.max_memory, options_.name);  // before the state and buffers are allocated
  state_.add_missing(s.module);
  s.loss = Buffer(ir::Type{ir::DType::F32, {}});
  s.correct = Buffer(ir::Type{ir::DType::I32, {}});
  s.logits = Buffer(ir::Type{ir::DType::F32, {batch, options_.num_classes}});
  TensorView x{ir::Type{ir::DType::F32, {batch, options_.in_features}}, nullptr};
  TensorView y{ir::Type{ir::DType::I32, {batch}}, nullptr};
  s.train_in = s.eval_in = {x, y};
  if (masked()) {
    s.n_rows = Buffer(ir::Type{ir::DType::I32, {}});
    s.padded_x = Buffer(x.type), s.padded_y = Buffer(y.type);
    s.train_in.push_back(s.n_rows.view()), s.eval_in.push_back(s.n_rows.view());
  }
  s.train_out = {s.loss.view(), s.correct.view()};
  s.eval_out = {s.loss.view(), s.correct.view(), s.logits.view()};
  return cache_.emplace(key, std::move(s)).first->second;
}

// Each function is compiled when first run: the last partial batch of an epoch
// never evaluates, and the evaluation batch never trains.
Executable& Program::train_exe(Specialisation& s) {
  if (s.train) return *s.train;
  for (const std::string& w : s.train_warnings) {
    if (options_.warn) options_.warn(w);
    else fmt::print(stderr, "minigrad: warning: {}\n", w);
  }
  s.train = backend_->compile(s.module, "train_step", state_);
  return *s.train;
}

Executable& Program::eval_exe(Specialisation& s) {
  if (!s.eval) s.eval = backend_->compile(s.module, "eval", state_);
  return *s.eval;
}

// Once per program: a masked step run over one row (the specialisation's own
// warnings cover a step traced for one row).
void Program::warn_one_row(Specialisation& s, int64_t rows) {
  if (!masked() || rows != 1 || warned_one_row_) return;
  warned_one_row_ = true;
  for (const std::string& w : s.one_row_warnings) {
    if (options_.warn) options_.warn(w);
    else fmt::print(stderr, "minigrad: warning: {}\n", w);
  }
}

void Program::compile(int64_t batch, bool train, bool eval) {
  if (batch < 1) fail("batch size must be >= 1, got {}", batch);
  if (train) warn_one_row(get(train_key(batch)), batch);
  if (train) train_exe(get(train_key(batch)));
  if (eval) eval_exe(get(eval_key(batch)));
}

const ir::Module& Program::compiled_module(int64_t batch) { return get(train_key(batch)).module; }

std::vector<int64_t> Program::batch_sizes() const {
  std::set<int64_t> sizes;
  for (const auto& [key, s] : cache_) sizes.insert(key.second);
  return {sizes.begin(), sizes.end()};
}

const Executable* Program::train_executable(int64_t batch) const {
  auto it = cache_.find(train_key(batch));
  return it == cache_.end() ? nullptr : it->second.train.get();
}

int64_t Program::train_steps(int64_t batch) const {
  auto it = cache_.find(train_key(batch));
  return it == cache_.end() ? 0 : it->second.train_runs;
}

void Program::init_state(uint64_t seed) {
  runtime::init_state(get(train_key(options_.batch)).module, state_, seed);
}

Program::Result Program::train_step(const TensorView& x, const TensorView& y) {
  return train(x.type, x.data, y.type, y.data);
}

Program::Result Program::train_step(const Buffer& x, const Buffer& y) {
  return train(x.type(), const_cast<void*>(x.data()), y.type(), const_cast<void*>(y.data()));
}

Program::Result Program::eval_step(const TensorView& x, const TensorView& y, const TensorView* logits) {
  return eval(x.type, x.data, y.type, y.data, logits);
}

Program::Result Program::eval_step(const Buffer& x, const Buffer& y, const TensorView* logits) {
  return eval(x.type(), const_cast<void*>(x.data()), y.type(), const_cast<void*>(y.data()), logits);
}

namespace {
// The batch size of x, which must be a matrix.
int64_t batch_of(const ir::Type& x) {
  if (x.shape.rank() != 2) fail("a batch must be [B, F], got {}", ir::to_string(x));
  return x.shape[0];
}
}  // namespace

Program::Result Program::train(const ir::Type& xt, void* x, const ir::Type& yt, void* y) {
  int64_t global = batch_of(xt);
  Specialisation& s = get(train_key(global));
  if (options_.ranks > 1) {  // this rank's rows of the global batch, where they are
    if (xt.dtype != ir::DType::F32 || xt.shape[1] != options_.in_features || yt.dtype != ir::DType::I32 ||
        yt.shape.rank() != 1 || yt.shape[0] != global)
      fail("train_step: a batch must be f32 [B, {}] and i32 [B], got {} and {}", options_.in_features,
           ir::to_string(xt), ir::to_string(yt));
    int64_t offset = shard_of(global, options_.rank, options_.ranks).offset;
    s.train_in[0].data = static_cast<float*>(x) + offset * options_.in_features;
    s.train_in[1].data = static_cast<int32_t*>(y) + offset;
  } else if (masked()) {
    warn_one_row(s, global);
    bind_rows(s, s.train_in, xt, x, yt, y, "train_step");
  } else {
    s.train_in[0].type = xt, s.train_in[0].data = x;
    s.train_in[1].type = yt, s.train_in[1].data = y;
  }
  train_exe(s).run_checked(s.train_in, s.train_out);
  ++s.train_runs;
  return {static_cast<double>(s.loss.as<float>()[0]), static_cast<int64_t>(s.correct.as<int32_t>()[0])};
}

Program::Result Program::eval(const ir::Type& xt, void* x, const ir::Type& yt, void* y, const TensorView* logits) {
  int64_t rows = batch_of(xt);
  Specialisation& s = get(eval_key(rows));
  bool padded = masked() && rows < s.logits.type().shape[0];
  if (masked()) {
    bind_rows(s, s.eval_in, xt, x, yt, y, "eval");
  } else {
    s.eval_in[0].type = xt, s.eval_in[0].data = x;
    s.eval_in[1].type = yt, s.eval_in[1].data = y;
  }
  if (padded && logits && logits->type != ir::Type{ir::DType::F32, {rows, options_.num_classes}})
    fail("eval: logits must be f32 [{}, {}], got {}", rows, options_.num_classes, ir::to_string(logits->type));
  TensorView& out = s.eval_out[2];
  out.type = logits && !padded ? logits->type : s.logits.type();
  out.data = logits && !padded ? logits->data : s.logits.data();
  eval_exe(s).run_checked(s.eval_in, s.eval_out);
  if (padded && logits)  // the first `rows` rows of the specialisation's logits
    std::memcpy(logits->data, s.logits.data(), size_t(rows * options_.num_classes) * sizeof(float));
  return {static_cast<double>(s.loss.as<float>()[0]), static_cast<int64_t>(s.correct.as<int32_t>()[0])};
}

// Masked: a batch of the specialisation's size is read where it is; a smaller one
// is checked and copied into the padded buffers (the rows after it are never
// read: mask_rows zeroes them), and n_rows says how many rows count.
void Program::bind_rows(Specialisation& s, std::vector<TensorView>& in, const ir::Type& xt, void* x,
                        const ir::Type& yt, void* y, const char* what) {
  int64_t rows = batch_of(xt), batch = s.padded_x.type().shape[0];
  s.n_rows.as<int32_t>()[0] = static_cast<int32_t>(rows);
  if (rows == batch) {
    in[0].type = xt, in[0].data = x;
    in[1].type = yt, in[1].data = y;
    return;
  }
  if (xt != ir::Type{ir::DType::F32, {rows, options_.in_features}} || yt != ir::Type{ir::DType::I32, {rows}})
    fail("{}: a batch must be f32 [B, {}] and i32 [B], got {} and {}", what, options_.in_features, ir::to_string(xt),
         ir::to_string(yt));
  std::memcpy(s.padded_x.data(), x, size_t(rows * options_.in_features) * sizeof(float));
  std::memcpy(s.padded_y.data(), y, size_t(rows) * sizeof(int32_t));
  in[0] = s.padded_x.view(), in[1] = s.padded_y.view();
}

}  // namespace minigrad::runtime
