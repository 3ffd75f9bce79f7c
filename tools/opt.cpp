// minigrad-opt; see opt.h.
#include "tools/opt.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/atomic_file.h"
#include "ir/parser.h"
#include "passes/pass_manager.h"
#include "passes/registry.h"
#include "tools/pipeline_flags.h"

namespace minigrad::tools {
namespace {

std::string read_input(const std::string& path) {
  std::stringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path);
  if (!in) fail("{}: cannot open it", path);
  ss << in.rdbuf();
  return ss.str();
}

struct Section {
  std::string text;  // padded with empty lines, so that parse errors give the file's line numbers
};

std::vector<Section> split(const std::string& text, bool on) {
  if (!on) return {{text}};
  std::vector<Section> out;
  std::string cur;
  size_t line = 0, start = 0;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) {
    ++line;
    if (l.rfind("// -----", 0) == 0) {
      out.push_back({std::string(start, '\n') + cur});
      cur.clear();
      start = line;
      continue;
    }
    cur += l + "\n";
  }
  out.push_back({std::string(start, '\n') + cur});
  return out;
}

// The pass names of -p (each may be a comma-separated list), checked.
std::vector<std::string> pass_list(const OptFlags& f) {
  std::vector<std::string> names;
  for (const std::string& p : f.passes) {
    std::stringstream ss(p);
    std::string name;
    while (std::getline(ss, name, ','))
      if (!name.empty()) names.push_back(name);
  }
  for (const std::string& n : names)
    if (!passes::find_pass(n)) fail("-p {}: no such pass (passes: {})", n, passes::pass_names());
  if (!names.empty() && !f.stage.empty()) fail("give either -p passes or --pipeline, not both");
  if (!f.stage.empty()) {
    std::optional<passes::Stage> stage = passes::parse_stage(f.stage);
    if (!stage) fail("--pipeline {}: no such stage ({})", f.stage, passes::kStageNames);
    for (const passes::PipelineEntry& e : passes::default_pipeline())
      if (e.stage <= *stage) names.emplace_back(e.pass);
  }
  return names;
}

std::string run_section(const std::string& text, const std::string& file, const std::vector<std::string>& names,
                        const OptFlags& f) {
  ir::Module m = ir::parse_module(text, file);
  passes::PassManager pm(f.pipeline);
  for (const std::string& n : names) pm.add(passes::make_pass(n));
  pm.run(m);
  ir::PrintOptions po{!f.no_locs};
  return names.empty() ? ir::print(m, po) : passes::make_pass(names.back())->print(m, po);
}

}  // namespace

void add_opt_flags(CLI::App* cmd, OptFlags& f) {
  cmd->add_option("file", f.input, "IR text file, or - for standard input")->capture_default_str();
  repeatable(cmd->add_option("-p,--pass", f.passes, "a pass to run, in order (repeatable; or a,b,c): " + passes::pass_names()));
  cmd->add_option("--pipeline", f.stage, std::string("run the default pipeline up to a stage: ") + passes::kStageNames);
  cmd->add_flag("--split-input-file", f.split, "treat each '// -----' section as its own module");
  cmd->add_flag("--no-locs", f.no_locs, "leave out the source locations");
  cmd->add_option("-o,--output", f.output, "write to this file instead of standard output");
  add_pipeline_flags(cmd, f.pipeline);
}

int run_opt(const OptFlags& f) {
  passes::check_options(f.pipeline);
  std::vector<std::string> names = pass_list(f);
  std::string file = f.input == "-" ? "<stdin>" : f.input;
  std::string out;
  int status = 0;
  std::vector<Section> sections = split(read_input(f.input), f.split);
  for (size_t i = 0; i < sections.size(); ++i) {
    std::string result;
    try {
      result = run_section(sections[i].text, file, names, f);
    } catch (const Error& e) {
      if (!f.split) throw;
      std::fflush(stdout);
      fmt::print(stderr, "minigrad-opt: error: {}\n", e.what());
      status = 1;
    }
    std::string piece = (i > 0 ? "// -----\n" : "") + result;
    if (f.output.empty()) {
      fmt::print("{}", piece);
      std::fflush(stdout);
    }
    out += piece;
  }
  if (!f.output.empty()) {
    runtime::write_file_atomic(f.output, out);
  }
  return status;
}

void add_opt_command(CLI::App& app) {
  auto f = std::make_shared<OptFlags>();
  CLI::App* cmd = app.add_subcommand("opt", "run passes over an IR text file and print the result (as minigrad-opt)");
  add_opt_flags(cmd, *f);
  cmd->callback([f] {
    if (run_opt(*f) != 0) fail("some sections failed");
  });
}

}  // namespace minigrad::tools
