// Building and tracing a model file in a child process; see model_probe.h.
#include "runtime/model_probe.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include <fmt/format.h>

#include "ir/error.h"

namespace minigrad::runtime {

std::string signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGTRAP: return "SIGTRAP";
    default: return fmt::format("signal {}", sig);
  }
}

namespace {

// A line on the pipe to the parent: "phase <what>", "threw <what>" or "done".
void say(int out, const std::string& text) {
  std::string line = text + "\n";
  ssize_t ignored = ::write(out, line.data(), line.size());
  (void)ignored;
}

int g_child_out = -1;  // the child's pipe, for its terminate handler
bool g_in_child = false;  // in the child the parent reports an exit, with its status

// An exception nothing catches (one thrown by a static initializer while the
// shared object loads): its message goes to the parent before the abort.
[[noreturn]] void child_terminate() {
  std::string what = "an exception";
  try {
    if (std::exception_ptr e = std::current_exception()) std::rethrow_exception(e);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  say(g_child_out, "threw " + what);
  std::abort();
}

// The child: stdout goes nowhere (the in-process build prints what the model
// prints); each phase is a line on the pipe; an exception is a line too, and ends
// the child normally; "done" is written only when the work returned.
[[noreturn]] void child(int out, const std::function<void(const std::function<void(const char*)>&)>& work) {
  int null = ::open("/dev/null", O_WRONLY);
  if (null >= 0) ::dup2(null, STDOUT_FILENO);
  // A fault in the model's code ends the child by its signal, which the parent
  // names: the default actions, whatever handlers this process installed (a
  // sanitizer's would report the fault and exit with a status instead).
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, SIG_DFL);
  g_child_out = out;
  g_in_child = true;
  std::set_terminate(child_terminate);
  auto phase = [out](const char* what) { say(out, std::string("phase ") + what); };
  try {
    work(phase);
    say(out, "done");
  } catch (const std::exception& e) {
    say(out, std::string("threw ") + e.what());
  } catch (...) {
    say(out, "threw an exception");
  }
  ::_exit(0);  // no atexit handlers, no flush of the parent's stdio buffers
}

// What the child wrote: its last phase, an exception's message, whether it finished.
ChildReport read_report(int in) {
  std::string text;
  char buf[512];
  for (ssize_t n; (n = ::read(in, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ChildReport r;
  for (size_t at = 0, nl; at < text.size(); at = nl + 1) {
    nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(at, nl - at);
    if (line.starts_with("phase ")) r.phase = line.substr(6);
    if (line.starts_with("threw ")) r.threw = line.substr(6);
    if (line == "done") r.done = true;
  }
  return r;
}

}  // namespace

ChildReport run_contained(const std::string& file,
                          const std::function<void(const std::function<void(const char*)>& phase)>& work) {
  int fds[2];
  if (::pipe(fds) != 0) fail("model file {}: cannot make a pipe to build the model apart: {}", file, std::strerror(errno));
  std::fflush(stdout), std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]), ::close(fds[1]);
    fail("model file {}: cannot fork to build the model apart: {}", file, std::strerror(errno));
  }
  if (pid == 0) {
    ::close(fds[0]);
    child(fds[1], work);
  }
  ::close(fds[1]);
  ChildReport r = read_report(fds[0]);
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) fail("model file {}: waiting for the build of the model: {}", file, std::strerror(errno));
  if (r.phase.empty()) r.phase = "loading the model";
  std::string threw = r.threw.empty() ? "" : fmt::format(" (an exception nothing caught: {})", r.threw);
  if (WIFSIGNALED(status))
    fail("model file {} crashed ({}) while {}{}", file, signal_name(WTERMSIG(status)), r.phase, threw);
  if (WIFEXITED(status) && (WEXITSTATUS(status) != 0 || (!r.done && r.threw.empty())))
    fail("model file {} ended the process itself (exit status {}) while {}: a model file must return its model, "
         "not exit",
         file, WEXITSTATUS(status), r.phase);
  return r;
}

namespace {
thread_local const char* g_model_code = nullptr;  // the model file whose code runs in this process now

// std::exit from a model file's code runs this: the work was not done, so the
// status is 1, never the model's 0.
void exit_during_model_code() {
  if (g_model_code == nullptr || g_in_child) return;
  std::fprintf(stderr, "minigradc: model file %s ended the process itself while it was running: a model file must "
                       "return its model, not exit\n", g_model_code);
  std::fflush(stderr);
  ::_exit(1);
}
}  // namespace

ModelCodeScope::ModelCodeScope(const std::string& file) : file_(file), outer_(g_model_code) {
  static const bool registered = std::atexit(exit_during_model_code) == 0;
  (void)registered;
  g_model_code = file_.c_str();
}

ModelCodeScope::~ModelCodeScope() { g_model_code = outer_; }

}  // namespace minigrad::runtime
