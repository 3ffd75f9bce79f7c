// RunConfig <-> JSON; see run_config_json.h. One table lists every field once with
// its reader and writer, so the key names cannot drift apart between the two.
#include "runtime/run_config_json.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/error.h"

namespace minigrad::runtime {
namespace {

using json = nlohmann::json;

struct Field {
  std::string key;
  std::function<json(const RunConfig&)> get;
  std::function<void(RunConfig&, const json&, const std::string&)> set;
  // For a number: "" if v is a valid value, else what is wrong with it.
  std::function<std::string(const json&)> check{};
};

std::string bad(const std::string& where, const std::string& key, const json& v, const char* want) {
  return fmt::format("{}: {} = {}: expected {}", where, key, v.dump(), want);
}

// A value as a person wrote it: nlohmann-json dumps NaN and infinity as null, and
// -1 as -1.0.
std::string shown(const json& v) {
  if (v.is_number_float()) return fmt::format("{}", v.get<double>());
  return v.dump();
}

// A number field that must be finite, > min (strict) or >= min, and <= max; an
// integer field must also be an integer no larger than `top`, so nothing wraps
// on its way into its C++ type (a double cannot hold INT64_MAX: hence `top`).
template <typename T>
Field number(std::string key, T RunConfig::*member, double min, bool strict, double max = 1e300,
             uint64_t top = std::is_integral_v<T> ? uint64_t(std::numeric_limits<T>::max()) : 0) {
  auto check = [=](const json& v) -> std::string {
    const char* kind = std::is_integral_v<T> ? "an integer" : "a number";
    if (!v.is_number() || (std::is_integral_v<T> && !v.is_number_integer())) return fmt::format("expected {}", kind);
    std::string upper = std::is_integral_v<T> ? fmt::format(" and <= {}", top)
                        : max < 1e300         ? fmt::format(" and <= {}", max)
                                              : "";
    double d = v.get<double>();
    bool above = std::is_integral_v<T> ? (v.is_number_unsigned() ? v.get<uint64_t>() > top
                                                                  : v.get<int64_t>() > 0 && uint64_t(v.get<int64_t>()) > top)
                                       : d > max;
    if (!std::isfinite(d) || (strict ? !(d > min) : !(d >= min)) || above)
      return fmt::format("expected {} {} {}{}", std::is_integral_v<T> ? "an integer" : "a finite number",
                         strict ? ">" : ">=", min, upper);
    return "";
  };
  return {key, [member](const RunConfig& c) { return json(c.*member); },
          [=](RunConfig& c, const json& v, const std::string& where) {
            std::string wrong = check(v);
            if (!wrong.empty()) throw Error(fmt::format("{}: {} = {}: {}", where, key, shown(v), wrong));
            c.*member = v.get<T>();
          },
          check};
}

Field text(std::string key, std::string RunConfig::*member, std::vector<std::string> choices) {
  return {key, [member](const RunConfig& c) { return json(c.*member); },
          [key, member, choices](RunConfig& c, const json& v, const std::string& where) {
            if (!v.is_string()) throw Error(bad(where, key, v, "a string"));
            std::string s = v.get<std::string>();
            if (!choices.empty() && std::find(choices.begin(), choices.end(), s) == choices.end())
              throw Error(fmt::format("{}: {} = \"{}\": expected one of {}", where, key, s, fmt::join(choices, ", ")));
            c.*member = s;
          }};
}

Field flag(std::string key, bool RunConfig::*member) {
  return {key, [member](const RunConfig& c) { return json(c.*member); },
          [key, member](RunConfig& c, const json& v, const std::string& where) {
            if (!v.is_boolean()) throw Error(bad(where, key, v, "true or false"));
            c.*member = v.get<bool>();
          }};
}

Field set_field() {
  return {"set",
          [](const RunConfig& c) {
            json o = json::object();
            for (const auto& [k, v] : c.set) o[k] = v;
            return o;
          },
          [](RunConfig& c, const json& v, const std::string& where) {
            if (!v.is_object()) throw Error(bad(where, "set", v, "a table of model parameters"));
            for (const auto& [k, x] : v.items()) {
              auto it = std::find_if(c.set.begin(), c.set.end(), [&](const auto& p) { return p.first == k; });
              if (it != c.set.end()) it->second = parameter_text(x);
              else c.set.emplace_back(k, parameter_text(x));
            }
          }};
}

// The passes switched off (--disable-pass): they change the compiled step, so a run
// records them; the pipeline's printing and timing flags are not part of a run.
Field disabled_passes_field() {
  return {"disable_pass", [](const RunConfig& c) { return json(c.pipeline.disabled); },
          [](RunConfig& c, const json& v, const std::string& where) {
            json list = v.is_string() ? json::array({v}) : v;
            if (!list.is_array() || !std::all_of(list.begin(), list.end(), [](const json& x) { return x.is_string(); }))
              throw Error(bad(where, "disable_pass", v, "a pass name or a list of them"));
            c.pipeline.disabled = list.get<std::vector<std::string>>();
            try {
              passes::check_options(c.pipeline);
            } catch (const Error& e) {
              throw Error(fmt::format("{}: {}", where, e.what()));
            }
          }};
}

Field scale_field() {
  return {"scale", [](const RunConfig& c) { return json(std::string(scale_name(c.scale))); },
          [](RunConfig& c, const json& v, const std::string& where) {
            if (!v.is_string()) throw Error(bad(where, "scale", v, "standard, minmax or none"));
            try {
              c.scale = parse_scale(v.get<std::string>());
            } catch (const Error& e) {
              throw Error(fmt::format("{}: {}", where, e.what()));
            }
          }};
}

const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      text("model", &RunConfig::model, {}),
      set_field(),
      text("data", &RunConfig::data_dir, {}),
      number("epochs", &RunConfig::epochs, 0, true),
      number("batch_size", &RunConfig::batch, 0, true),
      text("optimizer", &RunConfig::optimizer, {"adam", "adamw", "sgd"}),
      number("lr", &RunConfig::lr, 0, true),
      number("weight_decay", &RunConfig::weight_decay, 0, false),
      number("momentum", &RunConfig::momentum, 0, false, 0.999999),
      text("loss", &RunConfig::loss, {"cross_entropy", "mse"}),
      number("label_smoothing", &RunConfig::label_smoothing, 0, false, 1),
      scale_field(),
      number("pca", &RunConfig::pca, 0, false),
      number("num_classes", &RunConfig::num_classes, 0, false),
      number("seed", &RunConfig::seed, 0, false, 1e300, uint64_t(std::numeric_limits<int64_t>::max())),
      flag("shuffle", &RunConfig::shuffle),
      flag("drop_last", &RunConfig::drop_last),
      text("backend", &RunConfig::backend, {}),
      flag("flush_denormals", &RunConfig::flush_denormals),
      disabled_passes_field(),
      number("eval_batch", &RunConfig::eval_batch, 0, true),
      number("eval_every", &RunConfig::eval_every, 0, true),
  };
  return table;
}

}  // namespace

json to_json(const RunConfig& c) {
  json j = json::object();
  for (const Field& f : fields()) j[f.key] = f.get(c);
  return j;
}

void apply_json(RunConfig& c, const json& j, const std::string& where, std::vector<std::string>* unknown) {
  if (!j.is_object()) fail("{}: expected a table of settings, got {}", where, j.dump());
  for (const auto& [key, value] : j.items()) {
    auto f = std::find_if(fields().begin(), fields().end(), [&](const Field& x) { return x.key == key; });
    if (f != fields().end()) f->set(c, value, where);
    else if (unknown) unknown->push_back(key);
    else fail("{}: unknown setting '{}' (settings: {})", where, key, fmt::join(run_config_keys(), ", "));
  }
}

void check_numbers(const json& j, const std::function<std::string(const std::string&)>& name_of) {
  for (const Field& f : fields()) {
    if (!f.check) continue;
    if (!j.contains(f.key)) continue;
    std::string wrong = f.check(j.at(f.key));
    if (!wrong.empty()) fail("{} {}: {}", name_of(f.key), shown(j.at(f.key)), wrong);
  }
}

const std::vector<std::string>& run_config_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const Field& f : fields()) k.push_back(f.key);
    return k;
  }();
  return keys;
}

bool is_run_config_key(const std::string& key) {
  const auto& k = run_config_keys();
  return std::find(k.begin(), k.end(), key) != k.end();
}

std::string parameter_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_float()) return fmt::format("{}", v.get<double>());
  fail("model parameter value {} is not a string, number or boolean", v.dump());
}

}  // namespace minigrad::runtime

namespace minigrad::runtime {

namespace {
bool contains(const std::vector<std::string>& v, const std::string& k) { return std::find(v.begin(), v.end(), k) != v.end(); }

// The command-line flag of a setting: "batch_size" -> "--batch-size".
std::string flag_of(std::string key) {
  if (key == "shuffle") return "--no-shuffle";
  std::replace(key.begin(), key.end(), '_', '-');
  return key == "model" ? "MODEL" : "--" + key;
}
}  // namespace

RunConfig merge_saved(const nlohmann::json& saved, const RunConfig& flags, const std::vector<std::string>& given,
                      const std::vector<std::string>& from_saved, const std::vector<std::string>& fixed,
                      const std::string& where) {
  if (!saved.is_object()) fail("{}: its saved settings are not a table", where);
  nlohmann::json cli = to_json(flags);
  RunConfig out = flags;
  for (const auto& [key, value] : saved.items()) {
    if (!is_run_config_key(key) || !contains(from_saved, key)) continue;
    bool on_cli = contains(given, key);
    if (on_cli && contains(fixed, key)) {
      bool differs = key == "set" ? std::any_of(cli[key].items().begin(), cli[key].items().end(),
                                                [&](const auto& p) { return value.value(p.key(), nlohmann::json()) != p.value(); })
                                  : cli[key] != value;
      if (differs)
        fail("{}: {} {} differs from the checkpoint's {}; it cannot change here", where, flag_of(key), cli[key].dump(),
             value.dump());
    }
    if (!on_cli) apply_json(out, nlohmann::json{{key, value}}, where);
    else if (key == "set") {
      out.set.clear();
      apply_json(out, nlohmann::json{{"set", value}}, where);
      apply_json(out, nlohmann::json{{"set", cli["set"]}}, where);
    }
  }
  return out;
}

}  // namespace minigrad::runtime
