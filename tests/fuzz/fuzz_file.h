// Shared by the libFuzzer targets: the readers under test take a path, so each
// input is written to one file per process (in $TMPDIR) and read back; a reader's
// minigrad::Error is the expected answer to bad input, anything else (a crash, a
// sanitizer report, another exception escaping) is a finding. The directory is
// removed when the process exits normally (libFuzzer's time limit, a corpus replay).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace minigrad::fuzz {

// This process's scratch directory: made on first use, removed at exit.
struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    const char* t = std::getenv("TMPDIR");
    path = std::filesystem::path(t ? t : "/tmp") / ("minigrad-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ignored;  // nothing to report at exit
    std::filesystem::remove_all(path, ignored);
  }
};

// A file named `name` in this process's scratch directory, holding data[0, size).
inline std::filesystem::path input_file(const uint8_t* data, size_t size, const std::string& name) {
  static const ScratchDir dir;
  std::filesystem::path p = dir.path / name;
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return p;
}

}  // namespace minigrad::fuzz
