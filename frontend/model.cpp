// Model parameters and the registry of built-in models; see model.h.
#include "frontend/model.h"

#include <charconv>
#include <cmath>
#include <type_traits>

#include "ir/error.h"

namespace minigrad {
namespace {

std::map<std::string, BuiltinInfo>& registry() {
  static std::map<std::string, BuiltinInfo> models;
  return models;
}

template <typename T>
T parse_number(const std::string& name, const std::string& text, const char* what, const char* range) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range)
    fail("model parameter {}={}: '{}' is out of the range of {}", name, text, text, range);
  if (ec != std::errc() || end != text.data() + text.size())
    fail("model parameter {}={}: '{}' is not {}", name, text, text, what);
  if constexpr (std::is_floating_point_v<T>)
    if (!std::isfinite(v)) fail("model parameter {}={}: '{}' is not a finite number", name, text, text);
  return v;
}

}  // namespace

const std::string* ModelArgs::lookup(const std::string& name, const std::string& def) {
  declared_[name] = def;
  auto it = overrides_.find(name);
  return it == overrides_.end() ? nullptr : &it->second;
}

int64_t ModelArgs::get_int(const std::string& name, int64_t def) {
  const std::string* v = lookup(name, std::to_string(def));
  return v ? parse_number<int64_t>(name, *v, "an integer", "a 64-bit integer") : def;
}

double ModelArgs::get_double(const std::string& name, double def) {
  const std::string* v = lookup(name, fmt::format("{}", def));
  return v ? parse_number<double>(name, *v, "a number", "a double") : def;
}

bool ModelArgs::get_bool(const std::string& name, bool def) {
  const std::string* v = lookup(name, def ? "true" : "false");
  if (!v) return def;
  if (*v == "true" || *v == "1" || *v == "on") return true;
  if (*v == "false" || *v == "0" || *v == "off") return false;
  fail("model parameter {}={}: expected true or false", name, *v);
}

std::string ModelArgs::get_string(const std::string& name, const std::string& def) {
  const std::string* v = lookup(name, def);
  return v ? *v : def;
}

void ModelArgs::set(const std::string& name, const std::string& value) { overrides_[name] = value; }

std::vector<std::string> ModelArgs::unused() const {
  std::vector<std::string> out;
  for (const auto& [name, value] : overrides_)
    if (!declared_.count(name)) out.push_back(name);
  return out;
}

BuiltinModel::BuiltinModel(const char* name, const char* file, ModelFn fn) { registry()[name] = {file, fn}; }

const std::map<std::string, BuiltinInfo>& builtin_models() { return registry(); }

}  // namespace minigrad
