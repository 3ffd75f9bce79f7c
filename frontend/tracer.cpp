// The tracer; see tracer.h for the functions it produces.
#include "frontend/tracer.h"

#include "frontend/functional.h"
#include "frontend/trace.h"
#include "ir/error.h"
#include "ir/verifier.h"

namespace minigrad {
namespace {

using ir::DType;
using ir::Shape;
using ir::Type;

struct Inputs {
  Tensor x, labels;
};

// x and labels; masked, also n_rows, with x and labels zero beyond row n_rows, so
// that what the caller left in the padding rows (NaN, a label out of range) is
// never read by anything else.
Inputs trace_inputs(TraceContext& c, const TraceSpec& s, const Here& here) {
  Inputs in{c.input("x", Type{DType::F32, Shape{s.batch, s.in_features}}, here),
            c.input("labels", Type{DType::I32, Shape{s.batch}}, here)};
  if (!s.masked_rows) return in;
  Tensor n_rows = c.input("n_rows", Type{DType::I32, Shape{}}, here);
  in.x = F::mask_rows(in.x, n_rows, here);
  in.labels = F::mask_rows(in.labels, n_rows, here);
  c.set_row_count(n_rows, s.batch);
  return in;
}

Tensor trace_scores(TraceContext& c, nn::Module& net, const Tensor& x, const TraceSpec& s, const Here& here) {
  Tensor scores = net.forward(x);
  if (scores.type() != Type{DType::F32, Shape{s.batch, s.num_classes}})
    fail("{}: the network maps f32[{},{}] to {}; expected f32[{},{}] ({} classes)", ir::to_string(to_loc(here)),
         s.batch, s.in_features, ir::to_string(scores.type()), s.batch, s.num_classes, s.num_classes);
  return scores;
}

Tensor trace_loss(nn::Loss& loss, const Tensor& scores, const Tensor& labels, const Here& here) {
  Tensor l = loss(scores, labels);
  if (l.rank() != 0) fail("{}: the loss must be a scalar, got {}", ir::to_string(to_loc(here)), ir::to_string(l.type()));
  return l;
}

void trace_train_step(ir::Module& m, nn::Module& net, nn::Loss& loss, optim::Optimizer& opt, const TraceSpec& s,
                      const Here& here) {
  TraceContext c(m, m.add_func("train_step"), /*training=*/true);
  Sharding sh = s.sharding;
  sh.rows = s.batch;
  c.set_sharding(sh);
  Inputs in = trace_inputs(c, s, here);
  ir::StateDecl step_decl{"step", Type{DType::I32, Shape{}}, ir::StateRole::Optim, {ir::Init::Kind::Zeros}, false};
  Tensor step = c.state(step_decl, here);
  Tensor step1 = F::add(step, F::scalar_like(1, step, here), here);  // this update's count t = 1, 2, ...
  c.store("step", step1, here);
  c.set_step(step1);

  Tensor scores = trace_scores(c, net, in.x, s, here);
  Tensor l = trace_loss(loss, scores, in.labels, here);
  Tensor correct = F::correct(scores, in.labels, here);
  if (sh.active()) {
    // The loss is a mean over rows: this rank's mean times rows / global rows is
    // its share of the global batch's mean (sum over its rows / global rows),
    // and the shares add up to the global mean over the ranks.
    l = F::mul(l, F::scalar_like(static_cast<double>(s.batch) / static_cast<double>(sh.global_rows), l, here), here);
  }

  std::vector<std::string> params = c.params();
  if (params.empty()) fail("{}: the network has no parameters to train", ir::to_string(to_loc(here)));
  std::vector<ir::ValueId> wrt{c.id(l)};
  for (const std::string& p : params) wrt.push_back(c.id(c.loaded(p)));
  ir::Attrs grad_attrs;
  if (sh.active()) grad_attrs.set("ranks", int64_t{sh.ranks});
  std::vector<ir::ValueId> g = c.emit(ir::Op::Grad, wrt, grad_attrs, here);
  std::vector<Tensor> grads;
  for (ir::ValueId v : g) grads.push_back(c.wrap(v));
  opt.update(params, grads, step1);

  if (sh.active()) {  // the whole global batch's loss and count, as one process reports them
    l = F::all_reduce(l, sh.ranks, here);
    correct = F::all_reduce(correct, sh.ranks, here);
  }
  c.output("loss", l, here);
  c.output("correct", correct, here);
  if (s.output_grads)
    for (size_t i = 0; i < params.size(); ++i) c.output("grad." + params[i], grads[i], here);
}

void trace_eval(ir::Module& m, nn::Module& net, nn::Loss& loss, const TraceSpec& s, const Here& here) {
  TraceContext c(m, m.add_func("eval"), /*training=*/false);
  Inputs in = trace_inputs(c, s, here);
  Tensor scores = trace_scores(c, net, in.x, s, here);
  Tensor l = trace_loss(loss, scores, in.labels, here);
  c.output("loss", l, here);
  c.output("correct", F::correct(scores, in.labels, here), here);
  c.output("logits", scores, here);
}

}  // namespace

ir::Module trace(nn::Module& net, nn::Loss& loss, optim::Optimizer& opt, const TraceSpec& spec, Here here) {
  if (spec.batch < 1 || spec.in_features < 1 || spec.num_classes < 1)
    fail("trace: batch ({}), features ({}) and classes ({}) must be positive", spec.batch, spec.in_features,
         spec.num_classes);
  const Sharding& sh = spec.sharding;
  if (spec.masked_rows && sh.active()) fail("trace: masked rows are not supported in a data-parallel step");
  if (sh.active() && (sh.row_offset < 0 || sh.row_offset + spec.batch > sh.global_rows))
    fail("trace: rows [{}, {}) are not within a global batch of {}", sh.row_offset, sh.row_offset + spec.batch,
         sh.global_rows);
  ir::Module m;
  m.name = spec.name;
  trace_train_step(m, net, loss, opt, spec, here);
  trace_eval(m, net, loss, spec, here);
  ir::verify(m);
  return m;
}

}  // namespace minigrad
