// Images through graphviz; see graphviz.h.
#include "tools/graphviz.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/atomic_file.h"

namespace minigrad::tools {
namespace {

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `command` with the shell, returning its exit status and what it printed.
std::pair<int, std::string> run_capture(const std::string& command) {
  std::FILE* p = ::popen((command + " </dev/null 2>&1").c_str(), "r");
  if (!p) fail("cannot run '{}'", command);
  std::string out;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

void render_dot(const std::string& dot_text, const std::string& format, const std::string& path) {
  if (run_capture("command -v dot").first != 0)
    fail("{}: --format {} draws the graph with graphviz's `dot`, which is not installed "
         "(Debian: apt-get install graphviz; or write --format dot and draw it elsewhere)", path, format);
  const std::string target = runtime::resolve_output_path(path).string();
  std::string tmp = fmt::format("{}.tmp.{}", target, ::getpid());
  runtime::write_file_atomic(tmp + ".dot", dot_text);
  auto [status, out] = run_capture(fmt::format("dot -T{} {} -o {}", format, shell_quoted(tmp + ".dot"),
                                               shell_quoted(tmp + "." + format)));
  std::error_code ec;
  std::filesystem::remove(tmp + ".dot", ec);
  if (status != 0 || !std::filesystem::exists(tmp + "." + format)) {
    std::filesystem::remove(tmp + "." + format, ec);
    fail("{}: graphviz's dot failed (exit {}): {}", path, status, out);
  }
  std::filesystem::rename(tmp + "." + format, target, ec);
  if (ec) fail("{}: cannot write: {}", path, ec.message());
}

}  // namespace minigrad::tools
