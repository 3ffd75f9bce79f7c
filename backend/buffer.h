// Host tensors. A Buffer owns typed, shaped, 64-byte-aligned storage (zeroed when
// created, unless made with Buffer::uninitialized by code that writes every
// element before reading any: a copy, a conversion of a loaded file); a
// TensorView is a non-owning (type, pointer) pair used to pass inputs and outputs
// to compiled functions without copying.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <span>

#include "ir/types.h"

namespace minigrad {

struct TensorView {
  ir::Type type;
  void* data = nullptr;

  template <typename T>
  T* as() const { return static_cast<T*>(data); }
};

class Buffer {
 public:
  static constexpr size_t kAlign = 64;

  Buffer() = default;
  explicit Buffer(ir::Type t);
  // Storage not zeroed: for a caller that writes every element first (the zeroing
  // would touch each page once more; a 25 MB data set is 6,000 pages).
  static Buffer uninitialized(ir::Type t);
  Buffer(const Buffer& other);
  Buffer& operator=(const Buffer& other);
  Buffer(Buffer&&) noexcept = default;
  Buffer& operator=(Buffer&&) noexcept = default;

  const ir::Type& type() const { return type_; }
  size_t bytes() const { return type_.bytes(); }
  int64_t numel() const { return type_.numel(); }
  void* data() { return data_.get(); }
  const void* data() const { return data_.get(); }
  template <typename T>
  T* as() { return static_cast<T*>(data()); }
  template <typename T>
  const T* as() const { return static_cast<const T*>(data()); }
  template <typename T>
  std::span<T> span() { return {as<T>(), static_cast<size_t>(numel())}; }
  template <typename T>
  std::span<const T> span() const { return {as<T>(), static_cast<size_t>(numel())}; }

  TensorView view() { return {type_, data()}; }
  TensorView view() const { return {type_, const_cast<void*>(data())}; }

 private:
  struct Free {
    void operator()(std::byte* p) const;
  };
  Buffer(ir::Type t, bool zeroed);
  ir::Type type_;
  std::unique_ptr<std::byte[], Free> data_;
};

// A copy of `src` converted element by element to dtype `to`.
Buffer convert(const Buffer& src, ir::DType to);

}  // namespace minigrad
