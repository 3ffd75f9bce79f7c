// Initialisers; the formulas are in init.h.
#include "frontend/init.h"

#include <cmath>

#include "ir/error.h"

namespace minigrad {

ir::Init Initializer::resolve(int64_t fan_in, int64_t fan_out) const {
  using K = ir::Init::Kind;
  // fan_in + fan_out in double: the fans of an absurd --set may overflow int64 (the
  // size check that refuses such a model comes later, at the traced state).
  double in = static_cast<double>(fan_in), both = static_cast<double>(fan_in) + static_cast<double>(fan_out);
  switch (kind) {
    case Kind::KaimingUniform: return {K::Uniform, -std::sqrt(6.0 / in), std::sqrt(6.0 / in)};
    case Kind::KaimingNormal: return {K::Normal, 0.0, std::sqrt(2.0 / in)};
    case Kind::XavierUniform: return {K::Uniform, -std::sqrt(6.0 / both), std::sqrt(6.0 / both)};
    case Kind::XavierNormal: return {K::Normal, 0.0, std::sqrt(2.0 / both)};
    case Kind::Zeros: return {K::Zeros};
    case Kind::Ones: return {K::Ones};
    case Kind::Constant: return {K::Fill, value};
  }
  return {};
}

std::string Initializer::name() const {
  switch (kind) {
    case Kind::KaimingUniform: return "kaiming_uniform";
    case Kind::KaimingNormal: return "kaiming_normal";
    case Kind::XavierUniform: return "xavier_uniform";
    case Kind::XavierNormal: return "xavier_normal";
    case Kind::Zeros: return "zeros";
    case Kind::Ones: return "ones";
    case Kind::Constant: return "constant";
  }
  return "?";
}

Initializer init::by_name(const std::string& name) {
  for (Initializer i : {kaiming_uniform(), kaiming_normal(), xavier_uniform(), xavier_normal(), zeros(), ones()})
    if (i.name() == name) return i;
  fail("unknown initialiser '{}' (kaiming_uniform, kaiming_normal, xavier_uniform, xavier_normal, zeros, ones)", name);
}

}  // namespace minigrad
