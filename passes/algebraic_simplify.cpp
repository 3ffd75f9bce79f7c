// Algebraic identities as data: one rule a line of the table at the end, each
// with its algebra; see algebraic_simplify.h.
#include "passes/algebraic_simplify.h"

#include <optional>

#include "passes/rewriter.h"

namespace minigrad::passes {
namespace {

using ir::Op;
using ir::ValueId;

// What a rule sees: the node and a way to build replacement nodes before it.
struct Site {
  Rewriter& rw;
  size_t pos;
  const ir::Node& n;

  const ir::Function& f() const { return rw.function(); }
  ValueId x(size_t i = 0) const { return n.operands[i]; }
  const ir::Node* def(ValueId v) const { return f().value(v).def; }
  bool is(ValueId v, Op op) const { return def(v) != nullptr && def(v)->op == op; }
  // v is a constant fill equal to c.
  bool is_const(ValueId v, double c) const { return is(v, Op::Constant) && def(v)->attrs.f("value") == c; }
  // v can stand for the node's result: the same type.
  bool keeps_type(ValueId v) const { return f().type(v) == f().type(n.result()); }
  ir::Builder builder() { return rw.before(pos); }
};

using Result = std::optional<ValueId>;
using RuleFn = Result (*)(Site&);

// x*1 -> x and 1*x -> x: 1 is the identity of IEEE multiplication (NaN, inf, -0 included).
Result mul_one(Site& s) {
  if (s.n.op != Op::Mul) return {};
  if (s.is_const(s.x(1), 1) && s.keeps_type(s.x(0))) return s.x(0);
  if (s.is_const(s.x(0), 1) && s.keeps_type(s.x(1))) return s.x(1);
  return {};
}

// x/1 -> x: exact.
Result div_one(Site& s) {
  if (s.n.op == Op::Div && s.is_const(s.x(1), 1) && s.keeps_type(s.x(0))) return s.x(0);
  return {};
}

// x+0 -> x and 0+x -> x: exact except that -0 + 0 = +0 where the rewrite keeps -0;
// only division and the like tell the two zeros apart.
Result add_zero(Site& s) {
  if (s.n.op != Op::Add) return {};
  if (s.is_const(s.x(1), 0) && s.keeps_type(s.x(0))) return s.x(0);
  if (s.is_const(s.x(0), 0) && s.keeps_type(s.x(1))) return s.x(1);
  return {};
}

// x-0 -> x: exact (-0 - 0 = -0).
Result sub_zero(Site& s) {
  if (s.n.op == Op::Sub && s.is_const(s.x(1), 0) && s.keeps_type(s.x(0))) return s.x(0);
  return {};
}

// x*-1 -> neg(x): both flip the sign bit and nothing else.
Result mul_minus_one(Site& s) {
  if (s.n.op != Op::Mul || !s.is_const(s.x(1), -1) || !s.keeps_type(s.x(0))) return {};
  return s.builder().neg(s.x(0));
}

// neg(neg(x)) -> x: exact.
Result neg_neg(Site& s) {
  if (s.n.op == Op::Neg && s.is(s.x(0), Op::Neg)) return s.def(s.x(0))->operands[0];
  return {};
}

// x + neg(y) -> x - y and neg(y) + x -> x - y: IEEE defines x - y as x + (-y).
Result add_neg(Site& s) {
  if (s.n.op != Op::Add) return {};
  if (s.is(s.x(1), Op::Neg)) return s.builder().sub(s.x(0), s.def(s.x(1))->operands[0]);
  if (s.is(s.x(0), Op::Neg)) return s.builder().sub(s.x(1), s.def(s.x(0))->operands[0]);
  return {};
}

// x - neg(y) -> x + y: exact, as above.
Result sub_neg(Site& s) {
  if (s.n.op == Op::Sub && s.is(s.x(1), Op::Neg)) return s.builder().add(s.x(0), s.def(s.x(1))->operands[0]);
  return {};
}

// select(c, x, x) -> x: both branches are the same value.
Result select_same(Site& s) {
  if (s.n.op == Op::Select && s.x(1) == s.x(2) && s.keeps_type(s.x(1))) return s.x(1);
  return {};
}

// pow(x, 1) -> x: x^1 is x, which C's pow returns exactly.
Result pow_one(Site& s) {
  if (s.n.op == Op::Pow && s.n.attrs.f("exponent") == 1) return s.x(0);
  return {};
}

// transpose(transpose(x)) -> x: a transpose is its own inverse.
Result transpose_twice(Site& s) {
  if (s.n.op == Op::Transpose && s.is(s.x(0), Op::Transpose)) return s.def(s.x(0))->operands[0];
  return {};
}

// reshape(reshape(x, s1), s2) -> reshape(x, s2): row-major order is kept by both;
// reshape(x) or broadcast_to(x) to x's own shape -> x.
Result reshape_twice(Site& s) {
  if (s.n.op != Op::Reshape && s.n.op != Op::BroadcastTo) return {};
  if (s.keeps_type(s.x(0))) return s.x(0);
  if (s.n.op == Op::Reshape && s.is(s.x(0), Op::Reshape))
    return s.builder().reshape(s.def(s.x(0))->operands[0], s.f().type(s.n.result()).shape);
  return {};
}

// The relu or leaky_relu (slope >= 0) of v defined before position `pos`, if any.
std::optional<ValueId> activation_of(const Rewriter& rw, const ir::Function& f, ValueId v, size_t pos) {
  for (size_t i = 0; i < pos; ++i) {
    const ir::Node& a = f.node(i);
    if (!rw.erased(a) && a.operands.size() == 1 && a.operands[0] == v &&
        (a.op == Op::Relu || (a.op == Op::LeakyRelu && a.attrs.f("slope") >= 0)))
      return a.result();
  }
  return std::nullopt;
}

// [x > 0] -> [act(x) > 0]: relu(x) > 0 and leaky_relu(x, s >= 0) > 0 hold exactly
// when x > 0 (for x <= 0 both give s*x <= 0, or -0; NaN compares false either way).
Result sign_of_activation(Site& s) {
  if (s.n.op != Op::Cmp || s.n.attrs.s("pred") != "gt" || !s.is_const(s.x(1), 0)) return {};
  std::optional<ValueId> act = activation_of(s.rw, s.f(), s.x(0), s.pos);
  if (!act) return {};
  return s.builder().cmp("gt", *act, s.x(1));
}

struct Rule {
  const char* name;
  RuleFn apply;
};

const Rule kRules[] = {
    {"x*1", mul_one},           {"x/1", div_one},       {"x+0", add_zero},
    {"x-0", sub_zero},          {"x*-1", mul_minus_one}, {"neg(neg x)", neg_neg},
    {"x+neg(y)", add_neg},      {"x-neg(y)", sub_neg},  {"select(c,x,x)", select_same},
    {"pow(x,1)", pow_one},      {"transpose twice", transpose_twice}, {"reshape twice", reshape_twice},
    {"sign of activation", sign_of_activation},
};

// One walk over the function; returns whether a rule applied.
bool simplify_once(ir::Function& f) {
  Rewriter rw(f);
  for (size_t i = 0; i < f.size(); ++i) {
    const ir::Node& n = f.node(i);
    if (n.results.size() != 1 || n.info().has(ir::kSource) || n.info().has(ir::kCollective)) continue;
    for (const Rule& r : kRules) {
      size_t before = f.size();
      Site site{rw, i, n};
      Result v = r.apply(site);
      if (!v) continue;
      rw.replace(n, *v);
      i += f.size() - before;  // past the nodes the rule inserted, at n
      break;
    }
  }
  return rw.finish();
}

}  // namespace

bool AlgebraicSimplify::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs)
    for (int round = 0; round < 16 && simplify_once(f); ++round) changed = true;
  return changed;
}

}  // namespace minigrad::passes
