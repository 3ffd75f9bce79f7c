// Widening f32 to f64; see widen_f64.h.
#include "passes/widen_f64.h"

namespace minigrad::passes {
namespace {

ir::Type widen(ir::Type t) {
  if (t.dtype == ir::DType::F32) t.dtype = ir::DType::F64;
  return t;
}

ir::Attrs widen_attrs(ir::Attrs attrs) {
  if (const ir::AttrValue* d = attrs.find("dtype"); d && std::get<std::string>(*d) == "f32")
    attrs.set("dtype", std::string("f64"));
  return attrs;
}

void widen_function(const ir::Function& src, ir::Function& dst);

std::shared_ptr<const ir::Function> widen_body(const ir::Node& n) {
  if (!n.body) return nullptr;
  auto body = std::make_shared<ir::Function>(n.body->name());
  widen_function(*n.body, *body);
  return body;
}

void widen_function(const ir::Function& src, ir::Function& dst) {
  std::vector<ir::ValueId> map(static_cast<size_t>(src.num_values()), -1);
  for (size_t i = 0; i < src.size(); ++i) {
    const ir::Node& n = src.node(i);
    std::vector<ir::ValueId> operands;
    for (ir::ValueId v : n.operands) operands.push_back(map[static_cast<size_t>(v)]);
    std::vector<ir::Type> declared;
    if (n.info().type_rule == nullptr) declared.push_back(widen(src.type(n.result())));
    const ir::Node& out = dst.append(n.op, operands, widen_attrs(n.attrs), n.locs, declared, widen_body(n));
    for (size_t r = 0; r < n.results.size(); ++r) map[static_cast<size_t>(n.results[r])] = out.results[r];
  }
}

}  // namespace

ir::Function widen_to_f64(const ir::Function& f) {
  ir::Function out(f.name());
  widen_function(f, out);
  return out;
}

ir::Module widen_to_f64(const ir::Module& m) {
  ir::Module out;
  out.name = m.name;
  for (ir::StateDecl s : m.states) {
    s.type = widen(s.type);
    out.states.push_back(s);
  }
  for (const ir::Function& f : m.funcs) widen_function(f, out.add_func(f.name()));
  return out;
}

}  // namespace minigrad::passes
