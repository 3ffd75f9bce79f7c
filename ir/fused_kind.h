// The kinds of `fused` node (the `kind` attribute): which kernel template a
// backend uses for the body. docs/fusion-kinds.md states the body each kind may
// have. The attribute is a string in the IR text; passes and backends parse it
// once with parse_fused_kind and switch over the enum (no `default:`, so that
// -Werror=switch finds every place a new kind must be handled). ir/ops.def's
// range of the attribute lists the same names (the verifier checks them).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace minigrad::ir {

enum class FusedKind { Elementwise, Matmul, MatmulUpdate, BnAct, BnActGrad, LossGrad };

// Indexed by the enum; the attribute's spelling of each kind.
inline constexpr std::array<std::string_view, 6> kFusedKindNames = {
    "elementwise", "matmul", "matmul_update", "bn_act", "bn_act_grad", "loss_grad"};
static_assert(kFusedKindNames.size() == size_t(FusedKind::LossGrad) + 1, "one name per fused kind");

constexpr std::string_view fused_kind_name(FusedKind k) { return kFusedKindNames[size_t(k)]; }

// The kind spelled `name`, or nothing.
constexpr std::optional<FusedKind> parse_fused_kind(std::string_view name) {
  for (size_t i = 0; i < kFusedKindNames.size(); ++i)
    if (kFusedKindNames[i] == name) return FusedKind(i);
  return std::nullopt;
}

}  // namespace minigrad::ir
