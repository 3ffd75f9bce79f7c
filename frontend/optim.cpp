// Optimisers as IR; the update rules are stated in optim.h.
#include "frontend/optim.h"

#include <cmath>

#include <fmt/format.h>

#include "frontend/functional.h"
#include "frontend/trace.h"
#include "ir/error.h"

namespace minigrad::optim {
namespace {

// A zero-initialised optimiser state shaped like parameter `p`.
Tensor slot(const std::string& param, const char* what, const Tensor& p, const Here& here) {
  ir::StateDecl decl{"optim." + param + "." + what, p.type(), ir::StateRole::Optim, {ir::Init::Kind::Zeros}, false};
  return TraceContext::current().state(decl, here);
}

void store(const std::string& name, const Tensor& v, const Here& here) { TraceContext::current().store(name, v, here); }

Tensor scalar(double v, const Tensor& like, const Here& here) { return F::scalar_like(v, like, here); }

}  // namespace

Optimizer::Optimizer(double lr, double weight_decay, Here here) : lr_(lr), weight_decay_(weight_decay), here_(here) {
  if (!(lr > 0)) fail("{}: learning rate must be > 0, got {}", ir::to_string(to_loc(here)), lr);
  if (weight_decay < 0) fail("{}: weight decay must be >= 0, got {}", ir::to_string(to_loc(here)), weight_decay);
}

SGD::SGD(double lr, double weight_decay, double momentum, Here here)
    : Optimizer(lr, weight_decay, here), momentum_(momentum) {
  if (momentum < 0 || momentum >= 1) fail("{}: momentum must be in [0, 1), got {}", ir::to_string(to_loc(here)), momentum);
}

void SGD::update(const std::vector<std::string>& params, const std::vector<Tensor>& grads, const Tensor&) {
  TraceContext& c = TraceContext::current();
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor p = c.loaded(params[i]);
    Tensor d = grads[i];
    if (weight_decay_ != 0) d = F::add(d, F::mul(p, scalar(weight_decay_, p, here_), here_), here_);  // d = g + wd p
    if (momentum_ != 0) {
      // b = mu b + d; the buffer starts at zero, so the first step gives b = d as torch does.
      Tensor b = slot(params[i], "momentum_buffer", p, here_);
      d = F::add(F::mul(b, scalar(momentum_, b, here_), here_), d, here_);
      store("optim." + params[i] + ".momentum_buffer", d, here_);
    }
    store(params[i], F::sub(p, F::mul(d, scalar(lr_, d, here_), here_), here_), here_);  // p -= lr b
  }
}

std::string SGD::describe() const {
  return fmt::format("SGD(lr={}, weight_decay={}, momentum={})", lr_, weight_decay_, momentum_);
}

Adam::Adam(double lr, double weight_decay, double beta1, double beta2, double eps, Here here)
    : Optimizer(lr, weight_decay, here), beta1_(beta1), beta2_(beta2), eps_(eps) {
  for (double b : {beta1, beta2})
    if (b < 0 || b >= 1) fail("{}: Adam betas must be in [0, 1), got {}", ir::to_string(to_loc(here)), b);
  if (!(eps > 0)) fail("{}: Adam eps must be > 0, got {}", ir::to_string(to_loc(here)), eps);
}

void Adam::update(const std::vector<std::string>& params, const std::vector<Tensor>& grads, const Tensor& step) {
  TraceContext& c = TraceContext::current();
  // Bias corrections from the step count t: b^t = exp(t ln b).
  Tensor t = F::cast(step, ir::DType::F32, here_);
  Tensor one = F::scalar_like(1, t, here_);
  auto power = [&](double b) { return F::mul(t, scalar(std::log(b), t, here_), here_).exp(here_); };
  Tensor bc1 = F::sub(one, power(beta1_), here_);
  Tensor bc2 = F::sub(one, power(beta2_), here_);
  Tensor step_size = F::div(scalar(lr_, t, here_), bc1, here_);  // lr / (1 - b1^t)
  Tensor bc2_sqrt = bc2.sqrt(here_);                             // sqrt(1 - b2^t)
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor p = c.loaded(params[i]);
    double wd = weight_decay_;
    if (decoupled_) p = F::mul(p, scalar(1 - lr_ * weight_decay_, p, here_), here_), wd = 0;  // p *= 1 - lr wd
    adam_step(params[i], p, grads[i], wd, step_size, bc2_sqrt);
  }
}

void Adam::adam_step(const std::string& name, const Tensor& p, const Tensor& g, double wd, const Tensor& step_size,
                     const Tensor& bc2_sqrt) {
  Tensor d = wd != 0 ? F::add(g, F::mul(p, scalar(wd, p, here_), here_), here_) : g;  // d = g + wd p
  Tensor m = slot(name, "exp_avg", p, here_), v = slot(name, "exp_avg_sq", p, here_);
  // m = b1 m + (1 - b1) d;  v = b2 v + (1 - b2) d^2
  Tensor m1 = F::add(F::mul(m, scalar(beta1_, m, here_), here_), F::mul(d, scalar(1 - beta1_, d, here_), here_), here_);
  Tensor v1 = F::add(F::mul(v, scalar(beta2_, v, here_), here_),
                     F::mul(F::mul(d, d, here_), scalar(1 - beta2_, d, here_), here_), here_);
  // p -= step_size * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
  Tensor denom = F::add(F::div(v1.sqrt(here_), bc2_sqrt, here_), scalar(eps_, v1, here_), here_);
  Tensor p1 = F::sub(p, F::mul(F::div(m1, denom, here_), step_size, here_), here_);
  store("optim." + name + ".exp_avg", m1, here_);
  store("optim." + name + ".exp_avg_sq", v1, here_);
  store(name, p1, here_);
}

std::string Adam::describe() const {
  return fmt::format("Adam(lr={}, weight_decay={}, betas=({}, {}), eps={})", lr_, weight_decay_, beta1_, beta2_, eps_);
}

AdamW::AdamW(double lr, double weight_decay, double beta1, double beta2, double eps, Here here)
    : Adam(lr, weight_decay, beta1, beta2, eps, here) {
  decoupled_ = true;
}

std::string AdamW::describe() const {
  return fmt::format("AdamW(lr={}, weight_decay={}, betas=({}, {}), eps={})", lr_, weight_decay_, beta1_, beta2_, eps_);
}

}  // namespace minigrad::optim
