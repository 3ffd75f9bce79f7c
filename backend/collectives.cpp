// The collectives hook of the backends; see collectives.h.
#include "backend/collectives.h"

#include <chrono>
#include <cstring>

#include "ir/error.h"

namespace minigrad {
namespace {
Collectives* g_collectives = nullptr;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}

void install_collectives(Collectives* c) { g_collectives = c; }
Collectives* installed_collectives() { return g_collectives; }
int world_size() { return g_collectives ? g_collectives->size() : 1; }

void run_all_reduce(ir::DType dtype, const void* in, void* out, int64_t n) {
  if (in != out) std::memcpy(out, in, static_cast<size_t>(n) * ir::dtype_size(dtype));
  if (g_collectives == nullptr) return;  // one rank: the sum is the operand
  auto t0 = std::chrono::steady_clock::now();
  g_collectives->all_reduce_sum(dtype, out, n);
  double dt = seconds_since(t0);
  g_collectives->seconds += dt, g_collectives->blocking_seconds += dt;
  ++g_collectives->calls;
}

namespace {

void copy_parts(ir::DType dtype, int64_t k, const void* const* in, void* const* out, const int64_t* counts) {
  for (int64_t i = 0; i < k; ++i)
    if (in[i] != out[i]) std::memcpy(out[i], in[i], static_cast<size_t>(counts[i]) * ir::dtype_size(dtype));
}

std::vector<Collectives::Part> parts_of(int64_t k, void* const* data, const int64_t* counts) {
  std::vector<Collectives::Part> parts;
  for (int64_t i = 0; i < k; ++i) parts.push_back({data[i], counts[i]});
  return parts;
}

}  // namespace

void run_all_reduce_start(int64_t id, ir::DType dtype, int64_t k, const void* const* in, void* const* out,
                          const int64_t* counts) {
  copy_parts(dtype, k, in, out, counts);
  if (g_collectives == nullptr || g_collectives->size() == 1) return;  // one rank: the sum is the operand
  auto t0 = std::chrono::steady_clock::now();
  g_collectives->start_sum(id, dtype, parts_of(k, out, counts));
  double dt = seconds_since(t0);
  g_collectives->seconds += dt, g_collectives->start_seconds += dt;
  ++g_collectives->calls;
}

void run_all_reduce_wait(int64_t id, ir::DType dtype, int64_t k, const void* const* in, void* const* out,
                         const int64_t* counts) {
  if (g_collectives == nullptr || g_collectives->size() == 1) return copy_parts(dtype, k, in, out, counts);
  auto t0 = std::chrono::steady_clock::now();
  g_collectives->wait_sum(id, parts_of(k, out, counts));
  double dt = seconds_since(t0);
  g_collectives->seconds += dt, g_collectives->wait_seconds += dt;
  ++g_collectives->calls;
}

void run_collective_progress() {
  if (g_collectives == nullptr || !g_collectives->in_flight()) return;
  auto t0 = std::chrono::steady_clock::now();
  g_collectives->progress();
  double dt = seconds_since(t0);
  g_collectives->seconds += dt, g_collectives->progress_seconds += dt;
  ++g_collectives->progress_calls;
}

void check_collectives(const ir::Function& f) {
  std::vector<const ir::Node*> nodes = f.nodes_of(ir::Op::AllReduce);
  for (ir::Op op : {ir::Op::AllReduceStart, ir::Op::AllReduceWait})
    for (const ir::Node* n : f.nodes_of(op)) nodes.push_back(n);
  for (const ir::Node* n : nodes) {
    int64_t ranks = n->attrs.i("ranks");
    if (ranks != world_size())
      fail("{} at {} in @{} sums over {} ranks, but this process is one of {} (start it with mpirun -np {})",
           ir::op_name(n->op), ir::to_string(n->locs), f.name(), ranks, world_size(), ranks);
  }
}

}  // namespace minigrad
