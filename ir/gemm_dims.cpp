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

// A convolution's implicit GEMM over the whole batch (docs/jit.md, "Images"), with
// B images of P = OH OW positions, F filters, C channels, g groups, T = C/g KH KW
// taps: forward F x (B P) x T; input gradient (C KH KW) x (B P) x F/g; weight
// gradient F x T x (B P). Each is 2 F T B P operations, as the convolution's.
GemmDims of_convolution(const Function& f, const Node& n) {
  const Shape& y = n.op == Op::Conv2d ? f.type(n.result()).shape : f.type(n.operands[0]).shape;  // [B, F, OH, OW]
  const Shape& w = n.op == Op::Conv2dWeightGrad ? f.type(n.result()).shape : f.type(n.operands[1]).shape;
  int64_t positions = y[0] * y[2] * y[3], taps = w[1] * w[2] * w[3], groups = n.attrs.i("groups");
  if (n.op == Op::Conv2d) return GemmDims{w[0], positions, taps};
  if (n.op == Op::Conv2dInputGrad) return GemmDims{taps * groups, positions, w[0] / groups};
  return GemmDims{w[0], taps, positions};
}

}  // namespace

std::optional<GemmDims> gemm_dims(const Function& f, const Node& n) {
  if (n.op == Op::Matmul) return of_matmul(f, n);
  if (n.op == Op::Conv2d || n.op == Op::Conv2dInputGrad || n.op == Op::Conv2dWeightGrad) return of_convolution(f, n);
  if (n.op != Op::Fused || !n.body) return std::nullopt;
  std::optional<FusedKind> kind = parse_fused_kind(n.attrs.s("kind"));
  if (kind != FusedKind::Matmul && kind != FusedKind::MatmulUpdate) return std::nullopt;
  const Function& body = *n.body;
  for (size_t i = 0; i < body.size(); ++i)
    if (body.node(i).op == Op::Matmul) return of_matmul(body, body.node(i));
  return std::nullopt;
}

}  // namespace minigrad::ir
