// dropout(x, seed, step){p, salt}: inverted dropout with the mask that ir/dropout.h
// defines for every backend. With key = dropout_key(seed, salt, step), element i
// (flat index) is kept iff dropout_keep(key, i + offset, p); then
//   y_i = x_i * scale where kept, 0 where dropped,   scale = 1 / (1 - p)
// with scale computed in the element type, so every backend rounds it alike.
// seed and step are i32 scalars, read as their 32-bit patterns.
#include "backend/interp/kernel.h"
#include "ir/dropout.h"

namespace minigrad::interp {

void dropout(const Call& c) {
  double p = c.attrs().f("p");
  auto seed = static_cast<uint32_t>(c.in(1).as<int32_t>()[0]);
  auto step = static_cast<uint32_t>(c.in(2).as<int32_t>()[0]);
  uint32_t key = ir::dropout_key(seed, static_cast<uint32_t>(c.attrs().i("salt")), step);
  auto offset = static_cast<uint32_t>(c.attrs().i("offset"));  // modulo 2^32, as every backend
  if (c.out().numel() > int64_t{1} << 32) fail_at(c.node, "has more than 2^32 elements; the mask index is 32 bits");
  with_float(c.node, c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    const T scale = T(1) / (T(1) - static_cast<T>(p));
    const T* x = c.in(0).as<T>();
    T* y = c.out().as<T>();
    for (int64_t i = 0; i < c.out().numel(); ++i)
      y[i] = ir::dropout_keep(key, static_cast<uint32_t>(i) + offset, static_cast<float>(p)) ? x[i] * scale : T(0);
  });
}

}  // namespace minigrad::interp
