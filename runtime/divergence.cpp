// Finding the first non-finite value of a diverged training step; see divergence.h.
#include "runtime/divergence.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/error.h"
#include "passes/autodiff.h"
#include "passes/pipeline.h"

namespace minigrad::runtime {
namespace {

template <typename T>
bool finite_span(const Buffer& b) {
  for (T v : b.span<T>())
    if (!std::isfinite(v)) return false;
  return true;
}

// The step's module as autodiff leaves it, and which of its train_step's nodes are
// the forward pass ([0, forward)) and the backward pass ([forward, optimiser)).
struct Replayable {
  ir::Module module;
  size_t forward = 0, optimiser = 0;
};

Replayable replayable(Program& program, int64_t batch) {
  Replayable r{program.traced(batch)};
  passes::PipelineOptions o;
  o.disabled = program.options().pipeline.disabled;
  passes::run_pipeline(r.module, o, passes::Stage::Fused);
  ir::Function* f = r.module.find_func("train_step");
  if (f == nullptr) fail("{}: the traced module has no @train_step", program.options().name);
  size_t before = f->size(), grad = before;
  for (size_t i = 0; i < f->size() && grad == before; ++i)
    if (f->node(i).op == ir::Op::Grad) grad = i;
  passes::expand_grads(*f);
  r.forward = grad;
  r.optimiser = grad + (f->size() + 1 - before);  // the grad node became the backward nodes
  return r;
}

// "in the forward pass", "in the backward of softmax_xent" or "in the optimiser
// update": the backward nodes carry the locations of the forward node they
// differentiate, so the forward ops with those locations name it (a line may make
// several: "matmul, add" for a Linear layer).
std::string part_of(const Replayable& r, size_t node) {
  const ir::Function& f = *r.module.find_func("train_step");
  if (node < r.forward) return "in the forward pass";
  if (node >= r.optimiser) return "in the optimiser update";
  std::vector<std::string> ops;
  for (size_t i = 0; i < r.forward; ++i) {
    std::string op(ir::op_name(f.node(i).op));
    if (f.node(i).locs == f.node(node).locs && std::find(ops.begin(), ops.end(), op) == ops.end()) ops.push_back(op);
  }
  if (ops.empty()) return "in the backward pass";
  return fmt::format("in the backward of {}", fmt::join(ops, ", "));
}

}  // namespace

bool all_finite(const StateStore& state) {
  for (const auto& [name, b] : state.all()) {
    if (b->type().dtype == ir::DType::F32 && !finite_span<float>(*b)) return false;
    if (b->type().dtype == ir::DType::F64 && !finite_span<double>(*b)) return false;
  }
  return true;
}

void copy_state(const StateStore& from, StateStore& to) {
  bool same = from.all().size() == to.all().size();
  for (const auto& [name, b] : from.all()) same = same && to.has(name) && to.get(name).type() == b->type();
  if (!same) {
    to = from;
    return;
  }
  for (const auto& [name, b] : from.all()) std::memcpy(to.get(name).data(), b->data(), b->bytes());
}

void report_divergence(Program& program, const StateStore& before, const Buffer& x, const Buffer& y,
                       const std::string& where) {
  int64_t batch = x.type().shape[0];
  Replayable r = replayable(program, batch);
  StateStore state = before;
  std::unique_ptr<Backend> checking = make_interp_backend(program.options().flush_denormals, true);
  std::unique_ptr<Executable> exe = checking->compile(r.module, "train_step", state);
  std::vector<Buffer> out;
  std::vector<TensorView> views;
  for (const auto& [name, type] : exe->signature().outputs) out.emplace_back(type);
  for (Buffer& b : out) views.push_back(b.view());
  // A masked step (docs/ir.md, "Partial batches") is traced for its full batch and
  // takes the rows in use as a third input: the batch goes in its leading rows, the
  // padding rows are zeros (mask_rows never lets them through).
  const Signature& sig = exe->signature();
  std::vector<Buffer> bound{x, y};
  if (sig.inputs.size() == 3) {
    for (size_t i = 0; i < 2; ++i) {
      Buffer padded(sig.inputs[i].second);
      std::memset(padded.data(), 0, padded.bytes());
      std::memcpy(padded.data(), bound[i].data(), std::min(padded.bytes(), bound[i].bytes()));
      bound[i] = std::move(padded);
    }
    Buffer n(sig.inputs[2].second);
    n.as<int32_t>()[0] = static_cast<int32_t>(batch);
    bound.push_back(std::move(n));
  }
  std::vector<TensorView> in;
  for (Buffer& b : bound) in.push_back(b.view());
  try {
    exe->run_checked(in, views);
  } catch (const NonFiniteValue& e) {
    fail("non-finite value at {}: {} ({})", where, e.what(), part_of(r, e.node));
  }
  fail("non-finite value at {} on the {} backend, but the reference interpreter, running the step again from the "
       "same state, found every value finite: the backends' rounding differs there (try --backend interp)",
       where, program.options().backend);
}

}  // namespace minigrad::runtime
