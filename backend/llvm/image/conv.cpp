// The convolution kernels (ir/ops.def: conv2d and its two VJPs) as GEMMs over the
// im2col matrix of one image at a time (im2col.h), so that the generated GEMM of
// gemm/ (its register tiles, cache blocks and epilogues) does the arithmetic. For
// image n and group g (F/g filters, C/g channels, K = C/g KH KW taps, P = OH OW):
//   forward:        y_n,g[F/g, P]  = W_g[F/g, K] col_n,g[K, P]
//   input gradient: dcol[K, P]      = W_g^T dy_n,g[F/g, P],   dx_n,g = col2im(dcol)
//   weight grad.:   dW_g[F/g, K]   += dy_n,g[F/g, P] col_n,g^T   (n = 0, 1, ... in order)
// col is one image's, in the kernel's scratch (K P elements); no im2col matrix of
// the batch is ever written. The forward and the input gradient split over images
// (a thread's slice is a range of n, each with its own scratch: the same bits at
// any thread count); the weight gradient adds the images in order in one slice.
#include "backend/llvm/image/image_kernels.h"

#include "backend/llvm/gemm/gemm.h"
#include "backend/llvm/image/im2col.h"
#include "backend/llvm/kernel.h"

namespace minigrad::jit {
namespace {

using llvm::Value;

int64_t aligned64(int64_t bytes) { return (bytes + 63) / 64 * 64; }

// The geometry of node n's image side: x's extents (operand `x_index`, or the
// attribute `input` for the input gradient), the window and the output extents.
struct ConvShape {
  ImageGeometry img;   // one group's channels of one image
  int64_t batch, channels, filters;
  int64_t group_filters() const { return filters / img.win.groups; }
};

// From node n's two operand types and its result type.
ConvShape conv_shape(const ir::Node& n, const ir::Type& a, const ir::Type& b, const ir::Type& result) {
  ConvShape s;
  const ir::Shape& out = result.shape;
  ir::Shape x, dy, w;
  if (n.op == ir::Op::Conv2d) x = a.shape, w = b.shape, dy = out;
  else if (n.op == ir::Op::Conv2dInputGrad) dy = a.shape, w = b.shape, x = out;
  else dy = a.shape, x = b.shape, w = out;  // conv2d_weight_grad
  ir::Window win = ir::window_of(n.attrs, w[2], w[3]);
  s.batch = x[0], s.channels = x[1], s.filters = dy[1];
  s.img = ImageGeometry{result.dtype, x[1] / win.groups, x[2], x[3], dy[2], dy[3], win};
  return s;
}

ConvShape conv_shape(const ir::Function& f, const ir::Node& n) {
  return conv_shape(n, f.type(n.operands[0]), f.type(n.operands[1]), f.type(n.result()));
}

GemmShape group_gemm(const ConvShape& c, ir::Op op) {
  GemmShape g;
  g.dtype = c.img.dtype;
  int64_t fg = c.group_filters(), k = c.img.taps(), p = c.img.positions();
  if (op == ir::Op::Conv2d) g.m = fg, g.n = p, g.k = k;                            // W_g col
  else if (op == ir::Op::Conv2dInputGrad) g.m = k, g.n = p, g.k = fg, g.ta = true;  // W_g^T dy
  else g.m = fg, g.n = k, g.k = p, g.tb = true;                                    // dy col^T
  return g;
}

GemmPlan plan_of(const ConvShape& c, ir::Op op, const TargetInfo& t) {
  return plan_gemm(group_gemm(c, op), t, op == ir::Op::Conv2dWeightGrad, 1);
}

// What a kernel needs: the shape, the GEMM plan, scratch = [col | GEMM scratch].
struct ConvKernel {
  Kernel& k;
  ConvShape c;
  GemmPlan plan;
  Value *col, *gemm_scratch;

  explicit ConvKernel(Kernel& kernel)
      : k(kernel), c(conv_shape(kernel.node, kernel.in[0].type, kernel.in[1].type, kernel.out[0].type)), plan(plan_of(c, kernel.node.op, kernel.e.target())) {
    auto& b = k.e.b();
    col = k.scratch;
    gemm_scratch = b.CreateGEP(b.getInt8Ty(), k.scratch, k.e.idx(aligned64(col_bytes())));
    k.note = "implicit GEMM " + std::to_string(plan.s.m) + "x" + std::to_string(plan.s.n) + "x" +
             std::to_string(plan.s.k) + " per image" + (c.img.win.groups > 1 ? " and group" : "") + ": " +
             plan.describe();
  }
  int64_t col_bytes() const { return c.img.taps() * c.img.positions() * int64_t(ir::dtype_size(c.img.dtype)); }
  // Element offsets of image n's group g in x (C channels) and in dy (F filters).
  Value* x_at(Value* n, int64_t g) {
    auto& b = k.e.b();
    return b.CreateMul(b.CreateAdd(b.CreateMul(n, k.e.idx(c.channels)), k.e.idx(g * c.img.channels)),
                       k.e.idx(c.img.h * c.img.w));
  }
  Value* dy_at(Value* n, int64_t g) {
    auto& b = k.e.b();
    return b.CreateMul(b.CreateAdd(b.CreateMul(n, k.e.idx(c.filters)), k.e.idx(g * c.group_filters())),
                       k.e.idx(c.img.positions()));
  }
  Value* ptr(Value* base, Value* offset) { return k.e.at(c.img.dtype, base, offset); }
  Value* w_group(Value* w, int64_t g) { return ptr(w, k.e.idx(g * c.group_filters() * c.img.taps())); }
  // Images [begin, end) of the kernel's slice (all of them when it is not split).
  void each_image(const std::function<void(Value*)>& body) {
    k.units = c.batch;
    k.e.loop(k.begin ? k.begin : k.e.idx(0), k.end ? k.end : k.e.idx(c.batch), 1, body);
  }
};

}  // namespace

void emit_conv2d(Kernel& k) {
  ConvKernel ck(k);
  Value *x = k.in[0].ptr, *w = k.in[1].ptr, *y = k.out[0].ptr;
  ck.each_image([&](Value* n) {
    for (int64_t g = 0; g < ck.c.img.win.groups; ++g) {
      emit_im2col(k.e, ck.c.img, x, ck.x_at(n, g), ck.col);
      emit_gemm(k.e, ck.plan, ck.ptr(y, ck.dy_at(n, g)), ck.w_group(w, g), ck.col, ck.gemm_scratch);
    }
  });
}

void emit_conv2d_input_grad(Kernel& k) {
  ConvKernel ck(k);
  Value *dy = k.in[0].ptr, *w = k.in[1].ptr, *dx = k.out[0].ptr;
  ck.each_image([&](Value* n) {
    Value* image = ck.ptr(dx, ck.x_at(n, 0));
    k.e.fill(ck.c.img.dtype, image, ck.c.channels * ck.c.img.h * ck.c.img.w, k.e.constant(ck.c.img.dtype, 0.0));
    for (int64_t g = 0; g < ck.c.img.win.groups; ++g) {
      emit_gemm(k.e, ck.plan, ck.col, ck.w_group(w, g), ck.ptr(dy, ck.dy_at(n, g)), ck.gemm_scratch);
      emit_col2im(k.e, ck.c.img, ck.col, dx, ck.x_at(n, g));
    }
  });
}

void emit_conv2d_weight_grad(Kernel& k) {
  ConvKernel ck(k);
  ir::DType d = ck.c.img.dtype;
  Value *dy = k.in[0].ptr, *x = k.in[1].ptr, *dw = k.out[0].ptr;
  int64_t row = ck.c.img.taps();  // dW_g's row length
  k.e.fill(d, dw, ck.c.filters * row, k.e.constant(d, 0.0));
  k.e.loop(0, ck.c.batch, 1, [&](Value* n) {
    for (int64_t g = 0; g < ck.c.img.win.groups; ++g) {
      Value* dw_g = ck.w_group(dw, g);
      GemmEpilogue add;  // dW_g[r, c] += the image's sum
      add.store = [&](Value* r, Value* col, Value* sum) {
        Value* at = k.e.b().CreateAdd(k.e.b().CreateMul(r, k.e.idx(row)), col);
        Value* old = k.e.load(d, k.e.lanes_of(sum), dw_g, at);
        k.e.store(d, k.e.b().CreateFAdd(old, sum), dw_g, at);
      };
      add.flat = true;
      emit_im2col(k.e, ck.c.img, x, ck.x_at(n, g), ck.col);
      emit_gemm(k.e, ck.plan, dw_g, ck.ptr(dy, ck.dy_at(n, g)), ck.col, ck.gemm_scratch, add);
    }
  });
}

int64_t conv_scratch_bytes(const ir::Function& f, const ir::Node& n, const TargetInfo& t) {
  ConvShape c = conv_shape(f, n);
  int64_t col = c.img.taps() * c.img.positions() * int64_t(ir::dtype_size(c.img.dtype));
  return aligned64(col) + plan_of(c, n.op, t).scratch_bytes;
}

int64_t conv_cycles(const ir::Function& f, const ir::Node& n, unsigned lanes) {
  ConvShape c = conv_shape(f, n);
  GemmShape g = group_gemm(c, n.op);
  return 2 * g.m * g.n * g.k * c.batch * c.img.win.groups / (4 * int64_t(lanes));
}

}  // namespace minigrad::jit
