// Reading sweep files into runs; see sweep.h. TOML is parsed by toml++ and turned
// into JSON values, so the run settings are checked by the same code as everywhere
// else (runtime/run_config_json.h).
#include "runtime/sweep.h"

#include <algorithm>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "ir/error.h"
#include "runtime/run_config_json.h"

namespace minigrad::runtime {
namespace {

using json = nlohmann::json;

json to_json_value(const toml::node& n, const std::string& where) {
  if (auto* t = n.as_table()) {
    json o = json::object();
    for (const auto& [k, v] : *t) o[std::string(k.str())] = to_json_value(v, where);
    return o;
  }
  if (auto* a = n.as_array()) {
    json arr = json::array();
    for (const toml::node& v : *a) arr.push_back(to_json_value(v, where));
    return arr;
  }
  if (auto v = n.value_exact<std::string>()) return *v;
  if (auto v = n.value_exact<int64_t>()) return *v;
  if (auto v = n.value_exact<double>()) return *v;
  if (auto v = n.value_exact<bool>()) return *v;
  fail("{}: line {}: dates and times are not settings", where, n.source().begin.line);
}

// The keys of a table in the order the file lists them (toml++ sorts them).
std::vector<std::pair<std::string, const toml::node*>> in_file_order(const toml::table& t) {
  struct Item {
    std::string key;
    const toml::node* node;
    toml::source_position at;
  };
  std::vector<Item> items;
  for (const auto& [k, v] : t) items.push_back({std::string(k.str()), &v, k.source().begin});
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.at.line != b.at.line ? a.at.line < b.at.line : a.at.column < b.at.column;
  });
  std::vector<std::pair<std::string, const toml::node*>> out;
  for (const Item& i : items) out.emplace_back(i.key, i.node);
  return out;
}

// A table of settings as JSON: run settings as they are, model parameters (unknown
// keys, and the keys of a `set` table) gathered under "set". A `set` that is not a
// table is an Error here: the unknown keys beside it could not be gathered into it.
json settings(const std::vector<std::pair<std::string, json>>& entries, const std::string& where) {
  json out = json::object();
  for (const auto& [k, v] : entries) {
    if (k == "set" && !v.is_object()) fail("{}: set = {}: expected a table of model parameters", where, v.dump());
    if (k == "set") {
      for (const auto& [pk, pv] : v.items()) out["set"][pk] = pv;
    } else if (is_run_config_key(k)) {
      out[k] = v;
    } else {
      out["set"][k] = v;
    }
  }
  return out;
}

// Makes a relative data path relative to the sweep file's directory.
void resolve_data(RunConfig& c, const std::filesystem::path& file) {
  std::filesystem::path d = c.data_dir;
  if (!c.data_dir.empty() && d.is_relative()) c.data_dir = (file.parent_path() / d).lexically_normal().string();
}


// "{depth} layers" with the run's values; an unknown {name} is an Error.
std::string fill_label(const std::string& templ, const std::vector<std::pair<std::string, json>>& values,
                       const std::string& where) {
  std::string out;
  for (size_t i = 0; i < templ.size(); ++i) {
    size_t close = templ[i] == '{' ? templ.find('}', i) : std::string::npos;
    if (close == std::string::npos) {
      out += templ[i];
      continue;
    }
    std::string key = templ.substr(i + 1, close - i - 1);
    auto it = std::find_if(values.begin(), values.end(), [&](const auto& p) { return p.first == key; });
    if (it == values.end()) fail("{}: label \"{}\" names {{{}}}, which this entry does not set", where, templ, key);
    out += parameter_text(it->second);
    i = close;
  }
  return out;
}

struct Entry {
  std::string group, label;  // label: a template
  std::vector<std::pair<std::string, json>> fixed;                 // scalar settings
  std::vector<std::pair<std::string, std::vector<json>>> choices;  // lists, expanded
};

Entry read_entry(const toml::table& t, const std::string& where) {
  Entry e;
  for (const auto& [key, node] : in_file_order(t)) {
    json v = to_json_value(*node, where);
    if (key == "group" || key == "label") {
      if (!v.is_string()) fail("{}: {} must be a string", where, key);
      (key == "group" ? e.group : e.label) = v.get<std::string>();
    } else if (v.is_array()) {
      if (v.empty()) fail("{}: {} is an empty list", where, key);
      e.choices.emplace_back(key, std::vector<json>(v.begin(), v.end()));
    } else {
      e.fixed.emplace_back(key, v);
    }
  }
  return e;
}

std::string default_label(const Entry& e, const std::vector<std::pair<std::string, json>>& values) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : values) {
    bool listed = std::any_of(e.choices.begin(), e.choices.end(), [&](const auto& c) { return c.first == k; });
    if (listed || e.choices.empty()) parts.push_back(k + "=" + (v.is_object() ? v.dump() : parameter_text(v)));
  }
  return parts.empty() ? "base" : fmt::format("{}", fmt::join(parts, ", "));
}

// Every combination of the entry's lists (the last list varies fastest).
void expand(const Entry& e, const RunConfig& base, const std::filesystem::path& file, const std::string& where,
            std::vector<SweepRun>& out) {
  std::vector<size_t> pick(e.choices.size(), 0);
  while (true) {
    std::vector<std::pair<std::string, json>> values = e.fixed;
    for (size_t i = 0; i < pick.size(); ++i) values.emplace_back(e.choices[i].first, e.choices[i].second[pick[i]]);
    SweepRun run{e.group, e.label.empty() ? default_label(e, values) : fill_label(e.label, values, where), base};
    std::string run_where = fmt::format("{} ({})", where, run.label);
    apply_json(run.config, settings(values, run_where), run_where);
    if (std::any_of(values.begin(), values.end(), [](const auto& p) { return p.first == "data"; }))
      resolve_data(run.config, file);
    out.push_back(std::move(run));
    size_t i = pick.size();
    while (i > 0 && ++pick[i - 1] == e.choices[i - 1].second.size()) pick[--i] = 0;
    if (i == 0) return;
  }
}

}  // namespace

std::string slug(const std::string& text) {
  std::string out;
  for (char c : text) {
    bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.';
    if (keep) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "run" : out;
}

SweepPlan read_sweep(const std::filesystem::path& file, const json& overrides) {
  std::string where = file.string();
  toml::table doc;
  try {
    doc = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    fail("{}:{}:{}: {}", where, e.source().begin.line, e.source().begin.column, e.description());
  }
  SweepPlan plan;
  plan.file = file;
  plan.name = file.stem().string();
  for (const auto& [key, node] : in_file_order(doc)) {
    if (key == "name" || key == "description") {
      auto s = node->value<std::string>();
      if (!s) fail("{}: {} must be a string", where, key);
      (key == "name" ? plan.name : plan.description) = *s;
    } else if (key != "base" && key != "grid" && key != "runs") {
      fail("{}: unknown key '{}' (name, description, [base], [grid], [[runs]])", where, key);
    }
  }
  RunConfig base;
  if (const toml::node* b = doc.get("base")) {
    if (!b->is_table()) fail("{}: base must be a table", where);
    std::vector<std::pair<std::string, json>> entries;
    for (const auto& [k, v] : in_file_order(*b->as_table())) entries.emplace_back(k, to_json_value(*v, where));
    plan.base = settings(entries, where + ": [base]");
    apply_json(base, plan.base, where + ": [base]");
    resolve_data(base, file);
  }
  if (const toml::node* g = doc.get("grid")) {
    if (!g->is_table()) fail("{}: grid must be a table", where);
    expand(read_entry(*g->as_table(), where + ": [grid]"), base, file, where + ": [grid]", plan.runs);
  }
  if (const toml::node* r = doc.get("runs")) {
    const toml::array* runs = r->as_array();
    if (!runs || !runs->is_array_of_tables()) fail("{}: runs must be written [[runs]]", where);
    for (size_t i = 0; i < runs->size(); ++i) {
      std::string w = fmt::format("{}: [[runs]] #{} (line {})", where, i + 1, (*runs)[i].source().begin.line);
      expand(read_entry(*(*runs)[i].as_table(), w), base, file, w, plan.runs);
    }
  }
  if (plan.runs.empty()) fail("{}: no runs: add a [grid] or [[runs]]", where);
  std::vector<std::pair<std::string, json>> extra;
  for (const auto& [k, v] : overrides.items()) extra.emplace_back(k, v);
  json extra_settings = settings(extra, "override");
  for (SweepRun& run : plan.runs) apply_json(run.config, extra_settings, "override");
  plan.base.merge_patch(extra_settings);
  return plan;
}

}  // namespace minigrad::runtime
