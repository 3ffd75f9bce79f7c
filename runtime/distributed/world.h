// The processes of a run started by mpirun: data-parallel training and
// distributed sweeps (README "Several processes and machines"). World wraps MPI
// (Open MPI): it is started only when the process runs under mpirun (Open MPI
// sets OMPI_COMM_WORLD_SIZE) or --distributed asks for it, and installs itself as
// the backends' collectives (backend/collectives.h), so that the all_reduce nodes
// of a compiled step call into MPI. A process started without it never calls
// MPI_Init and runs exactly as a single process always has.
//
// Every sum is deterministic: all_reduce_sum gathers every rank's buffer
// (MPI_Allgather) and adds them in rank order on each rank, so the result has the
// same bits on every rank and in every run of the same size. MPI_Allreduce makes
// no such promise (its algorithm, and so its order of additions, may depend on
// the message size, the process placement and the library's tuning).
//
// Failures: an Error on any rank ends the whole run (fail_all: the message, with
// the rank, on stderr, then MPI_Abort), so no rank waits for ever in a collective
// that a failed rank will never join; a rank that is killed ends the run through
// mpirun, which stops the others.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/collectives.h"

namespace minigrad::runtime {

// Whether mpirun started this process (its environment says so).
bool launched_by_mpirun();

class World final : public Collectives {
 public:
  // Starts MPI once and installs the world; later calls return the same world.
  static World& start();
  // The started world, or null (a single process).
  static World* current();
  ~World() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void all_reduce_sum(ir::DType dtype, void* data, int64_t n) override;
  // Nonblocking: MPI_Iallgather of the bucket, then the same rank-order sum at the wait.
  void start_sum(int64_t id, ir::DType dtype, const std::vector<Part>& parts) override;
  void wait_sum(int64_t id, const std::vector<Part>& outs) override;
  void progress() override;
  bool in_flight() const override { return in_flight_ > 0; }

  // Every rank's string, in rank order, on every rank.
  std::vector<std::string> all_gather(const std::string& mine);
  // Rank 0's string on every rank.
  std::string broadcast(const std::string& from_root);
  void barrier();

  // A counter on rank 0 that any rank may take the next value of (one-sided
  // MPI, so no rank has to answer): open_counter on every rank, then next()
  // returns 0, 1, 2, ... across all ranks, each value once; close on every rank.
  void open_counter();
  int64_t next();
  void close_counter();

  // Prints "minigradc: rank R of N: <message>" to stderr and ends every rank of the
  // run with `code` (MPI_Abort).
  [[noreturn]] void fail_all(const std::string& message, int code = 1);

  // Ends MPI (MPI_Finalize) after a barrier; called at a normal exit.
  void finish();

 private:
  World();
  int rank_ = 0, size_ = 1;
  void* window_ = nullptr;  // MPI_Win of the counter
  int64_t* counter_ = nullptr;
  bool finished_ = false;
  int in_flight_ = 0;  // started sums not yet waited for
};

// The rank of this process and the number of ranks (0 and 1 without a world).
int world_rank();
int world_ranks();
// Whether this process writes the run's files and prints its progress: rank 0.
inline bool is_root() { return world_rank() == 0; }

// The sums over the ranks of `values`, added in rank order, on every rank (the
// values themselves without a world).
std::vector<double> sum_over_ranks(std::vector<double> values);

}  // namespace minigrad::runtime
