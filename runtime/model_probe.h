// Fault containment for model files. A model file is C++ that minigradc loads and
// runs: a null pointer or an out-of-range index in it would kill minigradc with
// SIGSEGV and no word. So before the model is built in the process, it is built
// and traced once in a child process (fork): a child ended by a signal, or one
// that exits on its own, is an Error naming the model file, the signal and what the
// child was doing ("while building the model"), and the run stops before anything
// is written. An exception in the child is left to the in-process build, which
// reports it as usual. This covers building and tracing (the code of the model
// file that runs); compiled steps run generated code, not the model file's.
// fork, pipe and waitpid are POSIX (Linux and macOS).
#pragma once

#include <functional>
#include <string>

namespace minigrad::runtime {

// Runs work(phase) in a child process; `work` calls phase("building the model")
// as it goes, so that a crash names the last phase. `file` names the model file.
void run_contained(const std::string& file,
                   const std::function<void(const std::function<void(const char*)>& phase)>& work);

// "SIGSEGV"; "signal 42" for one without a name here.
std::string signal_name(int sig);

}  // namespace minigrad::runtime
