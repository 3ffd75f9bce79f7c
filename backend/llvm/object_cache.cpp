// The on-disk object cache; see object_cache.h.
#include "backend/llvm/object_cache.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>

#include "backend/llvm/jit.h"

namespace minigrad::jit {

namespace fs = std::filesystem;

std::string object_key(const ObjectKeyInputs& in, const std::string& llvm_ir) {
  // One field a line, each labelled, so no two different inputs write the same text.
  return digest(fmt::format("codegen {}\npipeline {}\nllvm {}\ntriple {}\ncpu {}\nfeatures {}\nvector_bits {}\n"
                            "threads {}\nprofile {}\n{}",
                            in.codegen_version, in.pipeline, in.llvm_version, in.triple, in.cpu, in.features,
                            in.vector_bits, in.threads, in.profile, llvm_ir));
}

std::string cache_dir_for(const std::string& requested) {
  if (requested == "off") return "";
  if (!requested.empty()) return requested;
  if (const char* d = std::getenv("MINIGRAD_CACHE_DIR")) return std::string(d) == "off" ? "" : std::string(d) + "/jit";
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/minigrad/jit";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/minigrad/jit";
  return "";
}

DiskObjectCache::DiskObjectCache(const std::string& dir) : dir_(dir) {
  if (dir_.empty()) return;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec || !fs::is_directory(dir_)) dir_.clear();
}

std::string DiskObjectCache::path(const std::string& key) const { return dir_ + "/" + key + ".o"; }

bool DiskObjectCache::has(const std::string& key) const {
  std::error_code ec;
  return enabled() && fs::is_regular_file(path(key), ec);
}

void DiskObjectCache::notifyObjectCompiled(const llvm::Module* m, llvm::MemoryBufferRef obj) {
  if (!enabled()) return;
  std::string final_path = path(m->getModuleIdentifier());
  // A name of this write alone: the threads of a sweep (--jobs) may compile the
  // same module at once, and each must rename a file it wrote whole.
  static std::atomic<uint64_t> writes{0};
  std::string tmp = fmt::format("{}.tmp{}.{}", final_path, ::getpid(), writes.fetch_add(1));
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(obj.getBufferStart(), static_cast<std::streamsize>(obj.getBufferSize()));
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      return;
    }
  }
  std::error_code ec;
  fs::rename(tmp, final_path, ec);
  if (ec) fs::remove(tmp, ec);
}

std::unique_ptr<llvm::MemoryBuffer> DiskObjectCache::getObject(const llvm::Module* m) {
  if (!enabled()) return nullptr;
  auto buf = llvm::MemoryBuffer::getFile(path(m->getModuleIdentifier()), /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf) return nullptr;
  return std::move(*buf);
}

}  // namespace minigrad::jit
