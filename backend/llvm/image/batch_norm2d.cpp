// Batch normalisation of images x[N, C, H, W] per channel c (BatchNorm2d), over
// the N H W positions: the formulas of backend/llvm/batch_norm.cpp (and of the
// interpreter's batch_norm.cpp, which derives the gradient), with the spatial
// extent S = H W contiguous within each (n, c) plane, so each sum walks the planes
// of its channel in vectors along S. With inv = 1 / sqrt(var + eps) and M the
// positions that count (n_rows S when masked, else N S):
//   train: mean = sum x / M, var = sum (x - mean)^2 / M, y = (x - mean) inv gamma + beta
//   grad:  xhat = (x - mean) inv, dgamma = sum dy xhat, dbeta = sum dy,
//          dx = (gamma inv / M) (M dy - dbeta - xhat dgamma)
//   eval:  y = (x - running_mean) inv gamma + beta (inv from the running variance)
// Masked rows (images n >= n_rows) are neither read nor counted; y and dx are 0
// there. Channels are independent, so a thread's slice is a range of channels
// and the bits do not depend on the thread count.
#include "backend/llvm/image/image_kernels.h"

#include <llvm/IR/Intrinsics.h>

#include "backend/llvm/kernel.h"
#include "backend/llvm/rowwise.h"

namespace minigrad::jit {
namespace {

using llvm::Value;

struct Planes {
  Emitter& e;
  ir::DType d;
  int64_t batch, channels, spatial;
  Value* rows;  // images that count (i64)

  Value* plane(Value* n, Value* c) {
    auto& b = e.b();
    return b.CreateMul(b.CreateAdd(b.CreateMul(n, e.idx(channels)), c), e.idx(spatial));
  }
  // sum over the counted images n and positions s of term(offset, lanes).
  Value* sum(Value* c, const std::function<Value*(Value*, unsigned)>& term) {
    unsigned w = e.width(d);
    Value* zero = e.constant(d, 0.0);
    Values acc = e.loop_carry(e.idx(0), rows, 1, {e.splat(zero, w)}, [&](Value* n, const Values& a) {
      Value* base = plane(n, c);
      return e.vector_loop_carry(spatial, w, a, [&](Value* s, unsigned lanes, const Values& in) {
        Value* t = term(e.b().CreateAdd(base, s), lanes);
        return Values{e.b().CreateFAdd(in[0], pad_lanes(e, t, w, zero))};
      });
    });
    return e.reduce_add(acc[0]);
  }
  // out[offset] = value(offset, lanes) for the counted images, 0 for the others.
  void write(Value* c, Value* out, const std::function<Value*(Value*, unsigned)>& value) {
    auto each = [&](Value* from, Value* to, bool zero) {
      e.loop(from, to, 1, [&](Value* n) {
        Value* base = plane(n, c);
        e.vector_loop(spatial, e.width(d), [&](Value* s, unsigned lanes) {
          Value* at = e.b().CreateAdd(base, s);
          e.store(d, zero ? e.constant(d, 0.0, lanes) : value(at, lanes), out, at);
        });
      });
    };
    each(e.idx(0), rows, false);
    each(rows, e.idx(batch), true);
  }
  Value* positions() { return e.b().CreateUIToFP(e.b().CreateMul(rows, e.idx(spatial)), e.scalar(d)); }
  Value* inverse_std(Value* var, double eps) {
    Value* s = e.intrinsic(llvm::Intrinsic::sqrt, e.b().CreateFAdd(var, e.constant(d, eps)));
    return e.b().CreateFDiv(e.constant(d, 1.0), s);
  }
};

Planes planes_of(Kernel& k, size_t x, std::optional<size_t> count) {
  const ir::Shape& s = k.shape(x);
  Value* rows = count ? checked_row_count(k, row_count_ptr(k, *count), s[0]) : nullptr;
  return Planes{k.e, k.dtype(x), s[0], s[1], s[2] * s[3], rows ? rows : k.e.idx(s[0])};
}

// Channels [begin, end) of the kernel's slice.
void each_channel(Kernel& k, int64_t channels, const std::function<void(Value*)>& body) {
  k.units = channels;
  k.e.loop(k.begin ? k.begin : k.e.idx(0), k.end ? k.end : k.e.idx(channels), 1, body);
}

}  // namespace

void emit_batch_norm2d_train(Kernel& k) {
  Planes p = planes_of(k, 0, 3);
  auto& b = k.e.b();
  ir::DType d = p.d;
  double eps = k.node.attrs.f("eps");
  Value *x = k.in[0].ptr, *gamma = k.in[1].ptr, *beta = k.in[2].ptr;
  each_channel(k, p.channels, [&](Value* c) {
    Value* m = p.positions();
    Value* mean = b.CreateFDiv(p.sum(c, [&](Value* at, unsigned l) { return k.e.load(d, l, x, at); }), m);
    auto centred = [&](Value* at, unsigned l) { return b.CreateFSub(k.e.load(d, l, x, at), k.e.splat(mean, l)); };
    Value* var = b.CreateFDiv(p.sum(c, [&](Value* at, unsigned l) {
      Value* v = centred(at, l);
      return b.CreateFMul(v, v);
    }), m);
    Value* scale = b.CreateFMul(p.inverse_std(var, eps), k.e.load(d, 1, gamma, c));
    Value* shift = k.e.load(d, 1, beta, c);
    p.write(c, k.out[0].ptr, [&](Value* at, unsigned l) { return k.e.fma(centred(at, l), k.e.splat(scale, l), k.e.splat(shift, l)); });
    k.e.store(d, mean, k.out[1].ptr, c);
    k.e.store(d, var, k.out[2].ptr, c);
  });
}

void emit_batch_norm2d_grad(Kernel& k) {
  Planes p = planes_of(k, 1, 5);
  auto& b = k.e.b();
  ir::DType d = p.d;
  double eps = k.node.attrs.f("eps");
  Value *dy = k.in[0].ptr, *x = k.in[1].ptr;
  each_channel(k, p.channels, [&](Value* c) {
    Value* mean = k.e.load(d, 1, k.in[3].ptr, c);
    Value* inv = p.inverse_std(k.e.load(d, 1, k.in[4].ptr, c), eps);
    auto xhat = [&](Value* at, unsigned l) {
      return b.CreateFMul(b.CreateFSub(k.e.load(d, l, x, at), k.e.splat(mean, l)), k.e.splat(inv, l));
    };
    Value* dbeta = p.sum(c, [&](Value* at, unsigned l) { return k.e.load(d, l, dy, at); });
    Value* dgamma = p.sum(c, [&](Value* at, unsigned l) { return b.CreateFMul(k.e.load(d, l, dy, at), xhat(at, l)); });
    Value* m = p.positions();
    Value* factor = b.CreateFDiv(b.CreateFMul(k.e.load(d, 1, k.in[2].ptr, c), inv), m);
    p.write(c, k.out[0].ptr, [&](Value* at, unsigned l) {
      Value* t = b.CreateFSub(b.CreateFMul(k.e.splat(m, l), k.e.load(d, l, dy, at)), k.e.splat(dbeta, l));
      t = b.CreateFSub(t, b.CreateFMul(xhat(at, l), k.e.splat(dgamma, l)));
      return b.CreateFMul(k.e.splat(factor, l), t);
    });
    k.e.store(d, dgamma, k.out[1].ptr, c);
    k.e.store(d, dbeta, k.out[2].ptr, c);
  });
}

void emit_batch_norm2d_eval(Kernel& k) {
  Planes p = planes_of(k, 0, std::nullopt);
  auto& b = k.e.b();
  ir::DType d = p.d;
  double eps = k.node.attrs.f("eps");
  each_channel(k, p.channels, [&](Value* c) {
    Value* mean = k.e.load(d, 1, k.in[3].ptr, c);
    Value* scale = b.CreateFMul(p.inverse_std(k.e.load(d, 1, k.in[4].ptr, c), eps), k.e.load(d, 1, k.in[1].ptr, c));
    Value* shift = k.e.load(d, 1, k.in[2].ptr, c);
    p.write(c, k.out[0].ptr, [&](Value* at, unsigned l) {
      Value* centred = b.CreateFSub(k.e.load(d, l, k.in[0].ptr, at), k.e.splat(mean, l));
      return k.e.fma(centred, k.e.splat(scale, l), k.e.splat(shift, l));
    });
  });
}

}  // namespace minigrad::jit
