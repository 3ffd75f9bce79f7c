// Built-in layers; see layers.h for their semantics.
#include "frontend/layers.h"

#include <fmt/format.h>

#include "frontend/functional.h"
#include "frontend/trace.h"
#include "ir/error.h"

namespace minigrad::nn {

Linear::Linear(int64_t in, int64_t out, bool bias, Initializer init, Here here)
    : Module(here), in_(in), out_(out), bias_(bias), init_(init) {
  if (in < 1 || out < 1) fail("{}: Linear({}, {}) needs positive sizes", ir::to_string(to_loc(here)), in, out);
}

Tensor Linear::forward(const Tensor& x) {
  Tensor y = x.matmul(param("weight", {in_, out_}, init_, /*torch_transposed=*/true), here_);
  if (bias_) y = F::add(y, param("bias", {out_}, init::zeros()), here_);
  return y;
}

std::string Linear::describe() const { return fmt::format("Linear({}, {})", in_, out_); }

BatchNorm1d::BatchNorm1d(int64_t features, double eps, std::optional<double> momentum, Here here)
    : Module(here), features_(features), eps_(eps), momentum_(momentum) {
  if (features < 1) fail("{}: BatchNorm1d({}) needs a positive size", ir::to_string(to_loc(here)), features);
  if (momentum && (*momentum < 0 || *momentum > 1))
    fail("{}: BatchNorm1d momentum must be in [0, 1], got {}", ir::to_string(to_loc(here)), *momentum);
}

Tensor BatchNorm1d::forward(const Tensor& x) {
  TraceContext& c = TraceContext::current();
  if (x.rank() != rank_ || x.dim(1) != features_)
    fail("{}: {} expects {} with {} {}, got {}", ir::to_string(to_loc(here_)), rank_ == 2 ? "BatchNorm1d" : "BatchNorm2d",
         rank_ == 2 ? "[N, F]" : "[N, C, H, W]", features_, rank_ == 2 ? "features" : "channels", ir::to_string(x.type()));
  int64_t spatial = rank_ == 4 ? x.dim(2) * x.dim(3) : 1;
  Tensor gamma = param("weight", {features_}, init::ones());
  Tensor beta = param("bias", {features_}, init::zeros());
  Tensor rm = buffer("running_mean", ir::DType::F32, {features_}, {ir::Init::Kind::Zeros});
  Tensor rv = buffer("running_var", ir::DType::F32, {features_}, {ir::Init::Kind::Ones});
  if (!training())
    return c.emit1(ir::Op::BatchNormEval, {c.id(x), c.id(gamma), c.id(beta), c.id(rm), c.id(rv)}, {{"eps", eps_}}, here_);
  const Sharding& sh = c.sharding();
  if (sh.active() && sh.sync_batchnorm) return sync_forward(x, gamma, beta, sh);
  std::vector<ir::ValueId> operands{c.id(x), c.id(gamma), c.id(beta)};
  Tensor n_rows = c.row_count(x);  // a masked trace: statistics over the first n_rows rows
  if (n_rows.defined()) operands.push_back(c.id(n_rows));
  std::vector<ir::ValueId> r = c.emit(ir::Op::BatchNormTrain, operands, {{"eps", eps_}}, here_);
  Tensor mean = c.wrap(r[1]), var = c.wrap(r[2]);
  if (sh.active()) {  // per-rank statistics: the running ones take their mean over the ranks
    Tensor inv_ranks = F::scalar_like(1.0 / sh.ranks, mean, here_);
    mean = F::mul(F::all_reduce(mean, sh.ranks, here_), inv_ranks, here_);
    var = F::mul(F::all_reduce(var, sh.ranks, here_), inv_ranks, here_);
  }
  update_running_stats(mean, var, x.dim(0), spatial, n_rows);
  return c.wrap(r[0]);
}

// Images: the sums run over axes 0, 2 and 3 and the [C] statistics broadcast as [C, 1, 1].
Tensor BatchNorm1d::sync_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Sharding& sh) {
  TraceContext& c = TraceContext::current();
  int64_t spatial = rank_ == 4 ? x.dim(2) * x.dim(3) : 1;
  auto positions_sum = [&](const Tensor& v) { return rank_ == 4 ? v.sum(3, false, here_).sum(2, false, here_).sum(0, false, here_) : v.sum(0, false, here_); };
  auto per_channel = [&](const Tensor& v) { return rank_ == 4 ? v.reshape({features_, 1, 1}, here_) : v; };
  Tensor inv_rows = F::scalar_like(1.0 / static_cast<double>(sh.global_rows * spatial), x, here_);
  Tensor mean = F::mul(F::all_reduce(positions_sum(x), sh.ranks, here_), inv_rows, here_);
  Tensor xc = F::sub(x, per_channel(mean), here_);
  Tensor var = F::mul(F::all_reduce(positions_sum(F::mul(xc, xc, here_)), sh.ranks, here_), inv_rows, here_);
  Tensor inv_std = c.emit1(ir::Op::Rsqrt, {c.id(F::add(var, F::scalar_like(eps_, var, here_), here_))}, {}, here_);
  update_running_stats(mean, var, sh.global_rows, spatial);
  Tensor normalised = F::mul(xc, per_channel(inv_std), here_);
  return F::add(F::mul(normalised, per_channel(gamma), here_), per_channel(beta), here_);
}

void BatchNorm1d::update_running_stats(const Tensor& mean, const Tensor& var, int64_t rows, int64_t spatial,
                                       const Tensor& n_rows) {
  int64_t batch = rows * spatial;  // the positions each statistic is over
  Tensor count = buffer("num_batches_tracked", ir::DType::I32, {}, {ir::Init::Kind::Zeros});
  Tensor count1 = F::add(count, F::scalar_like(1, count, here_), here_);
  update("num_batches_tracked", count1);
  // running_var holds the unbiased variance: var * N / (N - 1). A batch of one row
  // has no unbiased estimate (PyTorch refuses it); its biased variance, 0, is used.
  double correction = batch > 1 ? static_cast<double>(batch) / static_cast<double>(batch - 1) : 1.0;
  Tensor unbiased = correction == 1.0 ? var : F::mul(var, F::scalar_like(correction, var, here_), here_);
  if (n_rows.defined()) {  // masked: N = n_rows at run time, N / max(N - 1, 1) (1 when N = 1)
    Tensor n = F::cast(n_rows, ir::DType::F32, here_);
    if (spatial > 1) n = F::mul(n, F::scalar_like(double(spatial), n, here_), here_);
    Tensor one = F::scalar_like(1, n, here_);
    unbiased = F::mul(var, F::div(n, F::maximum(F::sub(n, one, here_), one, here_), here_), here_);
  }
  // m = momentum, or 1 / num_batches_tracked for the cumulative average.
  Tensor m = momentum_ ? F::scalar_like(*momentum_, mean, here_)
                       : F::div(F::scalar_like(1, mean, here_), F::cast(count1, ir::DType::F32, here_), here_);
  Tensor keep = F::sub(F::scalar_like(1, mean, here_), m, here_);
  Tensor rm = buffer("running_mean", ir::DType::F32, {features_}, {ir::Init::Kind::Zeros});
  Tensor rv = buffer("running_var", ir::DType::F32, {features_}, {ir::Init::Kind::Ones});
  // r' = (1 - m) r + m stat
  update("running_mean", F::add(F::mul(rm, keep, here_), F::mul(mean, m, here_), here_));
  update("running_var", F::add(F::mul(rv, keep, here_), F::mul(unbiased, m, here_), here_));
}

std::string BatchNorm1d::describe() const {
  return fmt::format("BatchNorm1d({}, eps={}, momentum={})", features_, eps_,
                     momentum_ ? fmt::format("{}", *momentum_) : "cumulative");
}

Tensor ReLU::forward(const Tensor& x) { return F::relu(x, here_); }
Tensor LeakyReLU::forward(const Tensor& x) { return F::leaky_relu(x, slope_, here_); }
std::string LeakyReLU::describe() const { return fmt::format("LeakyReLU({})", slope_); }
Tensor Sigmoid::forward(const Tensor& x) { return F::sigmoid(x, here_); }
Tensor Tanh::forward(const Tensor& x) { return F::tanh(x, here_); }

Dropout::Dropout(double p, Here here) : Module(here), p_(p) {
  if (p < 0 || p >= 1) fail("{}: Dropout p must be in [0, 1), got {}", ir::to_string(to_loc(here)), p);
}

Tensor Dropout::forward(const Tensor& x) { return F::dropout(x, p_, here_); }
std::string Dropout::describe() const { return fmt::format("Dropout({})", p_); }

AnyModule activation(const std::string& name, Here here) {
  if (name == "none" || name == "identity") return Identity(here);
  if (name == "relu") return ReLU(here);
  if (name == "leaky_relu") return LeakyReLU(0.01, here);
  if (name == "sigmoid") return Sigmoid(here);
  if (name == "tanh") return Tanh(here);
  fail("{}: unknown activation '{}' (none, relu, leaky_relu, sigmoid, tanh)", ir::to_string(to_loc(here)), name);
}

}  // namespace minigrad::nn
