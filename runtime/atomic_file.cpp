// Atomic file writing; see atomic_file.h.
#include "runtime/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "ir/error.h"

namespace minigrad::runtime {
namespace fs = std::filesystem;

namespace {

const char* kind_of(fs::file_type t) {
  switch (t) {
    case fs::file_type::directory: return "a directory";
    case fs::file_type::fifo: return "a FIFO (named pipe)";
    case fs::file_type::character: return "a character device";
    case fs::file_type::block: return "a block device";
    case fs::file_type::socket: return "a socket";
    default: return "not a regular file";
  }
}

std::string named(const fs::path& path, std::string_view what) {
  return what.empty() ? path.string() : fmt::format("{} {}", what, path.string());
}

}  // namespace

fs::path resolve_output_path(const fs::path& path, std::string_view what) {
  fs::path at = path;
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    fs::file_status st = fs::symlink_status(at, ec);
    if (st.type() == fs::file_type::not_found) return at;
    if (ec) fail("{}: cannot write: {}", named(path, what), ec.message());
    if (st.type() == fs::file_type::regular) return at;
    if (st.type() != fs::file_type::symlink) {
      std::string via = at == path ? "" : fmt::format(" (the symlink's target {})", at.string());
      fail("{}: cannot write: it is {}{}, not a regular file; name a regular file or a new path", named(path, what),
           kind_of(st.type()), via);
    }
    fs::path link = fs::read_symlink(at, ec);
    if (ec) fail("{}: cannot read the symlink {}: {}", named(path, what), at.string(), ec.message());
    at = link.is_absolute() ? link : at.parent_path() / link;
  }
  fail("{}: cannot write: too many levels of symlinks", named(path, what));
}

AtomicFile::AtomicFile(const std::filesystem::path& path) : target_(resolve_output_path(path)) {
  const fs::path& target = target_;
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
    tmp_ = target.string() + fmt::format(".tmp.{}.{}", getpid(), counter++);
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && errno != EEXIST) failed("cannot create a temporary file");
  }
  if (fd_ < 0) failed("cannot create a temporary file");
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = ::write(fd_, c, std::min<size_t>(n, 1u << 30));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) failed("write failed");
    c += w, n -= static_cast<size_t>(w);
  }
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) failed("fsync failed");
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) failed("close failed");
  if (::rename(tmp_.c_str(), target_.c_str()) != 0) failed("rename failed");
  committed_ = true;
  std::filesystem::path dir = target_.parent_path().empty() ? "." : target_.parent_path();
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) ::fsync(dfd), ::close(dfd);
}

void AtomicFile::failed(std::string_view what) {
  fail("{}: cannot write: {}: {}", target_.string(), what, std::strerror(errno));
}

void write_file_atomic(const std::filesystem::path& path, std::string_view text) {
  AtomicFile out(path);
  out.write(text);
  out.commit();
}

}  // namespace minigrad::runtime
