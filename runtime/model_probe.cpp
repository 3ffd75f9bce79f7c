// Building and tracing a model file in a child process; see model_probe.h.
#include "runtime/model_probe.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

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

// The child: stdout goes nowhere (the in-process build prints what the model
// prints); each phase is a line on the pipe; exceptions end the child normally.
[[noreturn]] void child(int out, const std::function<void(const std::function<void(const char*)>&)>& work) {
  int null = ::open("/dev/null", O_WRONLY);
  if (null >= 0) ::dup2(null, STDOUT_FILENO);
  // A fault in the model's code ends the child by its signal, which the parent
  // names: the default actions, whatever handlers this process installed (a
  // sanitizer's would report the fault and exit with a status instead).
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, SIG_DFL);
  auto phase = [out](const char* what) {
    std::string line = std::string(what) + "\n";
    ssize_t ignored = ::write(out, line.data(), line.size());
    (void)ignored;
  };
  try {
    work(phase);
  } catch (...) {
  }
  ::_exit(0);  // no atexit handlers, no flush of the parent's stdio buffers
}

// The last line of what the child wrote.
std::string last_phase(int in) {
  std::string text;
  char buf[512];
  for (ssize_t n; (n = ::read(in, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  size_t nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

}  // namespace

void run_contained(const std::string& file,
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
  std::string phase = last_phase(fds[0]);
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) fail("model file {}: waiting for the build of the model: {}", file, std::strerror(errno));
  if (phase.empty()) phase = "loading the model";
  if (WIFSIGNALED(status))
    fail("model file {} crashed ({}) while {}", file, signal_name(WTERMSIG(status)), phase);
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    fail("model file {} exited with status {} while {}", file, WEXITSTATUS(status), phase);
}

}  // namespace minigrad::runtime
