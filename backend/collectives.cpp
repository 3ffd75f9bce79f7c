// The collectives hook of the backends; see collectives.h.
#include "backend/collectives.h"

#include <chrono>
#include <cstring>

#include "ir/error.h"

namespace minigrad {
namespace {
Collectives* g_collectives = nullptr;
}

void install_collectives(Collectives* c) { g_collectives = c; }
Collectives* installed_collectives() { return g_collectives; }
int world_size() { return g_collectives ? g_collectives->size() : 1; }

void run_all_reduce(ir::DType dtype, const void* in, void* out, int64_t n) {
  if (in != out) std::memcpy(out, in, static_cast<size_t>(n) * ir::dtype_size(dtype));
  if (g_collectives == nullptr) return;  // one rank: the sum is the operand
  auto t0 = std::chrono::steady_clock::now();
  g_collectives->all_reduce_sum(dtype, out, n);
  g_collectives->seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ++g_collectives->calls;
}

void check_collectives(const ir::Function& f) {
  for (const ir::Node* n : f.nodes_of(ir::Op::AllReduce)) {
    int64_t ranks = n->attrs.i("ranks");
    if (ranks != world_size())
      fail("all_reduce at {} in @{} sums over {} ranks, but this process is one of {} (start it with mpirun -np {})",
           ir::to_string(n->locs), f.name(), ranks, world_size(), ranks);
  }
}

}  // namespace minigrad
