// Helpers for the runtime data tests: a temporary directory removed at the end of the
// test, raw file writing, gzip compression through zlib, hand-built .npy bytes, and
// capturing the message of an expected minigrad::Error.
#pragma once

#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "ir/error.h"

namespace minigrad::runtime::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "minigrad-test-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Writes `src` gzip-compressed to `dst`.
inline void gzip_file(const std::filesystem::path& src, const std::filesystem::path& dst) {
  std::string bytes = read_bytes(src);
  gzFile gz = gzopen(dst.c_str(), "wb9");
  if (gz == nullptr) throw std::runtime_error("gzopen failed");
  int wrote = gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(gz);
  if (wrote != static_cast<int>(bytes.size())) throw std::runtime_error("gzwrite failed");
}

// A .npy file built by hand: magic, `major`.`minor`, the header length field (2 bytes
// for major 1, else 4), the dict as given (no padding added), then `data`.
inline std::string raw_npy(std::string_view dict, std::string_view data, int major = 1,
                           int minor = 0) {
  std::string out("\x93NUMPY", 6);
  out.push_back(static_cast<char>(major));
  out.push_back(static_cast<char>(minor));
  int len_bytes = major == 1 ? 2 : 4;
  for (int i = 0; i < len_bytes; ++i)
    out.push_back(static_cast<char>((dict.size() >> (8 * i)) & 0xff));
  out.append(dict);
  out.append(data);
  return out;
}

// The message of the minigrad::Error that `fn` throws; fails the test if it throws
// nothing or something else.
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected minigrad::Error, got another exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected minigrad::Error, nothing was thrown";
  return {};
}

}  // namespace minigrad::runtime::testing
