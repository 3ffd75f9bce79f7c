// Divergence: what the training loop does when a step's loss, or the state after a
// step, holds a NaN or an infinity. Training stops there with an Error naming the
// first node that produced a non-finite value and its source line, e.g.
//   non-finite value at step 37 (epoch 1, batch 37): exp at my_model.cpp:14:5 (in the
//   backward of softmax_xent): inf at [12] of result 0
// and the run exits non-zero before anything more is saved, so the last checkpoint
// written stays the last good one.
//
// Finding the node costs nothing in normal steps. The loss is an output of every
// step anyway, and is checked; the state is checked once per epoch. Each epoch
// starts with a copy of the state (one copy per epoch, not per step). When a check
// fails, the epoch is replayed from that copy with the same executable and the same
// batches (batching and dropout are deterministic: the batch order is a function of
// (seed, epoch), dropout's mask of (seed, step)), so the replayed steps are bit for
// bit the original ones. The replay stops at the first step whose loss or resulting
// state is non-finite, and runs that one step again, from the state before it, in
// the reference interpreter on the module as autodiff left it (before fusion, so
// every op is the one the model file wrote), scanning each node's results
// (make_interp_backend's check_finite). With --check-numerics the state is copied
// before every step and checked after every step, so the failing step is known at
// once and no replay is needed.
#pragma once

#include <string>

#include "backend/backend.h"
#include "runtime/program.h"

namespace minigrad::runtime {

// True if every float element of every state buffer is finite.
bool all_finite(const StateStore& state);

// Copies every buffer of `from` into `to` (which gets the same buffers the first
// time; afterwards a copy allocates nothing).
void copy_state(const StateStore& from, StateStore& to);

// Runs training step `x`, `y` again in the checking interpreter from `before` (the
// state before the step) and throws the Error described above. `where`: "step 37
// (epoch 1, batch 37)".
[[noreturn]] void report_divergence(Program& program, const StateStore& before, const Buffer& x, const Buffer& y,
                                    const std::string& where);

}  // namespace minigrad::runtime
