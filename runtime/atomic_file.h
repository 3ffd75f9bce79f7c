// Atomic file writing: the bytes go to a temporary file beside the target, which is
// fsynced and renamed over the target only when everything was written, so a reader
// sees either the old file or the whole new one, never a torn write (a crash or a
// full disk midway leaves the target untouched). Every result file of minigrad
// (.npy, checkpoints, metrics, tables) is written this way.
//
// A symlink is written through: the temporary file goes beside the link's final
// target and is renamed onto it, so the link stays a link. A path that exists and is
// not a regular file (a directory, a FIFO, a device such as /dev/null, a socket) is
// refused, never replaced: check_output_path says so before any work is done.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace minigrad::runtime {

// An open temporary file beside `target`, removed unless committed. Errors name the
// target and what failed.
class AtomicFile {
 public:
  explicit AtomicFile(const std::filesystem::path& target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* p, size_t n);
  void write(std::string_view s) { write(s.data(), s.size()); }
  // fsync, close, rename over the target, then fsync the directory (best effort).
  void commit();

 private:
  [[noreturn]] void failed(std::string_view what);

  std::filesystem::path target_;
  std::string tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

// The file a write to `path` lands on: `path` with every symlink followed (also
// one whose target does not exist yet). Refuses, naming `what` (the flag) and the
// path, a path that exists and is not a regular file, or a chain of links too long.
std::filesystem::path resolve_output_path(const std::filesystem::path& path, std::string_view what = "");

// resolve_output_path for its check alone: called on every output before training.
inline void check_output_path(const std::filesystem::path& path, std::string_view what) {
  resolve_output_path(path, what);
}

// Writes `text` to `path` atomically.
void write_file_atomic(const std::filesystem::path& path, std::string_view text);

}  // namespace minigrad::runtime
