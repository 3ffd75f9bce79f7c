// Expands ir/ops.def into the table of OpInfo records.
#include "ir/op.h"

#include "ir/type_rules.h"

namespace minigrad::ir {
namespace {

#define ATTR(N, K, R) AttrSpec{#N, AttrKind::K, R, true, 0, ""}
#define OPT(N, K, R, D) make_optional_spec(#N, AttrKind::K, R, D)

constexpr AttrSpec make_optional_spec(const char* n, AttrKind k, Range r, double d) {
  return AttrSpec{n, k, r, false, d, ""};
}
constexpr AttrSpec make_optional_spec(const char* n, AttrKind k, Range r, const char* d) {
  return AttrSpec{n, k, r, false, 0, d};
}

// One array of attribute specs per op; element 0 is a placeholder so that ops
// without attributes still get a well-formed array.
#define OP(E, NAME, NI, NO, TRAITS, RULE, ...) \
  constexpr AttrSpec attrs_##E[] = {AttrSpec{}, ##__VA_ARGS__};
#include "ir/ops.def"
#undef OP

constexpr TypeRule type_declared = nullptr;

const OpInfo kOps[] = {
#define OP(E, NAME, NI, NO, TRAITS, RULE, ...)                                  \
  OpInfo{Op::E, NAME, NI, NO, static_cast<uint32_t>(TRAITS), RULE,              \
         std::span<const AttrSpec>(attrs_##E + 1, std::size(attrs_##E) - 1)},
#include "ir/ops.def"
#undef OP
};

}  // namespace

const AttrSpec* OpInfo::attr(std::string_view attr_name) const {
  for (const AttrSpec& s : attrs)
    if (attr_name == s.name) return &s;
  return nullptr;
}

const OpInfo& op_info(Op op) { return kOps[static_cast<size_t>(op)]; }

std::span<const OpInfo> all_ops() { return kOps; }

std::optional<Op> op_by_name(std::string_view name) {
  for (const OpInfo& info : kOps)
    if (info.name == name) return info.op;
  return std::nullopt;
}

}  // namespace minigrad::ir
