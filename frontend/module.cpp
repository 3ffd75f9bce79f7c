// Module base class and Sequential; see module.h.
#include "frontend/module.h"

#include "frontend/trace.h"

namespace minigrad::nn {

Tensor Module::apply(const std::string& name, Module& child, const Tensor& x) {
  child.prefix_ = prefix_ + name + ".";
  return child.forward(x);
}

Tensor Module::param(const std::string& name, std::vector<int64_t> shape, const Initializer& init,
                     bool torch_transposed) {
  int64_t fan_in = shape.empty() ? 1 : shape[0];
  int64_t fan_out = shape.size() >= 2 ? shape[1] : fan_in;
  if (shape.size() == 4) {  // a convolution's [out, in/groups, kh, kw], as PyTorch counts its fans
    fan_in = shape[1] * shape[2] * shape[3];
    fan_out = shape[0] * shape[2] * shape[3];
  }
  ir::StateDecl decl{prefix_ + name, ir::Type{ir::DType::F32, ir::Shape(std::move(shape))}, ir::StateRole::Param,
                     init.resolve(fan_in, fan_out), torch_transposed};
  return TraceContext::current().state(decl, here_);
}

Tensor Module::buffer(const std::string& name, ir::DType dtype, std::vector<int64_t> shape, ir::Init init) {
  ir::StateDecl decl{prefix_ + name, ir::Type{dtype, ir::Shape(std::move(shape))}, ir::StateRole::Buffer, init, false};
  return TraceContext::current().state(decl, here_);
}

void Module::update(const std::string& name, const Tensor& value) {
  TraceContext::current().store(prefix_ + name, value, here_);
}

bool Module::training() const { return TraceContext::current().training(); }

Sequential::Sequential(std::initializer_list<AnyModule> modules, Here here) : Module(here), modules_(modules) {}

Sequential& Sequential::add(AnyModule m) {
  modules_.push_back(std::move(m));
  return *this;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (size_t i = 0; i < modules_.size(); ++i) y = apply(std::to_string(i), *modules_[i], y);
  return y;
}

std::string Sequential::describe() const {
  std::string s = "Sequential(";
  for (size_t i = 0; i < modules_.size(); ++i) s += (i ? ", " : "") + modules_[i]->describe();
  return s + ")";
}

}  // namespace minigrad::nn
