// The memory a compiled model needs; see memory_need.h.
#include "runtime/memory_need.h"

#include <unistd.h>

#include <fmt/format.h>

#include "ir/checked.h"
#include "ir/error.h"
#include "passes/memory_plan.h"

namespace minigrad::runtime {
namespace {

// A value's bytes; an Error naming where it was made if they overflow.
int64_t bytes_of(const ir::Type& t, const ir::Locs& locs) {
  std::optional<int64_t> n = ir::product_checked(t.shape.dims, static_cast<int64_t>(ir::dtype_size(t.dtype)));
  if (!n) fail("{}: {} needs more bytes than a 64-bit size holds", ir::to_string(locs), ir::to_string(t));
  return *n;
}

// Where state `name` is loaded: the DSL line of the parameter.
ir::Locs state_locs(const ir::Module& m, const std::string& name) {
  for (const ir::Function& f : m.funcs)
    for (const ir::Node* n : f.nodes_of(ir::Op::LoadState))
      if (n->attrs.s("name") == name) return n->locs;
  return {};
}

void consider(MemoryNeed& need, int64_t bytes, std::string what, const ir::Locs& locs) {
  if (bytes <= need.biggest_bytes) return;
  need.biggest_bytes = bytes, need.biggest = std::move(what), need.biggest_at = ir::to_string(locs);
}

}  // namespace

int64_t MemoryNeed::total() const { return ir::checked_add(state_bytes, arena_bytes, "the model's memory"); }

MemoryNeed memory_need(const ir::Module& m) {
  MemoryNeed need;
  for (const ir::StateDecl& s : m.states) {
    ir::Locs at = state_locs(m, s.name);
    int64_t b = bytes_of(s.type, at);
    need.state_bytes = ir::checked_add(need.state_bytes, b, "the model's state");
    consider(need, b, fmt::format("state {} {}", s.name, ir::to_string(s.type)), at);
  }
  for (const ir::Function& f : m.funcs) {
    for (size_t i = 0; i < f.size(); ++i)
      for (ir::ValueId r : f.node(i).results)
        consider(need, bytes_of(f.type(r), f.node(i).locs), fmt::format("a value {}", ir::to_string(f.type(r))),
                 f.node(i).locs);
    need.arena_bytes = ir::checked_add(need.arena_bytes, passes::plan_memory(f).arena_bytes, "the model's memory");
  }
  return need;
}

int64_t machine_memory() {
  long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return 0;
  return ir::mul_checked(pages, page).value_or(0);
}

std::string format_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 6) v /= 1024, ++u;
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

void check_sizes(const ir::Module& m, const std::string& model) {
  auto check = [&](const ir::Type& t, const std::string& what, const ir::Locs& locs) {
    if (!ir::product_checked(t.shape.dims, 8))  // room for the widest element, as ir::Shape::numel
      fail("model {}: {} {} at {} is too large: its bytes would not fit a 64-bit size", model, what, ir::to_string(t),
           ir::to_string(locs));
  };
  for (const ir::StateDecl& s : m.states) check(s.type, "state " + s.name, state_locs(m, s.name));
  for (const ir::Function& f : m.funcs)
    for (size_t i = 0; i < f.size(); ++i)
      for (ir::ValueId r : f.node(i).results) check(f.type(r), "a value", f.node(i).locs);
}

void check_memory(const ir::Module& m, int64_t limit, const std::string& model) {
  std::string which = limit > 0 ? "the limit of --max-memory" : "this machine's memory";
  if (limit <= 0) limit = machine_memory();
  if (limit <= 0) return;  // unknown: nothing to compare with
  MemoryNeed need = memory_need(m);
  std::optional<int64_t> total = ir::add_checked(need.state_bytes, need.arena_bytes);
  if (total && *total <= limit) return;
  fail("model {} needs {} (parameters and optimiser state {}, intermediates {}), more than {}, {} ({} bytes); its "
       "biggest tensor is {} of {} at {}",
       model, total ? format_bytes(*total) : "more than 8 EiB", format_bytes(need.state_bytes),
       format_bytes(need.arena_bytes), which, format_bytes(limit), limit, need.biggest, format_bytes(need.biggest_bytes),
       need.biggest_at);
}

}  // namespace minigrad::runtime
