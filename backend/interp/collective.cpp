// all_reduce(x){ranks}: the sum of x over the ranks of a data-parallel run, through
// the collectives the runtime installed (backend/collectives.h); in a world of one
// rank, x itself.
#include "backend/collectives.h"
#include "backend/interp/kernel.h"

namespace minigrad::interp {

void all_reduce(const Call& c) {
  const Buffer& x = c.in(0);
  run_all_reduce(x.type().dtype, x.data(), c.out().data(), x.numel());
}

}  // namespace minigrad::interp
