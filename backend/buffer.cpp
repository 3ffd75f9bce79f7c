// Aligned host storage; see buffer.h.
#include "backend/buffer.h"

#include <cstdlib>
#include <new>

namespace minigrad {

void Buffer::Free::operator()(std::byte* p) const { std::free(p); }

Buffer::Buffer(ir::Type t) : Buffer(std::move(t), true) {}

Buffer Buffer::uninitialized(ir::Type t) { return Buffer(std::move(t), false); }

Buffer::Buffer(ir::Type t, bool zeroed) : type_(std::move(t)) {
  size_t n = (std::max<size_t>(bytes(), 1) + kAlign - 1) / kAlign * kAlign;
  auto* p = static_cast<std::byte*>(std::aligned_alloc(kAlign, n));
  if (p == nullptr) throw std::bad_alloc();
  size_t from = zeroed ? 0 : bytes();  // the padding past the elements is zeroed either way
  std::memset(p + from, 0, n - from);
  data_.reset(p);
}

Buffer::Buffer(const Buffer& other) : Buffer(other.type_, !other.data_) {
  if (other.data_) std::memcpy(data(), other.data(), bytes());
}

Buffer& Buffer::operator=(const Buffer& other) {
  if (this != &other) *this = Buffer(other);
  return *this;
}

namespace {
template <typename From, typename To>
void convert_elements(const Buffer& src, Buffer& dst) {
  const From* s = src.as<From>();
  To* d = dst.as<To>();
  for (int64_t i = 0; i < src.numel(); ++i) d[i] = static_cast<To>(s[i]);
}

template <typename From>
void convert_from(const Buffer& src, Buffer& dst) {
  switch (dst.type().dtype) {
    case ir::DType::F32: convert_elements<From, float>(src, dst); break;
    case ir::DType::F64: convert_elements<From, double>(src, dst); break;
    case ir::DType::I32: convert_elements<From, int32_t>(src, dst); break;
  }
}
}  // namespace

Buffer convert(const Buffer& src, ir::DType to) {
  Buffer dst = Buffer::uninitialized(ir::Type{to, src.type().shape});  // every element written below
  switch (src.type().dtype) {
    case ir::DType::F32: convert_from<float>(src, dst); break;
    case ir::DType::F64: convert_from<double>(src, dst); break;
    case ir::DType::I32: convert_from<int32_t>(src, dst); break;
  }
  return dst;
}

}  // namespace minigrad
