// State initialisation; see init_state.h.
#include "runtime/init_state.h"

#include <cmath>
#include <numbers>

#include "ir/error.h"

namespace minigrad::runtime {
namespace {

// splitmix64: a small generator whose whole state is one counter.
struct SplitMix64 {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  // Box-Muller: sqrt(-2 ln u1) cos(2 pi u2) is N(0, 1) for u1 in (0, 1].
  double normal() { return std::sqrt(-2.0 * std::log(1.0 - uniform())) * std::cos(2.0 * std::numbers::pi * uniform()); }
};

uint64_t hash_name(const std::string& name, uint64_t seed) {
  uint64_t h = 1469598103934665603ull ^ seed;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return h;
}

template <typename T>
void fill(Buffer& b, const ir::Init& init, SplitMix64& rng, uint64_t seed) {
  T* p = b.as<T>();
  for (int64_t i = 0; i < b.numel(); ++i) {
    double v = 0;
    switch (init.kind) {
      case ir::Init::Kind::Zeros: v = 0; break;
      case ir::Init::Kind::Ones: v = 1; break;
      case ir::Init::Kind::Fill: v = init.a; break;
      case ir::Init::Kind::Uniform: v = init.a + (init.b - init.a) * rng.uniform(); break;
      case ir::Init::Kind::Normal: v = init.a + init.b * rng.normal(); break;
      case ir::Init::Kind::Seed: v = static_cast<double>(static_cast<int32_t>(seed & 0x7fffffff)); break;
    }
    p[i] = static_cast<T>(v);
  }
}

}  // namespace

void init_state(const ir::Module& m, StateStore& store, uint64_t seed) {
  for (const ir::StateDecl& s : m.states) {
    Buffer& b = store.get(s.name);
    SplitMix64 rng{hash_name(s.name, seed)};
    switch (s.type.dtype) {
      case ir::DType::F32: fill<float>(b, s.init, rng, seed); break;
      case ir::DType::F64: fill<double>(b, s.init, rng, seed); break;
      case ir::DType::I32: fill<int32_t>(b, s.init, rng, seed); break;
    }
  }
}

}  // namespace minigrad::runtime
