// A count of the work passes do, for the pass manager's records and the test that
// holds compile work to linear growth without a clock (tests/passes/pass_work_test):
// code that walks nodes adds how many it walked. Function::replace_all_uses counts
// the nodes it scans; the fusion helpers and the rewriter (passes/) count theirs.
// Per thread, as each thread compiles its own module.
#pragma once

#include <cstdint>

namespace minigrad::ir {

inline thread_local uint64_t node_visit_count = 0;
inline void count_visits(uint64_t n) { node_visit_count += n; }

}  // namespace minigrad::ir
