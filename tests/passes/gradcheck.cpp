// Central-difference gradient checks; see gradcheck.h.
#include "tests/passes/gradcheck.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "ir/error.h"

namespace minigrad::testing {
namespace {

struct Runner {
  const ir::Module& m;
  std::string func;
  const StateStore& initial;

  // Runs the function on a fresh copy of the state; returns the outputs.
  std::vector<Buffer> run(const std::vector<Buffer>& inputs, const StateStore* state_override = nullptr) const {
    StateStore state = copy(state_override ? *state_override : initial);
    auto exe = make_interp_backend()->compile(m, func, state);
    std::vector<TensorView> in, out;
    for (const Buffer& b : inputs) in.push_back(b.view());
    std::vector<Buffer> outputs;
    for (const auto& [name, type] : exe->signature().outputs) outputs.emplace_back(type);
    for (Buffer& b : outputs) out.push_back(b.view());
    exe->run_checked(in, out);
    return outputs;
  }

  static StateStore copy(const StateStore& s) { return s; }

  size_t output_index(const std::string& name) const {
    const ir::Function* f = m.find_func(func);
    size_t k = 0;
    for (size_t i = 0; i < f->size(); ++i) {
      if (f->node(i).op != ir::Op::Output) continue;
      if (f->node(i).attrs.s("name") == name) return k;
      ++k;
    }
    fail("gradient check: @{} has no output '{}'", func, name);
  }

  double loss(const std::vector<Buffer>& outputs) const { return outputs[output_index("loss")].as<double>()[0]; }
};

void compare(GradCheckResult& r, const std::string& what, int64_t i, double numeric, double analytic) {
  double err = std::abs(numeric - analytic) / (1e-6 + std::abs(numeric));
  if (std::abs(numeric - analytic) < 1e-8) err = 0;  // both zero to within rounding
  ++r.checked;
  if (err > r.max_error) {
    r.max_error = err;
    r.worst = fmt::format("{}[{}]: numeric {} analytic {}", what, i, numeric, analytic);
  }
}

}  // namespace

GradCheckResult check_input_gradients(const ir::Module& m, const std::string& func, std::vector<Buffer> inputs,
                                      const std::vector<std::string>& wrt_inputs, double h) {
  StateStore empty(m);
  Runner run{m, func, empty};
  std::vector<Buffer> base = run.run(inputs);
  const ir::Function* f = m.find_func(func);
  GradCheckResult r;
  size_t k = 0;
  for (size_t n = 0; n < f->size(); ++n) {
    const ir::Node& node = f->node(n);
    if (node.op != ir::Op::Input) continue;
    const std::string& name = node.attrs.s("name");
    size_t slot = k++;
    if (std::find(wrt_inputs.begin(), wrt_inputs.end(), name) == wrt_inputs.end()) continue;
    const Buffer& grad = base[run.output_index("grad." + name)];
    double* x = inputs[slot].as<double>();
    for (int64_t i = 0; i < inputs[slot].numel(); ++i) {
      double keep = x[i];
      x[i] = keep + h;
      double up = run.loss(run.run(inputs));
      x[i] = keep - h;
      double down = run.loss(run.run(inputs));
      x[i] = keep;
      compare(r, name, i, (up - down) / (2 * h), grad.as<double>()[i]);
    }
  }
  return r;
}

GradCheckResult check_state_gradients(const ir::Module& m, const std::string& func, const StateStore& state,
                                      const std::vector<Buffer>& inputs, const std::vector<std::string>& wrt_states,
                                      double h) {
  Runner run{m, func, state};
  std::vector<Buffer> base = run.run(inputs);
  GradCheckResult r;
  StateStore probe = Runner::copy(state);
  for (const std::string& name : wrt_states) {
    const Buffer& grad = base[run.output_index("grad." + name)];
    double* p = probe.get(name).as<double>();
    for (int64_t i = 0; i < probe.get(name).numel(); ++i) {
      double keep = p[i];
      p[i] = keep + h;
      double up = run.loss(run.run(inputs, &probe));
      p[i] = keep - h;
      double down = run.loss(run.run(inputs, &probe));
      p[i] = keep;
      compare(r, name, i, (up - down) / (2 * h), grad.as<double>()[i]);
    }
  }
  return r;
}

}  // namespace minigrad::testing
