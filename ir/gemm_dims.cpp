// The GEMM of a matmul node or a fused matmul; see gemm_dims.h.
#include "ir/gemm_dims.h"

#include "ir/fused_kind.h"

namespace minigrad::ir {
namespace {

// A: [M, K] ([K, M] with transpose_a), B: [K, N] ([N, K] with transpose_b).
GemmDims of_matmul(const Function& f, const Node& mm) {
  const Shape& a = f.type(mm.operands[0]).shape;
  const Shape& b = f.type(mm.operands[1]).shape;
  bool ta = mm.attrs.b("transpose_a"), tb = mm.attrs.b("transpose_b");
  return GemmDims{ta ? a[1] : a[0], tb ? b[0] : b[1], ta ? a[0] : a[1]};
}

}  // namespace

std::optional<GemmDims> gemm_dims(const Function& f, const Node& n) {
  if (n.op == Op::Matmul) return of_matmul(f, n);
  if (n.op != Op::Fused || !n.body) return std::nullopt;
  std::optional<FusedKind> kind = parse_fused_kind(n.attrs.s("kind"));
  if (kind != FusedKind::Matmul && kind != FusedKind::MatmulUpdate) return std::nullopt;
  const Function& body = *n.body;
  for (size_t i = 0; i < body.size(); ++i)
    if (body.node(i).op == Op::Matmul) return of_matmul(body, body.node(i));
  return std::nullopt;
}

}  // namespace minigrad::ir
