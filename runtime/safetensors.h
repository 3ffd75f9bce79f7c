// The safetensors file format (Hugging Face's, what PyTorch users exchange weights
// in): an 8-byte little-endian header length N, N bytes of JSON mapping each tensor
// name to {"dtype": "F32", "shape": [out, in], "data_offsets": [begin, end]} plus an
// optional "__metadata__" map of strings to strings, then the raw little-endian
// bytes of every tensor, back to back. This file reads and writes the format and
// nothing more: which tensors a minigrad model has, and their layouts, is
// checkpoint.h's business.
//
// Reading checks everything a damaged file could get wrong (length, JSON, dtype
// names, shapes, offsets inside the data and covering it without holes or overlaps,
// byte counts matching shapes) and names the file and the tensor. Writing is atomic
// (runtime/atomic_file.h) and pads the header with spaces so the data starts at a
// multiple of 8 bytes, as the reference implementation does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace minigrad::runtime {

// The element types of the format that minigrad converts from and to.
enum class StDType : uint8_t { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

std::string_view st_dtype_name(StDType d);  // "F32"
size_t st_dtype_size(StDType d);            // bytes per element

struct StTensor {
  std::string name;
  StDType dtype = StDType::F32;
  std::vector<int64_t> shape;  // [] is a scalar
  std::vector<std::byte> data;  // little-endian, C order

  int64_t numel() const;
};

struct SafeTensors {
  std::vector<StTensor> tensors;                 // written in this order; read back sorted by name
  std::map<std::string, std::string> metadata;   // "__metadata__"

  const StTensor* find(const std::string& name) const;
};

// Reads `path`; Error naming the file (and the tensor) if it is not a valid file.
SafeTensors read_safetensors(const std::filesystem::path& path);

// Writes `st` to `path` atomically; tensors in the order given. Error on duplicate
// names, a byte count that does not match a shape, or a failed write.
void write_safetensors(const std::filesystem::path& path, const SafeTensors& st);

// "[192, 128]": a shape as messages show it.
std::string st_shape_string(const std::vector<int64_t>& shape);

}  // namespace minigrad::runtime
