// nn::Module, the base of every layer, and nn::Sequential. A module's forward()
// runs while a trace is current and appends its nodes there. Parameters and
// buffers are named as PyTorch's state_dict names them: a module's prefix ("0.",
// "1.", ...) is given by its container when forward() is called, so names follow
// the module tree without any registration step.
//
// A custom layer is a subclass whose forward() uses tensor operations; autodiff
// covers it with no extra code:
//
//   struct Scale : nn::Module {
//     int64_t n;
//     explicit Scale(int64_t n, Here here = {}) : Module(here), n(n) {}
//     Tensor forward(const Tensor& x) override { return x * param("scale", {n}, init::ones()); }
//     std::string describe() const override { return "Scale"; }
//   };
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "frontend/here.h"
#include "frontend/init.h"
#include "frontend/tensor.h"

namespace minigrad::nn {

class Module {
 public:
  explicit Module(Here here = {}) : here_(here) {}
  virtual ~Module() = default;

  virtual Tensor forward(const Tensor& x) = 0;
  virtual std::string describe() const = 0;  // "Linear(128, 192)"
  Tensor operator()(const Tensor& x) { return forward(x); }

  const std::string& prefix() const { return prefix_; }
  const Here& here() const { return here_; }
  // Calls `child`'s forward with the prefix prefix() + name + ".".
  Tensor apply(const std::string& name, Module& child, const Tensor& x);

 protected:
  // A trainable parameter named prefix() + name. Fan-in and fan-out are the two
  // extents of a rank-2 [in, out] shape, or the extent of a rank-1 shape; of a
  // convolution's [out, in, kh, kw], in kh kw and out kh kw.
  Tensor param(const std::string& name, std::vector<int64_t> shape, const Initializer& init,
               bool torch_transposed = false);
  // A non-trainable state buffer named prefix() + name, and its update.
  Tensor buffer(const std::string& name, ir::DType dtype, std::vector<int64_t> shape, ir::Init init);
  void update(const std::string& name, const Tensor& value);
  bool training() const;

  Here here_;

 private:
  std::string prefix_;
};

// A handle to any module, so that containers can hold different layer types.
class AnyModule {
 public:
  template <typename M, std::enable_if_t<std::is_base_of_v<Module, std::decay_t<M>>, int> = 0>
  AnyModule(M&& m) : ptr_(std::make_shared<std::decay_t<M>>(std::forward<M>(m))) {}
  AnyModule(std::shared_ptr<Module> p) : ptr_(std::move(p)) {}

  Module& operator*() const { return *ptr_; }
  Module* operator->() const { return ptr_.get(); }
  const std::shared_ptr<Module>& ptr() const { return ptr_; }

 private:
  std::shared_ptr<Module> ptr_;
};

class Sequential : public Module {
 public:
  Sequential(std::initializer_list<AnyModule> modules = {}, Here here = {});
  Sequential& add(AnyModule m);

  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  size_t size() const { return modules_.size(); }
  Module& operator[](size_t i) const { return *modules_.at(i); }

 private:
  std::vector<AnyModule> modules_;
};

}  // namespace minigrad::nn
