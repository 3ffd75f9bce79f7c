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
  // Seconds spent in all_reduce_sum since the last reset (for --profile).
  double seconds = 0;
  int64_t calls = 0;
};

// Installs `c` (null: none, a world of one) for every executable of the process.
void install_collectives(Collectives* c);
Collectives* installed_collectives();
// The number of ranks: the installed collectives' size, or 1.
int world_size();

// out[0, n) = the sum over the ranks of in[0, n) (in may equal out).
void run_all_reduce(ir::DType dtype, const void* in, void* out, int64_t n);

// Error if an all_reduce of `f` was traced for a number of ranks other than
// world_size(), naming the node and its line.
void check_collectives(const ir::Function& f);

}  // namespace minigrad
