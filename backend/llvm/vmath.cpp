// Vectorised transcendentals; see vmath.h. The algebra of each is stated where it
// is used. Coefficients: f32 exp and log are the minimax polynomials of Cephes'
// expf and logf; f64 uses Taylor series of enough terms on the reduced range.
#include "backend/llvm/vmath.h"

#include <cmath>
#include <initializer_list>

#include <llvm/IR/Intrinsics.h>

namespace minigrad::jit {
namespace {

using llvm::Value;

bool is_f64(Value* x) { return x->getType()->getScalarType()->isDoubleTy(); }

// Constant of x's element type, splat to x's lanes.
Value* c(Emitter& e, Value* x, double v) {
  return e.constant(is_f64(x) ? ir::DType::F64 : ir::DType::F32, v, e.lanes_of(x));
}

// The integer type of x's element width, splat to x's lanes.
llvm::Type* int_type(Emitter& e, Value* x) {
  llvm::Type* s = is_f64(x) ? e.i64() : e.i32();
  unsigned n = e.lanes_of(x);
  return n == 1 ? s : llvm::FixedVectorType::get(s, n);
}

Value* ci(Emitter& e, Value* x, int64_t v) {
  return llvm::ConstantInt::get(int_type(e, x), static_cast<uint64_t>(v), true);
}

// Horner: ((k0 r + k1) r + k2) ...
Value* horner(Emitter& e, Value* r, std::initializer_list<double> k) {
  Value* y = nullptr;
  for (double coef : k) y = y ? e.fma(y, r, c(e, r, coef)) : c(e, r, coef);
  return y;
}

Value* select_lt(Emitter& e, Value* x, double bound, Value* then_v, Value* else_v) {
  return e.b().CreateSelect(e.b().CreateFCmpOLT(x, c(e, x, bound)), then_v, else_v);
}

}  // namespace

// exp(x) = 2^n exp(r), n = round(x / ln2), r = x - n ln2 (ln2 split in a high
// part exact in the element type and a low correction), |r| <= ln2 / 2. 2^n is
// applied as 2^(n/2) 2^(n - n/2), each built in the exponent bits, so that results
// near overflow (+inf) and in the subnormal range come out as IEEE arithmetic
// rounds them. x is first clamped to where that holds (exp is 0 or +inf beyond).
Value* vexp(Emitter& e, Value* x) {
  auto& b = e.b();
  bool f64 = is_f64(x);
  double hi = f64 ? 710.0 : 89.0, lo = f64 ? -746.0 : -104.0;
  Value* xc = b.CreateSelect(b.CreateFCmpOGT(x, c(e, x, hi)), c(e, x, hi), x);
  xc = select_lt(e, xc, lo, c(e, x, lo), xc);
  Value* n = e.intrinsic(llvm::Intrinsic::rint, b.CreateFMul(xc, c(e, x, 1.4426950408889634)));
  double ln2_hi = f64 ? 6.93145751953125e-1 : 0.693359375, ln2_lo = f64 ? 1.42860682030941723212e-6 : -2.12194440e-4;
  Value* r = e.fma(n, c(e, x, -ln2_hi), xc);
  r = e.fma(n, c(e, x, -ln2_lo), r);
  Value* p;
  if (f64) {
    // Taylor series of exp(r) to r^12 (remainder below 1e-15 for |r| <= 0.347).
    std::initializer_list<double> k = {1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320,
                                       1.0 / 5040,      1.0 / 720,      1.0 / 120,     1.0 / 24,     1.0 / 6,
                                       0.5,             1.0,            1.0};
    p = horner(e, r, k);
  } else {
    // Cephes expf: exp(r) = 1 + r + r^2 P(r).
    Value* q = horner(e, r, {1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1,
                             5.0000001201e-1});
    p = b.CreateFAdd(e.fma(q, b.CreateFMul(r, r), r), c(e, x, 1.0));
  }
  int mant = f64 ? 52 : 23, bias = f64 ? 1023 : 127;
  Value* ni = b.CreateFPToSI(n, int_type(e, x));
  Value* n1 = b.CreateAShr(ni, ci(e, x, 1));
  Value* n2 = b.CreateSub(ni, n1);
  auto pow2 = [&](Value* k) {
    return b.CreateBitCast(b.CreateShl(b.CreateAdd(k, ci(e, x, bias)), ci(e, x, mant)), x->getType());
  };
  Value* y = b.CreateFMul(b.CreateFMul(p, pow2(n1)), pow2(n2));
  return b.CreateSelect(e.is_nan(x), x, y);
}

// log(x) = e ln2 + log(m), x = m 2^e with m in [sqrt(1/2), sqrt(2)). Subnormal x is
// first scaled by 2^k (k = 23 or 52). With f = m - 1:
//   f32 (Cephes logf): log(1 + f) = f - f^2/2 + f^3 P(f)
//   f64: s = f / (2 + f), log(1 + f) = 2 atanh(s) = 2 s (1 + s^2/3 + s^4/5 + ...)
Value* vlog(Emitter& e, Value* x) {
  auto& b = e.b();
  bool f64 = is_f64(x);
  int mant = f64 ? 52 : 23;
  double smallest = f64 ? 2.2250738585072014e-308 : 1.17549435e-38;
  Value* sub = b.CreateFCmpOLT(x, c(e, x, smallest));
  Value* xs = b.CreateSelect(sub, b.CreateFMul(x, c(e, x, std::ldexp(1.0, mant))), x);
  Value* bits = b.CreateBitCast(xs, int_type(e, x));
  // Exponent and mantissa in [0.5, 1): clear the exponent field, set it to -1's.
  int64_t exp_mask = f64 ? int64_t(0x7ff0000000000000) : 0x7f800000;
  int64_t half_bits = f64 ? int64_t(0x3fe0000000000000) : 0x3f000000;
  Value* ex = b.CreateSub(b.CreateLShr(b.CreateAnd(bits, ci(e, x, exp_mask)), ci(e, x, mant)), ci(e, x, f64 ? 1022 : 126));
  ex = b.CreateSub(ex, b.CreateSelect(sub, ci(e, x, mant), ci(e, x, 0)));
  Value* m = b.CreateBitCast(b.CreateOr(b.CreateAnd(bits, ci(e, x, ~exp_mask)), ci(e, x, half_bits)), x->getType());
  // m in [0.5, 1): if m < sqrt(1/2), use 2m and e - 1, so m is in [sqrt(1/2), sqrt(2)).
  Value* low = b.CreateFCmpOLT(m, c(e, x, 0.70710678118654752440));
  Value* fe = b.CreateSIToFP(b.CreateSub(ex, b.CreateSelect(low, ci(e, x, 1), ci(e, x, 0))), x->getType());
  Value* f = b.CreateFSub(b.CreateSelect(low, b.CreateFAdd(m, m), m), c(e, x, 1.0));
  Value* y;
  if (f64) {
    Value* s = b.CreateFDiv(f, b.CreateFAdd(f, c(e, x, 2.0)));
    Value* s2 = b.CreateFMul(s, s);
    Value* series = horner(e, s2, {1.0 / 23, 1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13, 1.0 / 11, 1.0 / 9,
                                   1.0 / 7, 1.0 / 5, 1.0 / 3, 1.0});
    Value* log1pf = b.CreateFMul(b.CreateFAdd(s, s), series);
    y = e.fma(fe, c(e, x, 0.69314718055994530942), log1pf);
  } else {
    Value* z = b.CreateFMul(f, f);
    Value* p = horner(e, f, {7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
                             -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1});
    Value* t = b.CreateFMul(b.CreateFMul(p, f), z);
    t = e.fma(fe, c(e, x, -2.12194440e-4), t);
    t = e.fma(z, c(e, x, -0.5), t);
    y = e.fma(fe, c(e, x, 0.693359375), b.CreateFAdd(f, t));
  }
  // Special values: log(+inf) = +inf, log(0) = -inf, log(x < 0) = NaN, NaN stays.
  y = b.CreateSelect(b.CreateFCmpOEQ(x, c(e, x, INFINITY)), x, y);
  y = b.CreateSelect(b.CreateFCmpOEQ(x, c(e, x, 0.0)), c(e, x, -INFINITY), y);
  y = select_lt(e, x, 0.0, c(e, x, NAN), y);
  return b.CreateSelect(e.is_nan(x), x, y);
}

// tanh(x) = sign(x) (1 - 2 / (exp(2|x|) + 1)); for f32 and |x| < 0.625, where
// that form cancels, Cephes tanhf's odd polynomial x + x^3 P(x^2).
Value* vtanh(Emitter& e, Value* x) {
  auto& b = e.b();
  Value* ax = e.intrinsic(llvm::Intrinsic::fabs, x);
  Value* t = vexp(e, b.CreateFMul(ax, c(e, x, 2.0)));
  Value* big = b.CreateFSub(c(e, x, 1.0), b.CreateFDiv(c(e, x, 2.0), b.CreateFAdd(t, c(e, x, 1.0))));
  big = b.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, big, x);
  if (is_f64(x)) return b.CreateSelect(e.is_nan(x), x, big);
  Value* z = b.CreateFMul(x, x);
  Value* p = horner(e, z, {-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1,
                           -3.33332819422e-1});
  Value* small = e.fma(b.CreateFMul(x, z), p, x);
  Value* y = select_lt(e, ax, 0.625, small, big);
  return b.CreateSelect(e.is_nan(x), x, y);
}

Value* vsigmoid(Emitter& e, Value* x) {
  auto& b = e.b();
  return b.CreateFDiv(c(e, x, 1.0), b.CreateFAdd(c(e, x, 1.0), vexp(e, b.CreateFNeg(x))));
}

// x^y: integer y with |y| <= 64 by repeated squaring (1 / x^|y| for y < 0), y = 0.5
// as sqrt, otherwise exp(y log x) (NaN for x < 0, as pow gives for non-integer y).
Value* vpow(Emitter& e, Value* x, double y) {
  auto& b = e.b();
  if (y == 0.5) return e.intrinsic(llvm::Intrinsic::sqrt, x);
  if (y == std::trunc(y) && std::abs(y) <= 64) {
    auto n = static_cast<int64_t>(std::abs(y));
    Value* result = c(e, x, 1.0);
    Value* power = x;
    for (; n > 0; n >>= 1) {
      if (n & 1) result = b.CreateFMul(result, power);
      if (n > 1) power = b.CreateFMul(power, power);
    }
    return y < 0 ? b.CreateFDiv(c(e, x, 1.0), result) : result;
  }
  return vexp(e, b.CreateFMul(c(e, x, y), vlog(e, x)));
}

}  // namespace minigrad::jit
