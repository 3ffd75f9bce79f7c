// Common subexpression elimination; see cse.h.
#include "passes/cse.h"

#include <map>
#include <tuple>

#include "ir/attrs.h"
#include "passes/rewriter.h"

namespace minigrad::passes {
namespace {

// What makes two nodes compute the same values: op, operands, attributes, and the
// declared type of a source.
struct Key {
  ir::Op op;
  std::vector<ir::ValueId> operands;
  std::string attrs;  // the attributes as text: every kind prints exactly
  std::string type;

  bool operator<(const Key& o) const {
    return std::tie(op, operands, attrs, type) < std::tie(o.op, o.operands, o.attrs, o.type);
  }
};

std::string attrs_text(const ir::Attrs& a) {
  std::string s;
  for (const auto& [name, value] : a.items()) s += name + "=" + ir::format_attr(value) + ";";
  return s;
}

// Two all_reduces of one value are two collectives every rank runs: never merged.
bool mergeable(const ir::Node& n) {
  return n.op != ir::Op::Input && n.op != ir::Op::Fused && n.op != ir::Op::Grad && !n.info().has(ir::kSink) &&
         !n.info().has(ir::kCollective);
}

Key key_of(const ir::Function& f, const ir::Node& n) {
  Key k{n.op, n.operands, attrs_text(n.attrs), ""};
  // a + b = b + a and a * b = b * a exactly in IEEE arithmetic.
  if ((n.op == ir::Op::Add || n.op == ir::Op::Mul) && k.operands[1] < k.operands[0])
    std::swap(k.operands[0], k.operands[1]);
  if (n.info().type_rule == nullptr) k.type = ir::to_string(f.type(n.result()));
  return k;
}

bool cse_function(ir::Function& f) {
  Rewriter rw(f);
  std::map<Key, const ir::Node*> seen;
  for (size_t i = 0; i < f.size(); ++i) {
    rw.resolve(f.node(i));  // earlier merges, applied as the walk reaches each use
    const ir::Node& n = f.node(i);
    if (!mergeable(n)) continue;
    auto [it, fresh] = seen.emplace(key_of(f, n), &n);
    if (!fresh) rw.replace_deferred(n, it->second->results);
  }
  return rw.finish();
}

}  // namespace

bool Cse::run(ir::Module& m) {
  bool changed = false;
  for (ir::Function& f : m.funcs) changed = cse_function(f) || changed;
  return changed;
}

}  // namespace minigrad::passes
