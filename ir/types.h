// Element types, static shapes and value types of the IR. A shape is a list of
// extents, each >= 1 (a scalar has rank 0); every value's type is known when it is
// created, so every kernel is specialised on its extents.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace minigrad::ir {

enum class DType : uint8_t { F32, F64, I32 };

std::string_view dtype_name(DType d);                    // "f32"
bool parse_dtype(std::string_view text, DType* out);      // false if unknown
size_t dtype_size(DType d);                               // bytes per element
inline bool is_float(DType d) { return d != DType::I32; }

using Dims = std::vector<int64_t>;

struct Shape {
  Dims dims;

  Shape() = default;
  Shape(Dims d) : dims(std::move(d)) {}
  Shape(std::initializer_list<int64_t> d) : dims(d) {}

  int rank() const { return static_cast<int>(dims.size()); }
  int64_t operator[](int i) const { return dims[static_cast<size_t>(i)]; }
  int64_t numel() const;
  bool operator==(const Shape&) const = default;
};

struct Type {
  DType dtype = DType::F32;
  Shape shape;

  int64_t numel() const { return shape.numel(); }
  size_t bytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  bool operator==(const Type&) const = default;
};

std::string to_string(const Shape& s);  // "[64,128]", "[]"
std::string to_string(const Type& t);   // "f32[64,128]"

}  // namespace minigrad::ir
