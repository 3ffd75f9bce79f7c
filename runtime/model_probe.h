// Fault containment for model files. A model file is C++ that minigradc loads and
// runs: a null pointer or an out-of-range index in it would kill minigradc with
// SIGSEGV and no word. So before the model is built in the process, it is built
// and traced once in a child process (fork): a child ended by a signal, or one
// that exits on its own, is an Error naming the model file, the signal and what the
// child was doing ("while building the model"), and the run stops before anything
// is written. An exception in the child is left to the in-process build, which
// reports it as usual. This covers building and tracing (the code of the model
// file that runs); compiled steps run generated code, not the model file's.
// A child that exits on its own, even with status 0, before its work returned is an
// error too ("ended the process itself"), and so is one that dies of an exception
// nothing catches (a static initializer that throws while the shared object
// loads, which would otherwise abort minigradc). In the process itself,
// ModelCodeScope marks the model file's code running: a std::exit from it then
// ends minigradc with status 1 and the file's name, so that exit status 0 only
// ever means the work was done.
// fork, pipe and waitpid are POSIX (Linux and macOS).
#pragma once

#include <functional>
#include <string>

namespace minigrad::runtime {

// What the child reported: its last phase, the message of an exception its work
// threw (empty if none), and whether the work returned.
struct ChildReport {
  std::string phase, threw;
  bool done = false;
};

// Runs work(phase) in a child process; `work` calls phase("building the model")
// as it goes, so that a crash names the last phase. `file` names the model file.
// A crash or an exit is an Error; an exception the work threw is reported back.
ChildReport run_contained(const std::string& file,
                          const std::function<void(const std::function<void(const char*)>& phase)>& work);

// While one lives, a std::exit in this process is an error naming `file` (exit 1).
class ModelCodeScope {
 public:
  explicit ModelCodeScope(const std::string& file);
  ~ModelCodeScope();
  ModelCodeScope(const ModelCodeScope&) = delete;
  ModelCodeScope& operator=(const ModelCodeScope&) = delete;

 private:
  std::string file_;
  const char* outer_;
};

// "SIGSEGV"; "signal 42" for one without a name here.
std::string signal_name(int sig);

}  // namespace minigrad::runtime
