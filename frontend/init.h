// Parameter initialisers. An Initializer is resolved, once the parameter's fan-in
// and fan-out are known, into an ir::Init (a uniform or normal distribution, or a
// fill) that the runtime draws from with the run's seed:
//   kaiming_uniform  U(-b, b), b = sqrt(6 / fan_in)   (gain sqrt(2), for ReLU)
//   kaiming_normal   N(0, s),  s = sqrt(2 / fan_in)
//   xavier_uniform   U(-b, b), b = sqrt(6 / (fan_in + fan_out))
//   xavier_normal    N(0, s),  s = sqrt(2 / (fan_in + fan_out))
#pragma once

#include <cstdint>
#include <string>

#include "ir/graph.h"

namespace minigrad {

struct Initializer {
  enum class Kind { KaimingUniform, KaimingNormal, XavierUniform, XavierNormal, Zeros, Ones, Constant } kind;
  double value = 0;  // for Constant

  ir::Init resolve(int64_t fan_in, int64_t fan_out) const;
  std::string name() const;
};

namespace init {
inline Initializer kaiming_uniform() { return {Initializer::Kind::KaimingUniform}; }
inline Initializer kaiming_normal() { return {Initializer::Kind::KaimingNormal}; }
inline Initializer xavier_uniform() { return {Initializer::Kind::XavierUniform}; }
inline Initializer xavier_normal() { return {Initializer::Kind::XavierNormal}; }
inline Initializer zeros() { return {Initializer::Kind::Zeros}; }
inline Initializer ones() { return {Initializer::Kind::Ones}; }
inline Initializer constant(double v) { return {Initializer::Kind::Constant, v}; }
// "kaiming_uniform", "xavier_normal", ...; an Error lists the names if unknown.
Initializer by_name(const std::string& name);
}  // namespace init

}  // namespace minigrad
