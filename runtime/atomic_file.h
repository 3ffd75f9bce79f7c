// Atomic file writing: the bytes go to a temporary file beside the target, which is
// fsynced and renamed over the target only when everything was written, so a reader
// sees either the old file or the whole new one, never a torn write (a crash or a
// full disk midway leaves the target untouched). Every result file of minigrad
// (.npy, checkpoints, metrics, tables) is written this way.
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

// Writes `text` to `path` atomically.
void write_file_atomic(const std::filesystem::path& path, std::string_view text);

}  // namespace minigrad::runtime
