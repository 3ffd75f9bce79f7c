// The JSON formats of a checkpoint's metadata: fitted preprocessing and per-epoch
// history; see checkpoint.h. Doubles are written by nlohmann-json in their shortest
// form that reads back to the same double, so a PCA matrix stored here transforms new
// data exactly as it transformed the training data.
#include <cmath>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/checkpoint.h"

namespace minigrad::runtime {
namespace {

using json = nlohmann::json;

std::vector<double> numbers(const json& j, const char* key, size_t n, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array() || it->size() != n)
    fail("{}: preprocessing '{}' must be a list of {} numbers", where, key, n);
  std::vector<double> out;
  for (const json& v : *it) {
    if (!v.is_number() || !std::isfinite(v.get<double>())) fail("{}: preprocessing '{}' holds {}", where, key, v.dump());
    out.push_back(v.get<double>());
  }
  return out;
}

int64_t count(const json& j, const char* key, int64_t min, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() < min)
    fail("{}: preprocessing '{}' must be an integer >= {}", where, key, min);
  return it->get<int64_t>();
}

}  // namespace

json preprocessing_to_json(const FittedPreprocessing& p) {
  json j{{"in_features", p.in_features}, {"pca", p.config.pca}, {"scale", std::string(scale_name(p.config.scale))}};
  if (p.config.pca > 0)
    j["pca_params"] = {{"mean", p.pca.mean}, {"components", p.pca.components}, {"variance", p.pca.variance}};
  if (p.config.scale != Scale::None) j["scale_params"] = {{"offset", p.scale.offset}, {"divisor", p.scale.divisor}};
  return j;
}

FittedPreprocessing preprocessing_from_json(const json& j, const std::string& where) {
  if (!j.is_object() || !j.value("scale", json()).is_string()) fail("{}: preprocessing metadata is malformed", where);
  FittedPreprocessing p;
  p.in_features = count(j, "in_features", 1, where);
  p.config.pca = static_cast<int>(count(j, "pca", 0, where));
  p.config.scale = parse_scale(j["scale"].get<std::string>());
  if (p.config.pca > p.in_features) fail("{}: preprocessing has PCA to {} of {} features", where, p.config.pca, p.in_features);
  auto f = static_cast<size_t>(p.in_features), k = static_cast<size_t>(p.config.pca);
  if (k > 0) {
    const json& pca = j.value("pca_params", json::object());
    p.pca = {numbers(pca, "mean", f, where), numbers(pca, "components", f * k, where),
             numbers(pca, "variance", k, where), p.in_features, p.config.pca};
  }
  p.scale.kind = p.config.scale;
  if (p.config.scale != Scale::None) {
    const json& s = j.value("scale_params", json::object());
    size_t out = static_cast<size_t>(p.out_features());
    p.scale.offset = numbers(s, "offset", out, where);
    p.scale.divisor = numbers(s, "divisor", out, where);
    for (double d : p.scale.divisor)
      if (d == 0) fail("{}: preprocessing divides by zero", where);
  }
  return p;
}

json history_to_json(const std::vector<EpochStats>& history) {
  json out = json::array();
  for (const EpochStats& s : history) {
    json e{{"epoch", s.epoch},           {"train_loss", s.train_loss},       {"train_accuracy", s.train_accuracy},
           {"train_seconds", s.train_seconds}, {"steps", s.steps}};
    if (s.evaluated) {
      e["test_loss"] = s.test_loss, e["test_accuracy"] = s.test_accuracy;
      e["eval_seconds"] = s.eval_seconds;
    }
    out.push_back(e);
  }
  return out;
}

std::vector<EpochStats> history_from_json(const json& j, const std::string& where) {
  if (!j.is_array()) fail("{}: history metadata is not a list", where);
  std::vector<EpochStats> out;
  try {
    for (const json& e : j) {
      EpochStats s;
      s.epoch = e.at("epoch").get<int>();
      s.train_loss = e.at("train_loss").get<double>(), s.train_accuracy = e.at("train_accuracy").get<double>();
      s.train_seconds = e.at("train_seconds").get<double>(), s.steps = e.at("steps").get<int64_t>();
      s.evaluated = e.contains("test_loss");
      if (s.evaluated) {
        s.test_loss = e.at("test_loss").get<double>(), s.test_accuracy = e.at("test_accuracy").get<double>();
        s.eval_seconds = e.at("eval_seconds").get<double>();
      }
      out.push_back(s);
    }
  } catch (const json::exception& e) {
    fail("{}: history metadata is malformed: {}", where, e.what());
  }
  return out;
}

}  // namespace minigrad::runtime
