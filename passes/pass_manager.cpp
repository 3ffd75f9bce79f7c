// The pass manager; see pass_manager.h.
#include "passes/pass_manager.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "ir/error.h"
#include "ir/verifier.h"
#include "ir/work.h"
#include "passes/fusion_contract.h"
#include "passes/registry.h"

namespace minigrad::passes {

OpCounts count_ops(const ir::Function& f) {
  OpCounts c;
  for (size_t i = 0; i < f.size(); ++i) {
    const ir::Node& n = f.node(i);
    std::string name(n.info().name);
    if (n.op == ir::Op::Fused) name += "." + n.attrs.s("kind");
    ++c[name];
  }
  return c;
}

namespace {

std::map<std::string, OpCounts> count_module(const ir::Module& m) {
  std::map<std::string, OpCounts> c;
  for (const ir::Function& f : m.funcs) c[f.name()] = count_ops(f);
  return c;
}

int total(const OpCounts& c) {
  int n = 0;
  for (const auto& [op, k] : c) n += k;
  return n;
}

// "add 12->4, fused.elementwise 0->3": the ops whose counts differ.
std::string diff(const OpCounts& before, const OpCounts& after) {
  std::map<std::string, std::pair<int, int>> all;
  for (const auto& [op, k] : before) all[op].first = k;
  for (const auto& [op, k] : after) all[op].second = k;
  std::string s;
  for (const auto& [op, ba] : all)
    if (ba.first != ba.second) s += fmt::format("{}{} {}->{}", s.empty() ? "" : ", ", op, ba.first, ba.second);
  return s.empty() ? "-" : s;
}

std::string full(const OpCounts& c) {
  std::string s;
  for (const auto& [op, k] : c) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", op, k);
  return s;
}

}  // namespace

namespace {
thread_local std::vector<PassRecord> latest;
}  // namespace

const std::vector<PassRecord>& last_records() { return latest; }

PassManager::PassManager(PipelineOptions options) : options_(std::move(options)) {
  ctx_.debug = options_.debug_fusion;
  ctx_.log = options_.log != nullptr ? options_.log : stderr;
}

void PassManager::add(std::unique_ptr<Pass> pass) {
  pass->set_context(&ctx_);
  passes_.push_back(std::move(pass));
}

bool PassManager::disabled(std::string_view name) const {
  const PassInfo* info = find_pass(name);
  if (info != nullptr && info->required) return false;
  for (const std::string& d : options_.disabled)
    if (d == name || d == "all") return true;
  return false;
}

const std::vector<PassRecord>& PassManager::run(ir::Module& m) {
  records_.clear();
  // The fused nodes passes write follow docs/fusion-kinds.md; a module that
  // arrives with other fused bodies (hand-written IR) is held to the verifier only.
  bool contract = true;
  try {
    check_fusion_contract(m);
  } catch (const Error&) {
    contract = false;
  }
  std::map<std::string, OpCounts> input = count_module(m);
  if (!options_.dump_dir.empty()) write_dump("00-input.mgir", ir::print(m, {options_.print_locs}));
  for (size_t i = 0; i < passes_.size(); ++i) {
    Pass& p = *passes_[i];
    PassRecord r;
    r.name = std::string(p.name());
    if (disabled(p.name())) {
      if (options_.print_after_all) fmt::print(ctx_.log, "// ----- {} is disabled -----\n", p.name());
      r.counts = records_.empty() ? input : records_.back().counts;
      records_.push_back(std::move(r));
      continue;
    }
    auto start = std::chrono::steady_clock::now();
    uint64_t visits = ir::node_visit_count;
    try {
      r.changed = p.run(m);
    } catch (const Error& e) {
      throw Error(fmt::format("pass {}: {}", p.name(), e.what()));
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.visits = ir::node_visit_count - visits;
    r.ran = true;
    try {
      ir::verify(m);
      if (contract) check_fusion_contract(m);
    } catch (const Error& e) {
      if (!options_.dump_dir.empty()) write_dump(fmt::format("{:02}-{}.broken.mgir", i + 1, p.name()), ir::print(m));
      throw Error(fmt::format("after pass {}: {}", p.name(), e.what()));
    }
    after_pass(p, m, r, i + 1);
    records_.push_back(std::move(r));
  }
  latest = records_;
  if (options_.time_passes) print_timing();
  if (options_.stats) print_stats(input);
  return records_;
}

void PassManager::after_pass(const Pass& p, const ir::Module& m, PassRecord& r, size_t index) {
  r.counts = count_module(m);
  bool named = options_.print_after_all ||
               std::find(options_.print_after.begin(), options_.print_after.end(), p.name()) != options_.print_after.end();
  bool print = options_.print_changed ? r.changed && (named || (!options_.print_after_all && options_.print_after.empty()))
                                      : named;
  ir::PrintOptions po{options_.print_locs};
  if (print)
    fmt::print(ctx_.log, "// ----- IR after {}{} -----\n{}", p.name(), r.changed ? "" : " (unchanged)", p.print(m, po));
  if (!options_.dump_dir.empty()) write_dump(fmt::format("{:02}-{}.mgir", index, p.name()), p.print(m, po));
}

void PassManager::write_dump(const std::string& file, const std::string& text) const {
  std::filesystem::path dir(options_.dump_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail("--dump-dir {}: cannot create it: {}", dir.string(), ec.message());
  std::ofstream out(dir / file);
  if (!(out << text)) fail("--dump-dir: cannot write {}", (dir / file).string());
}

void PassManager::print_timing() const {
  double sum = 0;
  for (const PassRecord& r : records_) sum += r.seconds;
  fmt::print(ctx_.log, "===== pass timing =====\n  {:>10}  {:>6}  pass\n", "seconds", "share");
  for (const PassRecord& r : records_) {
    if (!r.ran) {
      fmt::print(ctx_.log, "  {:>10}  {:>6}  {} (disabled)\n", "-", "-", r.name);
      continue;
    }
    fmt::print(ctx_.log, "  {:>10.6f}  {:>5.1f}%  {}\n", r.seconds, sum > 0 ? 100 * r.seconds / sum : 0.0, r.name);
  }
  fmt::print(ctx_.log, "  {:>10.6f}  {:>5.1f}%  total\n", sum, 100.0);
}

void PassManager::print_stats(const std::map<std::string, OpCounts>& input) const {
  for (const auto& [func, counts] : input) {
    fmt::print(ctx_.log, "===== nodes of @{} by pass =====\n  {:<22} {:>5}  by op\n", func, "pass", "nodes");
    fmt::print(ctx_.log, "  {:<22} {:>5}  {}\n", "(input)", total(counts), full(counts));
    const OpCounts* before = &counts;
    for (const PassRecord& r : records_) {
      const OpCounts& after = r.counts.at(func);
      std::string name = r.ran ? r.name : r.name + " (off)";
      fmt::print(ctx_.log, "  {:<22} {:>5}  {}\n", name, total(after), diff(*before, after));
      before = &after;
    }
    fmt::print(ctx_.log, "  {:<22} {:>5}  {}\n", "(output)", total(*before), full(*before));
  }
}

}  // namespace minigrad::passes
