// Node attributes: the compile-time constants of an op (an axis, a slope, a name).
// The op table declares, for each op, the attributes it takes with their kind, the
// range of legal values and a default; the verifier checks a node against that
// declaration, the printer omits attributes equal to their default and the parser
// fills them back in, so text round-trips.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace minigrad::ir {

enum class AttrKind : uint8_t { Int, Float, Bool, Str, Ints };

using AttrValue = std::variant<int64_t, double, bool, std::string, std::vector<int64_t>>;

std::string_view attr_kind_name(AttrKind k);
AttrKind kind_of(const AttrValue& v);
std::string format_attr(const AttrValue& v);  // text form used by the printer

// Legal values of a numeric attribute, or the choices of a string attribute.
struct Range {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false, hi_open = false;
  const char* choices = nullptr;  // "gt|ge|lt" for a Str attribute

  static constexpr Range any() { return {}; }
  static constexpr Range closed(double l, double h) { return {l, h, false, false, nullptr}; }
  static constexpr Range closed_open(double l, double h) { return {l, h, false, true, nullptr}; }
  static constexpr Range above(double l) {
    return {l, std::numeric_limits<double>::infinity(), true, false, nullptr};
  }
  static constexpr Range at_least(double l) {
    return {l, std::numeric_limits<double>::infinity(), false, false, nullptr};
  }
  static constexpr Range one_of(const char* c) { return {0, 0, false, false, c}; }

  bool contains(double v) const;
  bool allows(std::string_view s) const;
  std::string describe() const;  // "in [0, 1)", "one of gt|ge|lt"
};

// Declaration of one attribute in the op table.
struct AttrSpec {
  const char* name = "";
  AttrKind kind = AttrKind::Int;
  Range range;
  bool required = true;
  double default_number = 0;  // Int, Float, Bool defaults
  const char* default_str = "";

  AttrValue default_value() const;
};

// The attributes of one node, in the order of the op's declaration.
class Attrs {
 public:
  Attrs() = default;
  Attrs(std::initializer_list<std::pair<std::string, AttrValue>> items) : items_(items) {}

  void set(std::string_view name, AttrValue v);
  bool has(std::string_view name) const { return find(name) != nullptr; }
  const AttrValue* find(std::string_view name) const;

  int64_t i(std::string_view name) const;
  double f(std::string_view name) const;
  bool b(std::string_view name) const;
  const std::string& s(std::string_view name) const;
  const std::vector<int64_t>& ints(std::string_view name) const;

  const std::vector<std::pair<std::string, AttrValue>>& items() const { return items_; }
  bool operator==(const Attrs&) const = default;

 private:
  const AttrValue& get(std::string_view name) const;
  std::vector<std::pair<std::string, AttrValue>> items_;
};

}  // namespace minigrad::ir
