// The reference interpreter as a Backend. compile() verifies the function, refuses
// one that still has a grad node, binds every input and output node to its position
// in the signature and every load_state and store_state node to the StateStore
// buffer of its name (which must exist with the type the function uses). run()
// allocates a zeroed buffer per SSA value and executes the nodes in order; state
// writes wait until every node has run, so each load_state sees the state as it was
// on entry, even in a function that loads and stores the same state, and a run that
// fails with an Error part-way leaves the state untouched. With check_finite, each
// node's float results are scanned after it runs, and the first NaN or infinity is
// a NonFiniteValue naming the node.
#include <cmath>
#include <cstring>

#include "backend/backend.h"
#include "backend/fp_env.h"
#include "backend/collectives.h"
#include "backend/interp/frame.h"
#include "backend/interp/kernel.h"
#include "ir/verifier.h"

namespace minigrad {
namespace {

using interp::Binding;
using interp::fail_at;

class InterpExecutable final : public Executable {
 public:
  InterpExecutable(const ir::Module& m, const ir::Function& f, StateStore& state, bool denormals_as_zero,
                   bool check_finite)
      : fn_(f), denormals_as_zero_(denormals_as_zero), check_finite_(check_finite) {
    ir::verify(fn_, &m);
    size_t inputs = 0, outputs = 0;
    for (size_t i = 0; i < fn_.size(); ++i) bindings_.push_back(bind(fn_.node(i), state, inputs, outputs));
    sig_ = signature_of(fn_);
  }

  void run(std::span<const TensorView> inputs, std::span<const TensorView> outputs) override {
    if (inputs.size() != sig_.inputs.size() || outputs.size() != sig_.outputs.size())
      fail("@{} takes {} inputs and {} outputs, got {} and {}", fn_.name(), sig_.inputs.size(),
           sig_.outputs.size(), inputs.size(), outputs.size());
    DenormalsAsZero mode(denormals_as_zero_);
    interp::Frame frame{{}, inputs, outputs, {}};
    frame.values.reserve(static_cast<size_t>(fn_.num_values()));
    for (ir::ValueId v = 0; v < fn_.num_values(); ++v) frame.values.emplace_back(fn_.type(v));
    for (size_t i = 0; i < fn_.size(); ++i) {
      interp::execute(fn_.node(i), bindings_[i], frame);
      run_collective_progress();  // a bucket's sum in flight advances between kernels
      if (check_finite_) check_finite(i, frame);
    }
    for (auto [state, value] : frame.stores) std::memcpy(state->data(), value->data(), value->bytes());
  }

 private:
  // What a node reads or writes outside the function (nothing, for a compute node).
  Binding bind(const ir::Node& node, StateStore& state, size_t& inputs, size_t& outputs) {
    using ir::Op;
    if (node.op == Op::Grad) fail_at(node, "grad must be expanded by the autodiff pass first");
    if (node.op == Op::Input) return {inputs++, nullptr};
    if (node.op == Op::Output) return {outputs++, nullptr};
    if (node.op == Op::LoadState) return {0, &state_buffer(node, state, fn_.type(node.result()))};
    if (node.op == Op::StoreState) return {0, &state_buffer(node, state, fn_.type(node.operands[0]))};
    return {};
  }

  // Throws NonFiniteValue if a float result of node i holds a NaN or an infinity.
  void check_finite(size_t i, const interp::Frame& frame) const {
    const ir::Node& node = fn_.node(i);
    for (size_t r = 0; r < node.results.size(); ++r) {
      const Buffer& b = frame.values[static_cast<size_t>(node.results[r])];
      for (int64_t k = 0; k < b.numel(); ++k) {
        double v = b.type().dtype == ir::DType::F32   ? b.as<float>()[k]
                   : b.type().dtype == ir::DType::F64 ? b.as<double>()[k]
                                                      : 0.0;
        if (!std::isfinite(v))
          throw NonFiniteValue(i, fmt::format("{} at {}: {} at [{}] of result {}", ir::op_name(node.op),
                                              ir::to_string(node.locs), v, k, r));
      }
    }
  }

  static Buffer& state_buffer(const ir::Node& node, StateStore& state, const ir::Type& used) {
    const std::string& name = node.attrs.s("name");
    if (!state.has(name)) fail_at(node, "state '{}' is not in the state store", name);
    Buffer& b = state.get(name);
    if (b.type() != used)
      fail_at(node, "state '{}' is {} in the state store, the function uses {}", name, ir::to_string(b.type()),
              ir::to_string(used));
    return b;
  }

  ir::Function fn_;
  std::vector<Binding> bindings_;  // one per node, in order
  bool denormals_as_zero_, check_finite_;
};

class InterpBackend final : public Backend {
 public:
  InterpBackend(bool denormals_as_zero, bool check_finite)
      : denormals_as_zero_(denormals_as_zero), check_finite_(check_finite) {}
  std::string name() const override { return "interp"; }

  std::unique_ptr<Executable> compile(const ir::Module& m, const std::string& func, StateStore& state) override {
    const ir::Function* f = m.find_func(func);
    if (f == nullptr) fail("module {} has no function @{}", m.name, func);
    check_collectives(*f);
    return std::make_unique<InterpExecutable>(m, *f, state, denormals_as_zero_, check_finite_);
  }

 private:
  bool denormals_as_zero_, check_finite_;
};

}  // namespace

std::unique_ptr<Backend> make_interp_backend(bool denormals_as_zero, bool check_finite) {
  return std::make_unique<InterpBackend>(denormals_as_zero, check_finite);
}

}  // namespace minigrad
