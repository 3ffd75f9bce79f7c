// Attribute values: kinds, ranges, text form and typed access.
#include "ir/attrs.h"

#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/error.h"

namespace minigrad::ir {

std::string_view attr_kind_name(AttrKind k) {
  switch (k) {
    case AttrKind::Int: return "int";
    case AttrKind::Float: return "float";
    case AttrKind::Bool: return "bool";
    case AttrKind::Str: return "string";
    case AttrKind::Ints: return "int list";
  }
  return "?";
}

AttrKind kind_of(const AttrValue& v) {
  return static_cast<AttrKind>(v.index());  // variant order matches AttrKind
}

std::string format_attr(const AttrValue& v) {
  switch (kind_of(v)) {
    case AttrKind::Int: return fmt::format("{}", std::get<int64_t>(v));
    case AttrKind::Float: {
      // Shortest text that reads back to the same double; always with a '.', 'e',
      // "inf" or "nan" so that it cannot be mistaken for an int.
      std::string s = fmt::format("{}", std::get<double>(v));
      if (s.find_first_of(".eEin") == std::string::npos) s += ".0";
      return s;
    }
    case AttrKind::Bool: return std::get<bool>(v) ? "true" : "false";
    case AttrKind::Str: return fmt::format("\"{}\"", std::get<std::string>(v));
    case AttrKind::Ints: return fmt::format("[{}]", fmt::join(std::get<std::vector<int64_t>>(v), ","));
  }
  return "?";
}

bool Range::contains(double v) const {
  if (std::isnan(v)) return false;
  bool lo_ok = lo_open ? v > lo : v >= lo;
  bool hi_ok = hi_open ? v < hi : v <= hi;
  return lo_ok && hi_ok;
}

bool Range::allows(std::string_view s) const {
  if (choices == nullptr) return true;
  std::string_view rest = choices;
  while (!rest.empty()) {
    size_t bar = rest.find('|');
    if (rest.substr(0, bar) == s) return true;
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 1);
  }
  return false;
}

std::string Range::describe() const {
  if (choices != nullptr) return fmt::format("one of {}", choices);
  return fmt::format("in {}{}, {}{}", lo_open ? "(" : "[", lo, hi, hi_open ? ")" : "]");
}

AttrValue AttrSpec::default_value() const {
  switch (kind) {
    case AttrKind::Int: return static_cast<int64_t>(default_number);
    case AttrKind::Float: return default_number;
    case AttrKind::Bool: return default_number != 0;
    case AttrKind::Str: return std::string(default_str);
    case AttrKind::Ints: return std::vector<int64_t>{};
  }
  return int64_t{0};
}

void Attrs::set(std::string_view name, AttrValue v) {
  for (auto& [k, val] : items_) {
    if (k == name) {
      val = std::move(v);
      return;
    }
  }
  items_.emplace_back(std::string(name), std::move(v));
}

const AttrValue* Attrs::find(std::string_view name) const {
  for (const auto& [k, val] : items_)
    if (k == name) return &val;
  return nullptr;
}

const AttrValue& Attrs::get(std::string_view name) const {
  const AttrValue* v = find(name);
  if (v == nullptr) fail("attribute '{}' is missing", name);
  return *v;
}

template <typename T>
static const T& typed(const AttrValue& v, std::string_view name, AttrKind want) {
  if (!std::holds_alternative<T>(v))
    fail("attribute '{}' is a {}, expected a {}", name, attr_kind_name(kind_of(v)), attr_kind_name(want));
  return std::get<T>(v);
}

int64_t Attrs::i(std::string_view n) const { return typed<int64_t>(get(n), n, AttrKind::Int); }
double Attrs::f(std::string_view n) const { return typed<double>(get(n), n, AttrKind::Float); }
bool Attrs::b(std::string_view n) const { return typed<bool>(get(n), n, AttrKind::Bool); }
const std::string& Attrs::s(std::string_view n) const {
  return typed<std::string>(get(n), n, AttrKind::Str);
}
const std::vector<int64_t>& Attrs::ints(std::string_view n) const {
  return typed<std::vector<int64_t>>(get(n), n, AttrKind::Ints);
}

}  // namespace minigrad::ir
