// The collectives that generated code and the interpreter call for an all_reduce
// node (ir/ops.def): an interface that the runtime implements over MPI
// (runtime/distributed) and installs when a run starts under mpirun. The backends
// know nothing of MPI; they call run_all_reduce, which forwards to what is
// installed.
//
// With nothing installed the process is a world of one rank, where the sum over
// the ranks of x is x: an all_reduce traced for 1 rank (the op's samples, a
// hand-written IR file) copies its operand. A function whose all_reduces were
// traced for N ranks refuses to compile in a world of another size
// (check_collectives), so a data-parallel step never runs alone by mistake.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/types.h"

namespace minigrad {

class Collectives {
 public:
  virtual ~Collectives() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // data[0, n) (f32, f64 or i32) becomes, on every rank, the elementwise sum of
  // every rank's data[0, n), added in rank order ((d_0 + d_1) + d_2) + ..., so the
  // result has the same bits on every rank and in every run of the same size.
  virtual void all_reduce_sum(ir::DType dtype, void* data, int64_t n) = 0;
  // The same sum split in two (all_reduce_start / all_reduce_wait, ir/ops.def):
  // start_sum begins summing parts[0..k) (one message of their concatenation)
  // under `id` and returns at once; the parts may be reused as soon as it returns.
  // wait_sum(id, outs) waits for that sum and writes part i's sum to outs[i]: the
  // same bits as all_reduce_sum of each part. progress() lets the sums in flight
  // advance (MPI progresses a nonblocking collective mainly inside MPI calls); the
  // generated code calls it between kernels while a sum is in flight.
  struct Part {
    void* data;
    int64_t n;
  };
  virtual void start_sum(int64_t id, ir::DType dtype, const std::vector<Part>& parts) = 0;
  virtual void wait_sum(int64_t id, const std::vector<Part>& outs) = 0;
  virtual void progress() = 0;
  virtual bool in_flight() const = 0;
  // Seconds spent in the calls above since the start (for --profile): all of
  // them in `seconds` (`calls` of all_reduce, start and wait), and by kind.
  double seconds = 0;
  int64_t calls = 0;
  double blocking_seconds = 0, start_seconds = 0, wait_seconds = 0, progress_seconds = 0;
  int64_t progress_calls = 0;
};

// Installs `c` (null: none, a world of one) for every executable of the process.
void install_collectives(Collectives* c);
Collectives* installed_collectives();
// The number of ranks: the installed collectives' size, or 1.
int world_size();

// out[0, n) = the sum over the ranks of in[0, n) (in may equal out).
void run_all_reduce(ir::DType dtype, const void* in, void* out, int64_t n);

// The halves of all_reduce for a bucket of k values of one dtype (an
// all_reduce_start / all_reduce_wait node): start: out[i] = in[i] (counts[i]
// elements) and the sum of the outs begins under `id`; wait: out[i] = the sum over
// the ranks of what start i began (in[i] is the start's out[i]). In a world of one
// rank, both copy.
void run_all_reduce_start(int64_t id, ir::DType dtype, int64_t k, const void* const* in, void* const* out,
                          const int64_t* counts);
void run_all_reduce_wait(int64_t id, ir::DType dtype, int64_t k, const void* const* in, void* const* out,
                         const int64_t* counts);
// Lets the sums in flight advance; nothing when none is.
void run_collective_progress();

// Error if an all_reduce of `f` was traced for a number of ranks other than
// world_size(), naming the node and its line.
void check_collectives(const ir::Function& f);

}  // namespace minigrad
