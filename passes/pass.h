// The interface of a pass: a named rewrite of a module. run() returns whether
// anything changed, or throws minigrad::Error naming the node and its source line.
// The pass manager (passes/pass_manager.h) runs an ordered list of passes and
// verifies the module after each one; passes/registry.h creates a pass by name.
//
// A pass may explain its decisions (a fusion it declines and why) through note():
// the text goes to the context's log when the pipeline runs with --debug-fusion.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "ir/graph.h"
#include "ir/printer.h"

namespace minigrad::passes {

// What a pass may use from the pass manager: where its notes go, and whether to
// write them at all.
struct PassContext {
  bool debug = false;         // --debug-fusion: passes explain what they fuse and decline
  std::FILE* log = stderr;    // notes, IR prints, timings and statistics
};

class Pass {
 public:
  virtual ~Pass() = default;
  virtual std::string_view name() const = 0;  // the CLI name: --disable-pass=NAME
  virtual bool run(ir::Module& m) = 0;

  // The module as --print-after and --dump-dir show it after this pass; a pass that
  // computes something worth seeing (the memory plan) adds it as comments.
  virtual std::string print(const ir::Module& m, const ir::PrintOptions& opts) const { return ir::print(m, opts); }

  void set_context(const PassContext* c) { ctx_ = c; }

 protected:
  bool debugging() const { return ctx_ != nullptr && ctx_->debug; }

  // One line "[name] text" to the log, only under --debug-fusion.
  template <typename... Args>
  void note(fmt::format_string<Args...> format, Args&&... args) const {
    if (!debugging()) return;
    fmt::print(ctx_->log, "[{}] {}\n", name(), fmt::format(format, std::forward<Args>(args)...));
  }

 private:
  const PassContext* ctx_ = nullptr;
};

}  // namespace minigrad::passes
