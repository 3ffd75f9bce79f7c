// Initial values of a model's state: each state buffer is filled as its
// declaration says (zeros, ones, fill, uniform, normal, or the run's seed). The
// draws come from a portable counter-based generator seeded by (seed, state name),
// so a run is reproducible on every platform and adding a state does not change
// the values of the others.
#pragma once

#include <cstdint>

#include "backend/backend.h"
#include "ir/graph.h"

namespace minigrad::runtime {

// Fills every state of `m` in `store` (which must hold them) from `seed`.
void init_state(const ir::Module& m, StateStore& store, uint64_t seed);

}  // namespace minigrad::runtime
