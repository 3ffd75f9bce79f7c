// Reductions over a list of axes: reduce_sum, reduce_mean, reduce_max. The result
// has the flat layout of the input's shape with every reduced axis set to extent 1
// ("kept"), so each input element x[i] goes to result element o(i) whose offset
// has stride 0 along reduced axes (loop_nest.h makes the nest).
//
// Float types, in vectors, reassociating (the issue allows it for reductions):
// the result starts at the identity (0, or -inf for max); then, if the innermost
// axis is kept, y[o(i)..] = y[o(i)..] (+|max) x[i..] a vector at a time; if it is
// reduced, a vector accumulator runs along it and its horizontal sum (max) joins
// y[o]. mean = sum / count, count = numel(input) / numel(result).
// i32, exactly as the interpreter does it: per result element, a scalar loop over
// the reduced axes with an i64 accumulator; mean truncates toward zero; the sum
// narrows modulo 2^32.
#include <limits>

#include "backend/llvm/kernel.h"
#include "backend/llvm/loop_nest.h"
#include "ir/error.h"

namespace minigrad::jit {
namespace {

using ir::DType;
using ir::Op;
using llvm::Value;

struct Reduction {
  ir::Shape x, kept;
  std::vector<bool> reduced;  // per axis of x
  int64_t count = 1;          // elements per result element
};

Reduction describe(const Kernel& k) {
  Reduction r;
  r.x = k.shape(0);
  r.kept = r.x;
  r.reduced.assign(size_t(r.x.rank()), false);
  for (int64_t axis : k.node.attrs.ints("axes")) {
    r.kept.dims[size_t(axis)] = 1;
    r.reduced[size_t(axis)] = true;
    r.count *= r.x[int(axis)];
  }
  return r;
}

std::vector<int64_t> row_major(const ir::Shape& s) {
  std::vector<int64_t> st(size_t(s.rank()), 1);
  for (int i = s.rank() - 2; i >= 0; --i) st[size_t(i)] = st[size_t(i) + 1] * s[i + 1];
  return st;
}

class FloatReduce {
 public:
  FloatReduce(Kernel& k) : k_(k), e_(k.e), d_(k.dtype(0)), max_(k.node.op == Op::ReduceMax) {}

  void emit() {
    Reduction r = describe(k_);
    Value* y = k_.out[0].ptr;
    int64_t outs = k_.out[0].type.numel();
    e_.fill(d_, y, outs, identity(1));
    LoopNest nest = make_loop_nest(r.x.dims, {row_major(r.x), broadcast_strides(r.kept, r.x)});
    if (nest.stride[1].back() != 0) {
      walk_nest(e_, nest, e_.width(d_), [&](const Values& off, unsigned lanes) {
        Value* acc = e_.load(d_, lanes, y, off[1]);
        e_.store(d_, combine(acc, e_.load(d_, lanes, k_.in[0].ptr, off[0])), y, off[1]);
      });
    } else {
      along_reduced_inner(nest);
    }
    if (k_.node.op == Op::ReduceMean) {
      e_.vector_loop(outs, e_.width(d_), [&](Value* i, unsigned lanes) {
        Value* v = e_.load(d_, lanes, y, i);
        e_.store(d_, e_.b().CreateFDiv(v, e_.constant(d_, double(r.count), lanes)), y, i);
      });
    }
  }

 private:
  Value* identity(unsigned lanes) {
    return e_.constant(d_, max_ ? -std::numeric_limits<double>::infinity() : 0.0, lanes);
  }
  Value* combine(Value* acc, Value* x) { return max_ ? e_.max_nan(acc, x) : e_.b().CreateFAdd(acc, x); }
  Value* horizontal(Value* v) { return max_ ? e_.reduce_max(v) : e_.reduce_add(v); }

  // Pads a narrower vector to `lanes` with the identity, so it can join the accumulator.
  Value* pad(Value* v, unsigned lanes) {
    unsigned n = e_.lanes_of(v);
    if (n == lanes) return v;
    Value* id = identity(n);
    if (n == 1) return e_.b().CreateInsertElement(identity(lanes), v, uint64_t(0));
    llvm::SmallVector<int, 16> mask;
    for (unsigned i = 0; i < lanes; ++i) mask.push_back(i < n ? int(i) : int(n));
    return e_.b().CreateShuffleVector(v, id, mask);
  }

  void along_reduced_inner(const LoopNest& nest) {
    LoopNest outer;
    outer.extent.assign(nest.extent.begin(), nest.extent.end() - 1);
    for (const auto& s : nest.stride) outer.stride.emplace_back(s.begin(), s.end() - 1);
    if (outer.extent.empty()) {
      outer.extent.push_back(1);
      for (auto& s : outer.stride) s.push_back(0);
    }
    int64_t inner = nest.extent.back();
    unsigned width = e_.width(d_);
    walk_nest(e_, outer, 1, [&](const Values& off, unsigned) {
      Values acc = e_.vector_loop_carry(inner, width, {identity(width)}, [&](Value* i, unsigned lanes, const Values& a) {
        Value* x = e_.load(d_, lanes, k_.in[0].ptr, e_.b().CreateAdd(off[0], i));
        return Values{combine(a[0], pad(x, width))};
      });
      Value* old = e_.load(d_, 1, k_.out[0].ptr, off[1]);
      e_.store(d_, combine(old, horizontal(acc[0])), k_.out[0].ptr, off[1]);
    });
  }

  Kernel& k_;
  Emitter& e_;
  DType d_;
  bool max_;
};

// i32: per result element, a scalar loop over the reduced axes.
void int_reduce(Kernel& k) {
  Emitter& e = k.e;
  auto& b = e.b();
  Reduction r = describe(k);
  std::vector<int64_t> xs = row_major(r.x), ys = broadcast_strides(r.kept, r.x);
  std::vector<int64_t> kept_ext, red_ext;
  std::vector<std::vector<int64_t>> kept_st(2), red_st(1);
  for (int i = 0; i < r.x.rank(); ++i) {
    if (r.reduced[size_t(i)]) {
      red_ext.push_back(r.x[i]);
      red_st[0].push_back(xs[size_t(i)]);
    } else {
      kept_ext.push_back(r.x[i]);
      kept_st[0].push_back(xs[size_t(i)]);
      kept_st[1].push_back(ys[size_t(i)]);
    }
  }
  LoopNest kept = make_loop_nest(kept_ext, kept_st), red = make_loop_nest(red_ext, red_st);
  bool is_max = k.node.op == Op::ReduceMax;
  walk_nest(e, kept, 1, [&](const Values& off, unsigned) {
    std::function<Value*(size_t, Value*, Value*)> acc_over = [&](size_t level, Value* base, Value* acc) -> Value* {
      if (level == red.extent.size()) {
        Value* x = e.load(DType::I32, 1, k.in[0].ptr, base);
        return is_max ? e.max_nan(acc, x) : b.CreateAdd(acc, b.CreateSExt(x, e.i64()));
      }
      return e.loop_carry(0, red.extent[level], 1, {acc}, [&](Value* i, const Values& c) {
        Value* at = b.CreateAdd(base, b.CreateMul(i, e.idx(red.stride[0][level])));
        return Values{acc_over(level + 1, at, c[0])};
      })[0];
    };
    Value* init = is_max ? static_cast<Value*>(b.getInt32(uint32_t(std::numeric_limits<int32_t>::min()))) : e.idx(0);
    Value* acc = acc_over(0, off[0], init);
    if (k.node.op == Op::ReduceMean) acc = b.CreateSDiv(acc, e.idx(r.count));
    if (!is_max) acc = b.CreateTrunc(acc, e.i32());
    e.store(DType::I32, acc, k.out[0].ptr, off[1]);
  });
}

}  // namespace

void emit_reduce(Kernel& k) {
  if (k.dtype(0) == DType::I32) return int_reduce(k);
  FloatReduce(k).emit();
}

}  // namespace minigrad::jit
