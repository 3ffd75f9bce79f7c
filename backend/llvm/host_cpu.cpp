// The host's cache sizes; see host_cpu.h.
#include "backend/llvm/host_cpu.h"

#include <unistd.h>

#include <algorithm>

#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif

namespace minigrad::jit {
namespace {

// A reported size if it is plausible for that level, else the default.
int64_t plausible(int64_t reported, int64_t lo, int64_t hi, int64_t fallback) {
  return reported >= lo && reported <= hi ? reported : fallback;
}

#if defined(__APPLE__)
int64_t sysctl_bytes(const char* name) {
  int64_t v = 0;
  size_t size = sizeof v;
  return sysctlbyname(name, &v, &size, nullptr, 0) == 0 ? v : 0;
}
#endif

}  // namespace

void read_host_caches(TargetInfo& t) {
  int64_t l1 = 0, l2 = 0, l3 = 0;
#if defined(__APPLE__)
  l1 = sysctl_bytes("hw.l1dcachesize"), l2 = sysctl_bytes("hw.l2cachesize"), l3 = sysctl_bytes("hw.l3cachesize");
#elif defined(_SC_LEVEL1_DCACHE_SIZE)
  l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE), l2 = sysconf(_SC_LEVEL2_CACHE_SIZE), l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
  const int64_t KiB = 1024, MiB = 1024 * KiB;
  t.l1d_bytes = plausible(l1, 8 * KiB, 1 * MiB, t.l1d_bytes);
  t.l2_bytes = plausible(l2, 64 * KiB, 64 * MiB, t.l2_bytes);
  // An L3 is shared; a VM may report its host's whole cache. Only its order matters here.
  t.l3_bytes = std::min<int64_t>(plausible(l3, 1 * MiB, 1024 * MiB, t.l3_bytes), 64 * MiB);
}

}  // namespace minigrad::jit
