// The dropout mask, defined once for every backend. Element i of a dropout node
// is kept when a counter-based hash of (seed, salt, step, i) maps to a uniform
// u in [0, 1) with u >= p; kept elements are scaled by 1 / (1 - p) (inverted
// dropout). No generator state is carried: the same (seed, salt, step) redraws the
// same mask, which is how the VJP and the JIT reproduce it.
#pragma once

#include <cstdint>

namespace minigrad::ir {

// murmur3's 32-bit finaliser: a bijection that mixes every input bit.
inline uint32_t mix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

// The key of one dropout node at one step.
inline uint32_t dropout_key(uint32_t seed, uint32_t salt, uint32_t step) {
  return mix32(seed * 0x9e3779b1u + salt * 0x85ebca77u + step * 0xc2b2ae3du);
}

// u in [0, 1) with 24 random bits, exactly representable in f32.
inline float dropout_uniform(uint32_t key, uint32_t index) {
  return static_cast<float>(mix32(index ^ key) >> 8) * (1.0f / 16777216.0f);
}

inline bool dropout_keep(uint32_t key, uint32_t index, float p) { return dropout_uniform(key, index) >= p; }

}  // namespace minigrad::ir
