// all_reduce(x){ranks}: the sum of x over the ranks of a data-parallel run, through
// the collectives the runtime installed (backend/collectives.h); in a world of one
// rank, x itself. all_reduce_start / all_reduce_wait: the same sum in two halves
// for a bucket of values (ir/ops.def), through the same collectives.
#include "backend/collectives.h"
#include "backend/interp/kernel.h"

#include <vector>

namespace minigrad::interp {

void all_reduce(const Call& c) {
  const Buffer& x = c.in(0);
  run_all_reduce(x.type().dtype, x.data(), c.out().data(), x.numel());
}

namespace {

// The halves' arguments: the operands' and results' addresses and the element counts.
struct Halves {
  std::vector<const void*> in;
  std::vector<void*> out;
  std::vector<int64_t> counts;
};

Halves halves(const Call& c) {
  Halves h;
  for (size_t i = 0; i < c.node.operands.size(); ++i) {
    h.in.push_back(c.in(i).data());
    h.out.push_back(c.out(i).data());
    h.counts.push_back(c.in(i).numel());
  }
  return h;
}

}  // namespace

void all_reduce_start(const Call& c) {
  Halves h = halves(c);
  run_all_reduce_start(c.node.attrs.i("bucket"), c.in(0).type().dtype, static_cast<int64_t>(h.in.size()), h.in.data(),
                       h.out.data(), h.counts.data());
}

void all_reduce_wait(const Call& c) {
  Halves h = halves(c);
  run_all_reduce_wait(c.node.attrs.i("bucket"), c.in(0).type().dtype, static_cast<int64_t>(h.in.size()), h.in.data(),
                      h.out.data(), h.counts.data());
}

}  // namespace minigrad::interp
