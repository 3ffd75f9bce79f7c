// State storage and signature checks shared by the backends.
#include "backend/backend.h"

#include "ir/error.h"

namespace minigrad {

void StateStore::add_missing(const ir::Module& m) {
  for (const ir::StateDecl& s : m.states) {
    auto it = buffers_.find(s.name);
    if (it == buffers_.end()) buffers_.emplace(s.name, std::make_unique<Buffer>(s.type));
    else if (it->second->type() != s.type)
      fail("state '{}' is {} in the store but {} in module {}", s.name, ir::to_string(it->second->type()),
           ir::to_string(s.type), m.name);
  }
}

StateStore::StateStore(const StateStore& other) { *this = other; }

StateStore& StateStore::operator=(const StateStore& other) {
  if (this == &other) return *this;
  buffers_.clear();
  for (const auto& [name, buf] : other.buffers_) buffers_.emplace(name, std::make_unique<Buffer>(*buf));
  return *this;
}

Buffer& StateStore::get(const std::string& name) {
  auto it = buffers_.find(name);
  if (it == buffers_.end()) fail("no state named '{}'", name);
  return *it->second;
}

const Buffer& StateStore::get(const std::string& name) const {
  auto it = buffers_.find(name);
  if (it == buffers_.end()) fail("no state named '{}'", name);
  return *it->second;
}

Signature signature_of(const ir::Function& f) {
  Signature sig;
  for (size_t i = 0; i < f.size(); ++i) {
    const ir::Node& n = f.node(i);
    if (n.op == ir::Op::Input) sig.inputs.emplace_back(n.attrs.s("name"), f.type(n.result()));
    if (n.op == ir::Op::Output) sig.outputs.emplace_back(n.attrs.s("name"), f.type(n.operands[0]));
  }
  return sig;
}

namespace {
void check_views(const char* what, const std::vector<std::pair<std::string, ir::Type>>& want,
                 std::span<const TensorView> got) {
  if (want.size() != got.size()) fail("expected {} {}, got {}", want.size(), what, got.size());
  for (size_t i = 0; i < want.size(); ++i)
    if (got[i].type != want[i].second)
      fail("{} '{}' must be {}, got {}", what, want[i].first, ir::to_string(want[i].second),
           ir::to_string(got[i].type));
}
}  // namespace

void Executable::run_checked(std::span<const TensorView> inputs, std::span<const TensorView> outputs) {
  check_views("inputs", sig_.inputs, inputs);
  check_views("outputs", sig_.outputs, outputs);
  run(inputs, outputs);
}

}  // namespace minigrad
