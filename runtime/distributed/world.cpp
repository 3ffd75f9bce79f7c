// MPI behind World; see world.h. The only file of minigrad that includes mpi.h.
#include "runtime/distributed/world.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <mpi.h>

#include "ir/error.h"

namespace minigrad::runtime {
namespace {

std::unique_ptr<World> g_world;

MPI_Datatype mpi_type(ir::DType d) {
  switch (d) {
    case ir::DType::F32: return MPI_FLOAT;
    case ir::DType::F64: return MPI_DOUBLE;
    case ir::DType::I32: return MPI_INT32_T;
  }
  return MPI_DATATYPE_NULL;
}

// out[i] = sum over ranks r of all[r * stride + i], added in rank order.
template <typename T>
void ordered_sum(const T* all, T* out, int64_t n, int ranks, int64_t stride) {
  for (int64_t i = 0; i < n; ++i) {
    T s = all[i];
    for (int r = 1; r < ranks; ++r) s = static_cast<T>(s + all[static_cast<int64_t>(r) * stride + i]);
    out[i] = s;
  }
}

// i32 sums wrap modulo 2^32 as every i32 op of the IR does.
void ordered_sum_i32(const int32_t* all, int32_t* out, int64_t n, int ranks, int64_t stride) {
  for (int64_t i = 0; i < n; ++i) {
    uint32_t s = static_cast<uint32_t>(all[i]);
    for (int r = 1; r < ranks; ++r) s += static_cast<uint32_t>(all[static_cast<int64_t>(r) * stride + i]);
    out[i] = static_cast<int32_t>(s);
  }
}

// out[0, n) = the rank-order sum of elements [first, first + n) of the gathered
// messages all[r * stride, (r + 1) * stride), r = 0..ranks-1.
void sum_gathered(ir::DType dtype, const char* all, void* out, int64_t first, int64_t n, int ranks, int64_t stride) {
  switch (dtype) {
    case ir::DType::F32:
      return ordered_sum(reinterpret_cast<const float*>(all) + first, static_cast<float*>(out), n, ranks, stride);
    case ir::DType::F64:
      return ordered_sum(reinterpret_cast<const double*>(all) + first, static_cast<double*>(out), n, ranks, stride);
    case ir::DType::I32:
      return ordered_sum_i32(reinterpret_cast<const int32_t*>(all) + first, static_cast<int32_t*>(out), n, ranks,
                             stride);
  }
}

// A bucket's sum in flight (all_reduce_start .. all_reduce_wait): its message, the
// gathered messages of every rank, and the MPI request. Kept between steps, so
// that the buffers are allocated once.
struct Pending {
  MPI_Request request = MPI_REQUEST_NULL;
  ir::DType dtype = ir::DType::F32;
  std::vector<char> send, recv;
  int64_t n = 0;  // elements of the message
  bool active = false;
};
std::map<int64_t, Pending> g_pending;

void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  fail("MPI: {} failed: {}", what, std::string(text, static_cast<size_t>(len)));
}

}  // namespace

bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
}

World::World() {
  int started = 0;
  MPI_Initialized(&started);
  if (!started) check_mpi(MPI_Init(nullptr, nullptr), "MPI_Init");
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

World& World::start() {
  if (!g_world) {
    g_world.reset(new World());
    install_collectives(g_world.get());
  }
  return *g_world;
}

World* World::current() { return g_world.get(); }

World::~World() {
  install_collectives(nullptr);
  finish();
}

void World::finish() {
  if (finished_) return;
  finished_ = true;
  close_counter();
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Finalize();
}

void World::all_reduce_sum(ir::DType dtype, void* data, int64_t n) {
  if (size_ == 1 || n == 0) return;
  if (n > INT32_MAX / size_) fail("all_reduce of {} elements over {} ranks: too large for one MPI call", n, size_);
  size_t elem = ir::dtype_size(dtype);
  thread_local std::vector<char> all;
  all.resize(static_cast<size_t>(n) * elem * static_cast<size_t>(size_));
  check_mpi(MPI_Allgather(data, static_cast<int>(n), mpi_type(dtype), all.data(), static_cast<int>(n), mpi_type(dtype),
                          MPI_COMM_WORLD),
            "MPI_Allgather");
  sum_gathered(dtype, all.data(), data, 0, n, size_, n);
}

void World::start_sum(int64_t id, ir::DType dtype, const std::vector<Part>& parts) {
  Pending& p = g_pending[id];
  if (p.active) fail("all_reduce_start of bucket {}: the bucket's previous sum is still in flight", id);
  size_t elem = ir::dtype_size(dtype);
  p.dtype = dtype, p.n = 0;
  for (const Part& part : parts) p.n += part.n;
  if (p.n > INT32_MAX / size_) fail("all_reduce_start of {} elements over {} ranks: too large for one MPI call", p.n, size_);
  p.send.resize(static_cast<size_t>(p.n) * elem);
  p.recv.resize(p.send.size() * static_cast<size_t>(size_));
  size_t at = 0;
  for (const Part& part : parts) {
    std::memcpy(p.send.data() + at, part.data, static_cast<size_t>(part.n) * elem);
    at += static_cast<size_t>(part.n) * elem;
  }
  check_mpi(MPI_Iallgather(p.send.data(), static_cast<int>(p.n), mpi_type(dtype), p.recv.data(), static_cast<int>(p.n),
                           mpi_type(dtype), MPI_COMM_WORLD, &p.request),
            "MPI_Iallgather");
  p.active = true;
  ++in_flight_;
}

// Sum j of the wait is the rank-order sum of part j of every rank's message, as
// all_reduce_sum adds: the same bits.
void World::wait_sum(int64_t id, const std::vector<Part>& outs) {
  auto it = g_pending.find(id);
  if (it == g_pending.end() || !it->second.active) fail("all_reduce_wait of bucket {}: no sum of it is in flight", id);
  Pending& p = it->second;
  check_mpi(MPI_Wait(&p.request, MPI_STATUS_IGNORE), "MPI_Wait");
  p.active = false;
  --in_flight_;
  int64_t first = 0;
  for (const Part& out : outs) {
    sum_gathered(p.dtype, p.recv.data(), out.data, first, out.n, size_, p.n);
    first += out.n;
  }
  if (first != p.n) fail("all_reduce_wait of bucket {}: {} elements, but its start sent {}", id, first, p.n);
}

// One MPI_Test drives Open MPI's progress engine for every request in flight.
void World::progress() {
  for (auto& [id, p] : g_pending) {
    if (!p.active || p.request == MPI_REQUEST_NULL) continue;
    int done = 0;
    check_mpi(MPI_Test(&p.request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (!done) return;
  }
}

std::vector<std::string> World::all_gather(const std::string& mine) {
  int len = static_cast<int>(mine.size());
  std::vector<int> lens(static_cast<size_t>(size_)), offsets(static_cast<size_t>(size_));
  check_mpi(MPI_Allgather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
  int total = 0;
  for (int r = 0; r < size_; ++r) offsets[static_cast<size_t>(r)] = total, total += lens[static_cast<size_t>(r)];
  std::string all(static_cast<size_t>(total), '\0');
  check_mpi(MPI_Allgatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), offsets.data(), MPI_CHAR,
                           MPI_COMM_WORLD),
            "MPI_Allgatherv");
  std::vector<std::string> out;
  for (int r = 0; r < size_; ++r)
    out.push_back(all.substr(static_cast<size_t>(offsets[static_cast<size_t>(r)]),
                             static_cast<size_t>(lens[static_cast<size_t>(r)])));
  return out;
}

std::string World::broadcast(const std::string& from_root) {
  int64_t len = static_cast<int64_t>(from_root.size());
  check_mpi(MPI_Bcast(&len, 1, MPI_INT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast");
  std::string s = rank_ == 0 ? from_root : std::string(static_cast<size_t>(len), '\0');
  check_mpi(MPI_Bcast(s.data(), static_cast<int>(len), MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
  return s;
}

void World::barrier() { check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

void World::open_counter() {
  if (window_) fail("the work counter is already open");
  MPI_Win win;
  void* base = nullptr;
  MPI_Aint bytes = rank_ == 0 ? static_cast<MPI_Aint>(sizeof(int64_t)) : 0;
  check_mpi(MPI_Win_allocate(bytes, sizeof(int64_t), MPI_INFO_NULL, MPI_COMM_WORLD, &base, &win), "MPI_Win_allocate");
  counter_ = static_cast<int64_t*>(base);
  if (rank_ == 0) {
    MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win);
    *counter_ = 0;
    MPI_Win_unlock(0, win);
  }
  window_ = new MPI_Win(win);
  barrier();
}

// MPI_Fetch_and_op is atomic with respect to every other on the same window.
int64_t World::next() {
  if (!window_) fail("the work counter is not open");
  MPI_Win win = *static_cast<MPI_Win*>(window_);
  int64_t one = 1, got = 0;
  check_mpi(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win), "MPI_Win_lock");
  check_mpi(MPI_Fetch_and_op(&one, &got, MPI_INT64_T, 0, 0, MPI_SUM, win), "MPI_Fetch_and_op");
  check_mpi(MPI_Win_unlock(0, win), "MPI_Win_unlock");
  return got;
}

void World::close_counter() {
  if (!window_) return;
  auto* win = static_cast<MPI_Win*>(window_);
  MPI_Win_free(win);
  delete win;
  window_ = nullptr;
  counter_ = nullptr;
}

void World::fail_all(const std::string& message, int code) {
  std::fflush(stdout);
  fmt::print(stderr, "minigradc: rank {} of {}: {}\n", rank_, size_, message);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // not reached: MPI_Abort ends the process
}

int world_rank() { return g_world ? g_world->rank() : 0; }
int world_ranks() { return g_world ? g_world->size() : 1; }

std::vector<double> sum_over_ranks(std::vector<double> values) {
  if (g_world) g_world->all_reduce_sum(ir::DType::F64, values.data(), static_cast<int64_t>(values.size()));
  return values;
}

}  // namespace minigrad::runtime
