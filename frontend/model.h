// What a model file defines: a function from ModelArgs to a Model (the network,
// and optionally its loss), written with the MINIGRAD_MODEL macro:
//
//   #include "frontend/dsl.h"
//   using namespace minigrad;
//
//   MINIGRAD_MODEL(args) {
//     int64_t width = args.get_int("width", 192);
//     return nn::Sequential{nn::Linear(args.in_features, width), nn::BatchNorm1d(width),
//                           nn::LeakyReLU(0.01), nn::Linear(width, args.num_classes)};
//   }
//
// ModelArgs carries the data's shape and the model's parameters: get_*(name,
// default) declares a parameter and returns its value, overridden by
// `minigradc --set name=value` or a sweep. A model file is compiled into a shared
// object and loaded by minigradc (tools/model_loader.h); the examples shipped with
// the project are also compiled into minigradc and found by name.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "frontend/loss.h"
#include "frontend/module.h"

namespace minigrad {

class ModelArgs {
 public:
  int64_t in_features = 0;
  int64_t num_classes = 0;

  int64_t get_int(const std::string& name, int64_t def);
  double get_double(const std::string& name, double def);
  bool get_bool(const std::string& name, bool def);
  std::string get_string(const std::string& name, const std::string& def);

  // An override from the command line or a sweep, as text.
  void set(const std::string& name, const std::string& value);
  // Parameters the model declared, with their default values as text.
  const std::map<std::string, std::string>& declared() const { return declared_; }
  // Overrides that name no parameter the model declared.
  std::vector<std::string> unused() const;

 private:
  const std::string* lookup(const std::string& name, const std::string& def);
  std::map<std::string, std::string> overrides_, declared_;
};

namespace nn {
struct Model {
  Model(AnyModule net) : net(std::move(net)) {}
  template <typename M, std::enable_if_t<std::is_base_of_v<Module, std::decay_t<M>>, int> = 0>
  Model(M&& net) : net(AnyModule(std::forward<M>(net))) {}
  template <typename L>
  Model(AnyModule net, L loss) : net(std::move(net)), loss(std::make_shared<L>(std::move(loss))) {}

  AnyModule net;
  std::shared_ptr<Loss> loss;  // null: the trainer's default (cross-entropy)
};
}  // namespace nn

using ModelFn = nn::Model (*)(ModelArgs&);

// The entry a model's shared object exports (symbol minigrad_model_entry).
inline constexpr int kModelAbiVersion = 1;
struct ModelEntry {
  int abi_version;
  ModelFn build;
};

// Models compiled into the program, by name ("seed_mlp").
struct BuiltinModel {
  BuiltinModel(const char* name, const char* file, ModelFn fn);
};
struct BuiltinInfo {
  std::string file;
  ModelFn build;
};
const std::map<std::string, BuiltinInfo>& builtin_models();

}  // namespace minigrad

#define MINIGRAD_MODEL_CAT2(a, b) a##b
#define MINIGRAD_MODEL_CAT(a, b) MINIGRAD_MODEL_CAT2(a, b)

#ifdef MINIGRAD_BUILTIN_NAME
#define MINIGRAD_MODEL_EXPORT(fn) \
  static const ::minigrad::BuiltinModel MINIGRAD_MODEL_CAT(minigrad_builtin_, __LINE__){MINIGRAD_BUILTIN_NAME, __FILE__, fn};
#else
#define MINIGRAD_MODEL_EXPORT(fn) \
  extern "C" const ::minigrad::ModelEntry minigrad_model_entry{::minigrad::kModelAbiVersion, fn};
#endif

#define MINIGRAD_MODEL(ARGS)                                             \
  static ::minigrad::nn::Model minigrad_model_build(::minigrad::ModelArgs&); \
  MINIGRAD_MODEL_EXPORT(&minigrad_model_build)                           \
  static ::minigrad::nn::Model minigrad_model_build(::minigrad::ModelArgs& ARGS)
