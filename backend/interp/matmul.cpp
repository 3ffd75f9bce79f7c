// matmul{transpose_a, transpose_b}: C = op(A) op(B), op(X) = X^T when the flag is
// set, else X. The buffers are row-major matrices, viewed in place as Eigen maps;
// Eigen does the product (accumulating in the element type, as PyTorch's GEMM does).
#include <Eigen/Core>

#include "backend/interp/kernel.h"

namespace minigrad::interp {
namespace {

template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The buffer of a rank-2 value as an Eigen matrix, transposed if asked.
template <typename T>
RowMajor<T> operand(const Buffer& b, bool transposed) {
  Eigen::Map<const RowMajor<T>> m(b.as<T>(), b.type().shape[0], b.type().shape[1]);
  if (transposed) return m.transpose();
  return m;
}

}  // namespace

void matmul(const Call& c) {
  bool ta = c.attrs().b("transpose_a"), tb = c.attrs().b("transpose_b");
  with_float(c.node, c.out().type().dtype, [&](auto t) {
    using T = decltype(t);
    const ir::Shape& shape = c.out().type().shape;
    Eigen::Map<RowMajor<T>> out(c.out().as<T>(), shape[0], shape[1]);
    out.noalias() = operand<T>(c.in(0), ta) * operand<T>(c.in(1), tb);
  });
}

}  // namespace minigrad::interp
