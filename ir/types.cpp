// Names and sizes of element types; text form of shapes and types.
#include "ir/types.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/checked.h"

namespace minigrad::ir {

std::string_view dtype_name(DType d) {
  switch (d) {
    case DType::F32: return "f32";
    case DType::F64: return "f64";
    case DType::I32: return "i32";
  }
  return "?";
}

bool parse_dtype(std::string_view text, DType* out) {
  for (DType d : {DType::F32, DType::F64, DType::I32}) {
    if (text == dtype_name(d)) {
      *out = d;
      return true;
    }
  }
  return false;
}

size_t dtype_size(DType d) {
  switch (d) {
    case DType::F32: return 4;
    case DType::F64: return 8;
    case DType::I32: return 4;
  }
  return 0;
}

// Checked (ir/checked.h) with room for the widest element (8 bytes), so that
// Type::bytes, numel() times the element size, cannot overflow either: a shape
// whose bytes do not fit a 64-bit size is an Error, never a negative count.
int64_t Shape::numel() const {
  std::optional<int64_t> n = product_checked(dims);
  if (!n || !product_checked(dims, 8)) fail("shape {} is too large: its bytes would not fit a 64-bit size", to_string(*this));
  return *n;
}

std::string to_string(const Shape& s) { return fmt::format("[{}]", fmt::join(s.dims, ",")); }

std::string to_string(const Type& t) {
  return fmt::format("{}{}", dtype_name(t.dtype), to_string(t.shape));
}

}  // namespace minigrad::ir
