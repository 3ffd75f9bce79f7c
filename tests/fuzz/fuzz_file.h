// Shared by the libFuzzer targets: the readers under test take a path, so each
// input is written to one file per process (in $TMPDIR) and read back; a reader's
// minigrad::Error is the expected answer to bad input, anything else (a crash, a
// sanitizer report, another exception escaping) is a finding.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace minigrad::fuzz {

// A file named `name` in this process's scratch directory, holding data[0, size).
inline std::filesystem::path input_file(const uint8_t* data, size_t size, const std::string& name) {
  static const std::filesystem::path dir = [] {
    const char* t = std::getenv("TMPDIR");
    std::filesystem::path d = std::filesystem::path(t ? t : "/tmp") / ("minigrad-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  std::filesystem::path p = dir / name;
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return p;
}

}  // namespace minigrad::fuzz
