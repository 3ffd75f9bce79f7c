// Window geometry from attributes; see window.h.
#include "ir/window.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/error.h"

namespace minigrad::ir {
namespace {

// The pair of attribute `name`, each element at least `least`.
std::pair<int64_t, int64_t> pair_of(const Attrs& attrs, const char* name, int64_t least) {
  const std::vector<int64_t>& v = attrs.ints(name);
  if (v.size() != 2 || v[0] < least || v[1] < least)
    fail("attribute '{}' must be [height, width], each >= {}, got [{}]", name, least, fmt::join(v, ", "));
  return {v[0], v[1]};
}

}  // namespace

Window window_of(const Attrs& attrs, int64_t kh, int64_t kw) {
  Window w;
  auto [sh, sw] = pair_of(attrs, "stride", 1);
  auto [ph, pw] = pair_of(attrs, "padding", 0);
  int64_t dh = 1, dw = 1;
  if (attrs.has("dilation")) std::tie(dh, dw) = pair_of(attrs, "dilation", 1);
  w.h = {kh, sh, ph, dh};
  w.w = {kw, sw, pw, dw};
  if (attrs.has("groups")) w.groups = attrs.i("groups");
  return w;
}

Window window_of(const Attrs& attrs) {
  auto [kh, kw] = pair_of(attrs, "kernel", 1);
  return window_of(attrs, kh, kw);
}

std::string describe(const Window& w) {
  std::string s = fmt::format("kernel {}x{} stride {}x{} padding {}x{}", w.h.kernel, w.w.kernel, w.h.stride,
                              w.w.stride, w.h.pad, w.w.pad);
  if (w.h.dilation != 1 || w.w.dilation != 1) s += fmt::format(" dilation {}x{}", w.h.dilation, w.w.dilation);
  if (w.groups != 1) s += fmt::format(" groups {}", w.groups);
  return s;
}

}  // namespace minigrad::ir
