// Groups of nodes into fused nodes; see fusion.h.
#include "passes/fusion.h"

#include <algorithm>
#include <map>
#include <queue>
#include <set>

#include "ir/builder.h"
#include "ir/error.h"
#include "ir/printer.h"
#include "ir/work.h"

namespace minigrad::passes {

std::vector<int> def_index(const ir::Function& f) {
  ir::count_visits(f.size());
  std::vector<int> def(static_cast<size_t>(f.num_values()), -1);
  for (size_t i = 0; i < f.size(); ++i)
    for (ir::ValueId r : f.node(i).results) def[static_cast<size_t>(r)] = static_cast<int>(i);
  return def;
}

std::vector<std::vector<size_t>> users(const ir::Function& f) {
  ir::count_visits(f.size());
  std::vector<std::vector<size_t>> u(static_cast<size_t>(f.num_values()));
  for (size_t i = 0; i < f.size(); ++i)
    for (ir::ValueId v : f.node(i).operands) u[static_cast<size_t>(v)].push_back(i);
  return u;
}

std::string describe(const ir::Function& f, const ir::Node& n) {
  return fmt::format("`{}` at {}", ir::print_node(f, n, ir::number_values(f), {false}), ir::to_string(n.locs));
}

bool stores_for(const ir::Node& n, const std::string& p) {
  if (n.op != ir::Op::StoreState) return false;
  const std::string& name = n.attrs.s("name");
  std::string slot = "optim." + p + ".";
  return name == p || name.compare(0, slot.size(), slot) == 0;
}

std::map<std::string, std::vector<size_t>> stores_by_param(const ir::Function& f) {
  ir::count_visits(f.size());
  std::map<std::string, std::vector<size_t>> by;
  const std::string optim = "optim.";
  for (size_t i = 0; i < f.size(); ++i) {
    const ir::Node& n = f.node(i);
    if (n.op != ir::Op::StoreState) continue;
    const std::string& name = n.attrs.s("name");
    std::vector<std::string> keys{name};
    if (name.compare(0, optim.size(), optim) == 0)
      for (size_t dot = name.find('.', optim.size()); dot != std::string::npos; dot = name.find('.', dot + 1))
        keys.push_back(name.substr(optim.size(), dot - optim.size()));
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const std::string& k : keys) by[k].push_back(i);
  }
  return by;
}

std::vector<const ir::StateDecl*> updated_params(const ir::Module& m, const ir::Function& f) {
  std::map<std::string, std::vector<size_t>> stores = stores_by_param(f);
  std::vector<const ir::StateDecl*> params;
  for (const ir::StateDecl& s : m.states)
    if (s.role == ir::StateRole::Param && stores.count(s.name) != 0) params.push_back(&s);
  return params;
}

std::vector<size_t> update_cone(const ir::Function& f, const std::vector<int>& defs, const std::vector<size_t>& stores,
                                const ir::Shape& shape, const std::vector<bool>& claimed) {
  std::set<size_t> cone;
  std::vector<size_t> stack;
  auto push = [&](ir::ValueId v) {
    int d = defs[static_cast<size_t>(v)];
    if (d < 0 || claimed[static_cast<size_t>(d)]) return;
    const ir::Node& n = f.node(static_cast<size_t>(d));
    if (is_loop_node(f, n) && f.type(n.result()).shape == shape) stack.push_back(static_cast<size_t>(d));
  };
  for (size_t i : stores) push(f.node(i).operands[0]);
  while (!stack.empty()) {
    size_t i = stack.back();
    stack.pop_back();
    ir::count_visits(1);
    if (!cone.insert(i).second) continue;
    for (ir::ValueId v : f.node(i).operands) push(v);
  }
  return {cone.begin(), cone.end()};
}

bool is_elementwise(const ir::Node& n) { return n.info().has(ir::kElementwise); }

bool is_loop_node(const ir::Function& f, const ir::Node& n) {
  if (is_elementwise(n)) return true;
  return n.op == ir::Op::BroadcastTo && f.type(n.operands[0]).shape != f.type(n.result()).shape;
}

std::optional<size_t> breaks_convexity(const ir::Function& f, const std::vector<int>& defs,
                                       const std::vector<bool>& in_group) {
  ir::count_visits(f.size());
  // tainted: outside nodes that depend on a member. A member using a tainted
  // node's result closes a path group -> outside -> group.
  std::vector<bool> tainted(f.size(), false);
  for (size_t i = 0; i < f.size(); ++i) {
    for (ir::ValueId v : f.node(i).operands) {
      int d = defs[static_cast<size_t>(v)];
      if (d < 0) continue;
      if (in_group[i] && tainted[static_cast<size_t>(d)]) return static_cast<size_t>(d);
      if (!in_group[i] && (in_group[static_cast<size_t>(d)] || tainted[static_cast<size_t>(d)])) tainted[i] = true;
    }
  }
  return std::nullopt;
}

Partition::Partition(const ir::Function& f)
    : f_(&f), item_(f.size()), nodes_(f.size()), firsts_(f.size() + 1), lasts_(f.size() + 1) {
  ir::count_visits(f.size());
  auto u = std::make_shared<std::vector<std::vector<size_t>>>(f.size());
  std::vector<int> defs = def_index(f);
  for (size_t i = 0; i < f.size(); ++i) {
    item_[i] = static_cast<int>(i);
    nodes_[i] = {i};
    for (ir::ValueId v : f.node(i).operands) {
      int d = defs[static_cast<size_t>(v)];
      if (d >= 0) (*u)[static_cast<size_t>(d)].push_back(i);
    }
  }
  users_ = std::move(u);
}

std::vector<size_t> Partition::members(size_t node) const { return nodes_[static_cast<size_t>(item_[node])]; }

std::vector<std::vector<size_t>> Partition::groups(size_t min_size) const {
  // Labels are first nodes, so walking them in order gives the groups by first node.
  std::vector<std::vector<size_t>> out;
  for (const std::vector<size_t>& nodes : nodes_)
    if (!nodes.empty() && nodes.size() >= min_size) out.push_back(nodes);
  return out;
}

void Partition::add(std::vector<int>& fen, size_t pos, int d) {
  for (size_t i = pos + 1; i < fen.size(); i += i & (~i + 1)) fen[i] += d;
}

int Partition::below(const std::vector<int>& fen, size_t end) {
  int sum = 0;
  for (size_t i = end; i > 0; i -= i & (~i + 1)) sum += fen[i];
  return sum;
}

void Partition::track(const std::vector<size_t>& nodes, int sign) {
  if (nodes.size() < 2) return;
  add(firsts_, nodes.front(), sign);
  add(lasts_, nodes.back(), sign);
}

// Items whose first node is before p and whose last is after: those with first < p,
// less those with last <= p (whose first is before p too).
int Partition::spanning(size_t p) const { return below(firsts_, p) - below(lasts_, p + 1); }

// With the items m taken as one item M: is there a path M -> s -> ... -> M through
// an item s outside M? (The graph of items is acyclic before the merge.) The search
// starts from M's users and walks whole items, so it costs what M reaches.
//
// Early stop: let p be M's last node. An item t whose first node is after p cannot
// lead back to M unless some item spans p (first < p < last): node edges go
// forward, so every node a walk from t lands on is after p, and only an item with
// nodes on both sides of p can step back to one before it. M's own items end at or
// before p, so they never span it. Without such an item, items after p are skipped.
bool Partition::cycle_if_merged(const std::vector<int>& m) const {
  auto in_m = [&](int it) { return std::binary_search(m.begin(), m.end(), it); };
  size_t p = 0;
  for (int it : m) p = std::max(p, nodes_[static_cast<size_t>(it)].back());
  bool prune = spanning(p) == 0;
  auto beyond = [&](int it) { return prune && nodes_[static_cast<size_t>(it)].front() > p; };
  std::vector<int> stack;
  std::set<int> seen;
  auto push_users_of = [&](int it) {
    ir::count_visits(nodes_[static_cast<size_t>(it)].size());
    for (size_t n : nodes_[static_cast<size_t>(it)])
      for (size_t u : (*users_)[n]) stack.push_back(item_[u]);
  };
  for (int it : m) push_users_of(it);
  std::vector<int> outside;  // the first step must leave M
  for (int it : stack)
    if (!in_m(it) && !beyond(it)) outside.push_back(it);
  stack = std::move(outside);
  while (!stack.empty()) {
    int it = stack.back();
    stack.pop_back();
    if (in_m(it)) return true;
    if (beyond(it) || !seen.insert(it).second) continue;
    push_users_of(it);
  }
  return false;
}

void Partition::relabel(const std::vector<int>& m) {
  std::vector<size_t>& keep = nodes_[static_cast<size_t>(m[0])];
  track(keep, -1);
  for (size_t k = 1; k < m.size(); ++k) {
    std::vector<size_t>& drop = nodes_[static_cast<size_t>(m[k])];
    if (journaling_) journal_.push_back({m[0], m[k], keep, drop});
    track(drop, -1);
    for (size_t n : drop) item_[n] = m[0];
    keep.insert(keep.end(), drop.begin(), drop.end());
    std::vector<size_t>().swap(drop);
    if (journaling_) std::sort(keep.begin(), keep.end());  // the next undo restores a sorted list
  }
  std::sort(keep.begin(), keep.end());
  track(keep, +1);
}

void Partition::rollback() {
  for (auto u = journal_.rbegin(); u != journal_.rend(); ++u) {
    track(nodes_[static_cast<size_t>(u->keep)], -1);
    track(u->keep_nodes, +1);
    track(u->drop_nodes, +1);
    for (size_t n : u->drop_nodes) item_[n] = u->drop;
    nodes_[static_cast<size_t>(u->keep)] = std::move(u->keep_nodes);
    nodes_[static_cast<size_t>(u->drop)] = std::move(u->drop_nodes);
  }
  commit();
}

bool Partition::merge(size_t a, size_t b) {
  int x = item_[a], y = item_[b];
  if (x == y) return true;
  std::vector<int> m{std::min(x, y), std::max(x, y)};
  if (cycle_if_merged(m)) return false;
  relabel(m);
  return true;
}

bool Partition::merge_all(const std::vector<size_t>& nodes) {
  std::vector<int> m;
  for (size_t n : nodes) m.push_back(item_[n]);
  std::sort(m.begin(), m.end());
  m.erase(std::unique(m.begin(), m.end()), m.end());
  if (m.size() < 2) return true;
  if (cycle_if_merged(m)) return false;
  relabel(m);
  return true;
}

namespace {

// The body of one group and the values the fused node takes and gives.
struct Built {
  std::shared_ptr<ir::Function> body;
  std::vector<ir::ValueId> operands, results;
  ir::Locs locs;
};

void add_locs(ir::Locs& to, const ir::Locs& from) {
  for (const ir::SourceLoc& l : from)
    if (std::find(to.begin(), to.end(), l) == to.end()) to.push_back(l);
}

class BodyBuilder {
 public:
  BodyBuilder(const ir::Function& f, const std::vector<int>& defs, const std::vector<bool>& in_group)
      : f_(f), defs_(defs), in_group_(in_group) {}

  Built build(const FusionGroup& g, const std::vector<std::vector<size_t>>& uses) {
    out_.body = std::make_shared<ir::Function>("body");
    ir::Builder b(*out_.body);
    for (ir::ValueId v : g.inputs) add_input(b, v);
    for (size_t m : g.members)
      for (ir::ValueId v : f_.node(m).operands)
        if (!internal(v) && !constant(v) && !map_.count(v)) add_input(b, v);
    for (size_t m : g.members) {
      const ir::Node& n = f_.node(m);
      add_locs(out_.locs, n.locs);
      std::vector<ir::ValueId> ops;
      for (ir::ValueId v : n.operands) {
        if (!map_.count(v)) copy_constant(b, v);  // just before its first use
        ops.push_back(map_.at(v));
      }
      b.set_locs(n.locs);
      std::vector<ir::ValueId> rs = b.emit(n.op, ops, n.attrs);
      for (size_t r = 0; r < rs.size(); ++r) map_[n.results[r]] = rs[r];
    }
    std::vector<ir::ValueId> outs = g.outputs.empty() ? used_outside(g, uses) : g.outputs;
    check_outputs(g, uses, outs);
    b.set_locs({});
    for (size_t k = 0; k < outs.size(); ++k) b.output(std::to_string(k), map_.at(outs[k]));
    out_.results = outs;
    return std::move(out_);
  }

 private:
  bool internal(ir::ValueId v) const { return in_group_[static_cast<size_t>(defs_[static_cast<size_t>(v)])]; }
  bool constant(ir::ValueId v) const { return is_constant(*f_.value(v).def); }

  void add_input(ir::Builder& b, ir::ValueId v) {
    if (map_.count(v)) fail("fusion: value %{} is given to the group twice", v);
    map_[v] = b.input(std::to_string(out_.operands.size()), f_.type(v));
    out_.operands.push_back(v);
  }

  // A constant the members use, copied into the body with its locations.
  void copy_constant(ir::Builder& b, ir::ValueId v) {
    const ir::Node& n = *f_.value(v).def;
    if (!is_constant(n)) fail("fusion: {} is used in the group before it is defined", describe(f_, n));
    b.set_locs(n.locs);
    add_locs(out_.locs, n.locs);
    map_[v] = b.constant(n.attrs.f("value"), f_.type(v));
  }

  std::vector<ir::ValueId> used_outside(const FusionGroup& g, const std::vector<std::vector<size_t>>& uses) const {
    std::vector<ir::ValueId> outs;
    for (size_t m : g.members)
      for (ir::ValueId r : f_.node(m).results)
        for (size_t u : uses[static_cast<size_t>(r)])
          if (!in_group_[u]) {
            outs.push_back(r);
            break;
          }
    return outs;
  }

  void check_outputs(const FusionGroup& g, const std::vector<std::vector<size_t>>& uses,
                     const std::vector<ir::ValueId>& outs) const {
    for (ir::ValueId r : used_outside(g, uses))
      if (std::find(outs.begin(), outs.end(), r) == outs.end())
        fail("fusion ({}): {} is used outside the group but is not one of its outputs", ir::fused_kind_name(g.kind),
             describe(f_, *f_.value(r).def));
  }

  const ir::Function& f_;
  const std::vector<int>& defs_;
  const std::vector<bool>& in_group_;
  std::map<ir::ValueId, ir::ValueId> map_;
  Built out_;
};

// The items of the rewritten function: an original node (group -1) or a group.
struct Item {
  int node = -1, group = -1;
  size_t key = 0;  // position in the old order, to stay close to it
};

class Reorder {
 public:
  Reorder(const ir::Function& f, const std::vector<int>& group_of, const std::vector<Built>& built)
      : f_(f), group_of_(group_of), built_(built) {}

  // Items in a topological order, preferring the old positions (Kahn's algorithm).
  std::vector<Item> order() {
    make_items();
    std::vector<int> item_of_value = value_items();
    std::vector<std::vector<size_t>> succ(items_.size());
    std::vector<int> preds(items_.size(), 0);
    auto edge = [&](size_t from, size_t to) {
      if (from == to) return;
      succ[from].push_back(to);
      ++preds[to];
    };
    for (size_t i = 0; i < items_.size(); ++i)
      for (ir::ValueId v : operands(items_[i])) edge(static_cast<size_t>(item_of_value[static_cast<size_t>(v)]), i);
    order_edges(edge);
    using Entry = std::pair<size_t, size_t>;  // (key, item)
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> ready;
    for (size_t i = 0; i < items_.size(); ++i)
      if (preds[i] == 0) ready.push({items_[i].key, i});
    std::vector<Item> out;
    while (!ready.empty()) {
      size_t i = ready.top().second;
      ready.pop();
      out.push_back(items_[i]);
      for (size_t s : succ[i])
        if (--preds[s] == 0) ready.push({items_[s].key, s});
    }
    if (out.size() != items_.size()) fail("@{}: fusion made a cycle (a group is not convex)", f_.name());
    return out;
  }

 private:
  void make_items() {
    std::vector<int> group_item(built_.size(), -1);
    for (size_t i = 0; i < f_.size(); ++i) {
      int g = group_of_[i];
      if (g < 0) {
        item_of_node_.push_back(static_cast<int>(items_.size()));
        items_.push_back({static_cast<int>(i), -1, i});
      } else {
        if (group_item[static_cast<size_t>(g)] < 0) {
          group_item[static_cast<size_t>(g)] = static_cast<int>(items_.size());
          items_.push_back({-1, g, i});
        }
        item_of_node_.push_back(group_item[static_cast<size_t>(g)]);
      }
    }
  }

  std::vector<int> value_items() const {
    std::vector<int> item(static_cast<size_t>(f_.num_values()), -1);
    for (size_t i = 0; i < f_.size(); ++i)
      for (ir::ValueId r : f_.node(i).results) item[static_cast<size_t>(r)] = item_of_node_[i];
    return item;
  }

  const std::vector<ir::ValueId>& operands(const Item& it) const {
    return it.group >= 0 ? built_[static_cast<size_t>(it.group)].operands : f_.node(static_cast<size_t>(it.node)).operands;
  }

  // Inputs and outputs keep their relative order (they are the signature), and a
  // state's loads stay before its store (memory planning relies on it).
  template <typename Edge>
  void order_edges(Edge&& edge) const {
    int last_in = -1, last_out = -1;
    std::map<std::string, std::vector<size_t>> loads;
    std::map<std::string, size_t> stores;
    for (size_t i = 0; i < f_.size(); ++i) {
      const ir::Node& n = f_.node(i);
      size_t it = static_cast<size_t>(item_of_node_[i]);
      int& last = n.op == ir::Op::Input ? last_in : last_out;
      if (n.op == ir::Op::Input || n.op == ir::Op::Output) {
        if (last >= 0) edge(static_cast<size_t>(last), it);
        last = static_cast<int>(it);
      }
      if (n.op == ir::Op::LoadState) loads[n.attrs.s("name")].push_back(it);
      if (n.op == ir::Op::StoreState) stores[n.attrs.s("name")] = it;
    }
    for (const auto& [name, store] : stores)
      for (size_t load : loads[name]) edge(load, store);
  }

  const ir::Function& f_;
  const std::vector<int>& group_of_;
  const std::vector<Built>& built_;
  std::vector<Item> items_;
  std::vector<int> item_of_node_;
};

ir::Function rebuild(const ir::Function& f, const std::vector<Item>& order, const std::vector<FusionGroup>& groups,
                     const std::vector<Built>& built) {
  ir::Function out(f.name());
  std::vector<ir::ValueId> map(static_cast<size_t>(f.num_values()), -1);
  auto mapped = [&](const std::vector<ir::ValueId>& vs) {
    std::vector<ir::ValueId> m;
    for (ir::ValueId v : vs) m.push_back(map[static_cast<size_t>(v)]);
    return m;
  };
  for (const Item& it : order) {
    if (it.group < 0) {
      const ir::Node& n = f.node(static_cast<size_t>(it.node));
      std::vector<ir::Type> declared;
      if (n.info().type_rule == nullptr) declared.push_back(f.type(n.result()));
      const ir::Node& c = out.append(n.op, mapped(n.operands), n.attrs, n.locs, declared, n.body);
      for (size_t r = 0; r < n.results.size(); ++r) map[static_cast<size_t>(n.results[r])] = c.results[r];
      continue;
    }
    const Built& b = built[static_cast<size_t>(it.group)];
    const ir::Node& c = out.append(ir::Op::Fused, mapped(b.operands), {{"kind", std::string(ir::fused_kind_name(groups[static_cast<size_t>(it.group)].kind))}},
                                   b.locs, {}, b.body);
    for (size_t r = 0; r < b.results.size(); ++r) map[static_cast<size_t>(b.results[r])] = c.results[r];
  }
  return out;
}

// Whether the graph of groups and lone nodes has no cycle (Kahn's algorithm: a
// cycle leaves some item that never runs out of predecessors).
bool acyclic_quotient(const ir::Function& f, const std::vector<int>& defs, const std::vector<int>& group_of,
                      size_t num_groups) {
  size_t n = f.size();
  ir::count_visits(n);
  auto item = [&](size_t i) { return group_of[i] >= 0 ? n + static_cast<size_t>(group_of[i]) : i; };
  std::vector<std::vector<size_t>> succ(n + num_groups);
  std::vector<int> preds(n + num_groups, 0);
  for (size_t i = 0; i < n; ++i)
    for (ir::ValueId v : f.node(i).operands) {
      int d = defs[static_cast<size_t>(v)];
      if (d < 0 || item(static_cast<size_t>(d)) == item(i)) continue;
      succ[item(static_cast<size_t>(d))].push_back(item(i));
      ++preds[item(i)];
    }
  std::vector<size_t> ready;
  for (size_t it = 0; it < n + num_groups; ++it)
    if (preds[it] == 0) ready.push_back(it);
  size_t done = 0;
  while (!ready.empty()) {
    size_t it = ready.back();
    ready.pop_back();
    ++done;
    for (size_t s : succ[it])
      if (--preds[s] == 0) ready.push_back(s);
  }
  return done == n + num_groups;
}

}  // namespace

void fuse_groups(ir::Function& f, const std::vector<FusionGroup>& groups) {
  ir::count_visits(f.size());
  if (groups.empty()) return;
  std::vector<int> defs = def_index(f);
  std::vector<std::vector<size_t>> uses = users(f);
  std::vector<int> group_of(f.size(), -1);
  for (size_t g = 0; g < groups.size(); ++g)
    for (size_t m : groups[g].members) {
      if (group_of[m] >= 0) fail("fusion: {} is in two groups", describe(f, f.node(m)));
      group_of[m] = static_cast<int>(g);
    }
  // One check for all groups: a group that is not convex closes a cycle among the
  // groups and the other nodes, so when there is none, none needs its own scan.
  bool convex = acyclic_quotient(f, defs, group_of, groups.size());
  std::vector<Built> built;
  std::vector<bool> in_group(f.size(), false);  // the members of group g only
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t m : groups[g].members) in_group[m] = true;
    if (!convex)
      if (std::optional<size_t> bad = breaks_convexity(f, defs, in_group))
        fail("fusion ({}): the group is not convex: {} depends on it and feeds it", ir::fused_kind_name(groups[g].kind),
             describe(f, f.node(*bad)));
    built.push_back(BodyBuilder(f, defs, in_group).build(groups[g], uses));
    for (size_t m : groups[g].members) in_group[m] = false;
  }
  std::vector<Item> order = Reorder(f, group_of, built).order();
  f = rebuild(f, order, groups, built);
  remove_unused_constants(f);
}

void remove_unused_constants(ir::Function& f) {
  ir::count_visits(f.size());
  std::vector<int> uses = f.use_counts();
  std::vector<bool> keep(f.size(), true);
  bool any = false;
  for (size_t i = 0; i < f.size(); ++i)
    if (is_constant(f.node(i)) && uses[static_cast<size_t>(f.node(i).result())] == 0) keep[i] = false, any = true;
  if (any) {
    f.remove_nodes(keep);
    f.renumber();
  }
}

size_t remove_dead_nodes(ir::Function& f) {
  ir::count_visits(f.size());
  std::vector<int> uses = f.use_counts();
  std::vector<bool> keep(f.size(), true);
  size_t removed = 0;
  for (size_t i = f.size(); i-- > 0;) {
    const ir::Node& n = f.node(i);
    // A collective stays even when unused: every rank must run it.
    if (n.info().has(ir::kSink) || n.info().has(ir::kCollective) || n.op == ir::Op::Input) continue;
    bool used = false;
    for (ir::ValueId r : n.results) used = used || uses[static_cast<size_t>(r)] > 0;
    if (used) continue;
    keep[i] = false;
    ++removed;
    for (ir::ValueId v : n.operands) --uses[static_cast<size_t>(v)];
  }
  if (removed > 0) {
    f.remove_nodes(keep);
    f.renumber();
  }
  return removed;
}

}  // namespace minigrad::passes
