// The current trace; see trace.h.
#include "frontend/trace.h"

#include "ir/error.h"

namespace minigrad {
namespace {
thread_local TraceContext* g_current = nullptr;
}

ir::SourceLoc to_loc(const Here& here) {
  if (!here.origin.empty()) return ir::SourceLoc{here.origin, 0, 0};
  return ir::SourceLoc{here.loc.file_name(), static_cast<int>(here.loc.line()), static_cast<int>(here.loc.column())};
}

TraceContext::TraceContext(ir::Module& m, ir::Function& f, bool training)
    : module_(m), function_(f), builder_(f), training_(training) {
  if (g_current != nullptr) fail("a trace of @{} is already running; traces do not nest", g_current->function_.name());
  g_current = this;
}

TraceContext::~TraceContext() { g_current = nullptr; }

TraceContext& TraceContext::current() {
  if (g_current == nullptr)
    fail("a tensor operation or module was used outside a trace (call it from a model's forward)");
  return *g_current;
}

ir::ValueId TraceContext::id(const Tensor& t) const {
  if (!t.defined()) fail("an undefined tensor was used");
  if (t.context() != this) fail("a tensor from another trace was used in @{}", function_.name());
  return t.id();
}

std::vector<ir::ValueId> TraceContext::emit(ir::Op op, std::vector<ir::ValueId> operands, ir::Attrs attrs,
                                            const Here& here) {
  builder_.set_locs({to_loc(here)});
  return builder_.emit(op, std::move(operands), std::move(attrs));
}

Tensor TraceContext::emit1(ir::Op op, std::vector<ir::ValueId> operands, ir::Attrs attrs, const Here& here) {
  return wrap(emit(op, std::move(operands), std::move(attrs), here).at(0));
}

Tensor TraceContext::constant(double value, const ir::Type& type, const Here& here) {
  builder_.set_locs({to_loc(here)});
  return wrap(builder_.constant(value, type));
}

Tensor TraceContext::input(const std::string& name, const ir::Type& type, const Here& here) {
  builder_.set_locs({to_loc(here)});
  return wrap(builder_.input(name, type));
}

void TraceContext::output(const std::string& name, const Tensor& v, const Here& here) {
  builder_.set_locs({to_loc(here)});
  builder_.output(name, id(v));
}

Tensor TraceContext::state(const ir::StateDecl& decl, const Here& here) {
  module_.add_state(decl);
  auto it = loaded_.find(decl.name);
  if (it != loaded_.end()) return wrap(it->second);
  builder_.set_locs({to_loc(here)});
  ir::ValueId v = builder_.load_state(decl.name, decl.type);
  loaded_[decl.name] = v;
  if (decl.role == ir::StateRole::Param) params_.push_back(decl.name);
  return wrap(v);
}

Tensor TraceContext::loaded(const std::string& name) const {
  auto it = loaded_.find(name);
  if (it == loaded_.end()) fail("state '{}' was not loaded in @{}", name, function_.name());
  return Tensor(const_cast<TraceContext*>(this), it->second);
}

void TraceContext::store(const std::string& name, const Tensor& v, const Here& here) {
  builder_.set_locs({to_loc(here)});
  builder_.store_state(name, id(v));
}

Tensor TraceContext::step(const Here& here) {
  if (!step_.defined()) fail("{}: the step counter exists only while tracing a training step", ir::to_string(to_loc(here)));
  return step_;
}

Tensor TraceContext::row_count(const Tensor& x) const {
  ir::Type t = type(x);
  if (!row_count_.defined() || t.shape.rank() < 1 || t.shape[0] != batch_) return Tensor();
  return row_count_;
}

Tensor TraceContext::seed(const Here& here) {
  ir::StateDecl decl{"seed", ir::Type{ir::DType::I32, ir::Shape{}}, ir::StateRole::Buffer, {ir::Init::Kind::Seed}, false};
  return state(decl, here);
}

}  // namespace minigrad
