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
#include <llvm/Support/xxhash.h>

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

namespace {

// An entry is kMagic, the xxh3 hash of the object as 16 hex digits and a newline,
// then the object's bytes.
constexpr std::string_view kMagic = "minigrad-object-1 ";
constexpr size_t kHeader = kMagic.size() + 16 + 1;

std::string entry_header(llvm::StringRef object) {
  return fmt::format("{}{:016x}\n", kMagic, llvm::xxh3_64bits(object));
}

// What is wrong with an entry's bytes, or "" if nothing is.
std::string damage(llvm::StringRef bytes) {
  if (bytes.size() < kHeader || !bytes.starts_with(kMagic)) return "no checksum header (truncated or not an entry)";
  if (bytes.substr(0, kHeader) != entry_header(bytes.drop_front(kHeader))) return "its checksum does not match its bytes";
  return "";
}

}  // namespace

// The entry's object, checked against its checksum; a damaged entry is reported,
// removed (so the object is compiled again and rewritten) and not returned.
std::unique_ptr<llvm::MemoryBuffer> DiskObjectCache::read(const std::string& key) const {
  if (!enabled()) return nullptr;
  auto buf = llvm::MemoryBuffer::getFile(path(key), /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buf) return nullptr;
  std::string why = damage((*buf)->getBuffer());
  if (why.empty()) return llvm::MemoryBuffer::getMemBufferCopy((*buf)->getBuffer().drop_front(kHeader), path(key));
  std::error_code ec;
  fs::remove(path(key), ec);
  fmt::print(stderr, "minigradc: warning: object cache entry {} is damaged ({}); removed, compiling it again\n",
             path(key), why);
  return nullptr;
}

bool DiskObjectCache::has(const std::string& key) const { return read(key) != nullptr; }

void DiskObjectCache::notifyObjectCompiled(const llvm::Module* m, llvm::MemoryBufferRef obj) {
  if (!enabled()) return;
  std::string final_path = path(m->getModuleIdentifier());
  // A name of this write alone: the threads of a sweep (--jobs) may compile the
  // same module at once, and each must rename a file it wrote whole.
  static std::atomic<uint64_t> writes{0};
  std::string tmp = fmt::format("{}.tmp{}.{}", final_path, ::getpid(), writes.fetch_add(1));
  {
    std::ofstream out(tmp, std::ios::binary);
    out << entry_header(obj.getBuffer());
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
  return read(m->getModuleIdentifier());
}

}  // namespace minigrad::jit
