// NumPy .npy files: reading (format versions 1.0, 2.0 and 3.0; little-endian, C order;
// uint8, bool, int32, int64, float32, float64) and atomic writing. Reading goes through
// zlib's gzread, which also reads uncompressed files, so `x.npy.gz` works wherever
// `x.npy` does. Every malformed file is an Error naming the file and what was wrong.
// The format: "\x93NUMPY", major, minor, header length (2 bytes in 1.0, 4 in 2.0/3.0),
// a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, F), }
// padded with spaces and '\n', then the raw elements.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "backend/buffer.h"

namespace minigrad::runtime {

// Element types a .npy file may hold (the file's own type, before any conversion).
enum class NpyDType : uint8_t { U8, Bool, I32, I64, F32, F64 };

std::string_view npy_dtype_name(NpyDType d);  // "uint8", "float32", ...
size_t npy_dtype_size(NpyDType d);             // bytes per element

// The contents of a .npy file: its element type, shape (any rank, extents >= 0) and the
// elements as stored (little-endian, C order).
struct NpyArray {
  NpyDType dtype = NpyDType::F32;
  std::vector<int64_t> shape;
  std::vector<std::byte> data;

  int64_t numel() const;
  template <typename T>
  const T* as() const { return reinterpret_cast<const T*>(data.data()); }
};

// "(8000, 784)", "(5,)", "()": the shape as NumPy prints it.
std::string shape_string(const std::vector<int64_t>& shape);

// Reads `path` (.npy, or .npy compressed with gzip). When `ranks` is not empty, the
// array's rank must be one of them.
NpyArray read_npy(const std::filesystem::path& path, std::initializer_list<int> ranks = {});

// A Buffer of dtype `to` with the array's shape and its values converted. Converting to
// I32 requires every value to be an integer in int32's range (Error otherwise, naming
// `what` and the element index). Extents must be >= 1, as everywhere in minigrad.
Buffer to_buffer(const NpyArray& a, ir::DType to, std::string_view what);

// The array holding a copy of `b`'s elements.
NpyArray from_buffer(const Buffer& b);

// Writes `a` to `path` as an uncompressed .npy with a `version`.0 header (1, 2 or 3)
// padded so the data starts at a multiple of 64 bytes. Atomic: a temporary file in the
// same directory is written, fsynced and renamed over `path`; on failure `path` is
// untouched and the Error names it.
void write_npy(const std::filesystem::path& path, const NpyArray& a, int version = 1);

}  // namespace minigrad::runtime
