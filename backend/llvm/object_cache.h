// The on-disk cache of compiled objects. LLVM's ObjectCache interface: before
// compiling a module, ORC's compiler asks getObject(module); after compiling, it
// hands the object to notifyObjectCompiled. Objects are files named by the
// module's identifier, which code generation sets to a digest of everything the
// object depends on (the IR function, the host CPU and its features, the code
// generator's version), so a stale entry is never found, only left unused.
// Writes go to a temporary file renamed into place, so a reader never sees a
// partial object and concurrent writers of one key are harmless.
// Each entry carries an xxh3 checksum of its object: a truncated or corrupted entry
// is reported once on stderr (a warning naming the file), removed and compiled
// again, so a damaged cache never stops a run.
//
// The directory: JitOptions::cache_dir, else jit/ under $MINIGRAD_CACHE_DIR, else
// under $XDG_CACHE_HOME/minigrad, else under $HOME/.cache/minigrad (the model
// loader's cache); "off" disables caching.
// A directory that cannot be created or written disables caching, silently: the
// cache only saves time.
#pragma once

#include <string>

#include <llvm/ExecutionEngine/ObjectCache.h>

#include "backend/llvm/object_key.h"

namespace minigrad::jit {

class DiskObjectCache final : public llvm::ObjectCache {
 public:
  explicit DiskObjectCache(const std::string& dir);

  bool enabled() const { return !dir_.empty(); }
  const std::string& dir() const { return dir_; }
  bool has(const std::string& key) const;

  void notifyObjectCompiled(const llvm::Module* m, llvm::MemoryBufferRef obj) override;
  std::unique_ptr<llvm::MemoryBuffer> getObject(const llvm::Module* m) override;

 private:
  std::string path(const std::string& key) const;
  std::unique_ptr<llvm::MemoryBuffer> read(const std::string& key) const;
  std::string dir_;
};

// The cache directory for `requested` (see above); "" when caching is off.
std::string cache_dir_for(const std::string& requested);

}  // namespace minigrad::jit
