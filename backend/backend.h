// The one interface every backend implements. A backend compiles one function of a
// module into an Executable bound to a StateStore: the executable reads and writes
// the state buffers in place, takes its inputs in the order of the function's input
// nodes and writes its outputs, in the order of its output nodes, into buffers the
// caller provides. The interpreter (backend/interp) and the LLVM JIT
// (backend/llvm) are the two implementations; the interpreter is the reference.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backend/buffer.h"
#include "ir/error.h"
#include "ir/graph.h"

namespace minigrad {

// One buffer per state declaration of a module, found by name. Buffers never move
// once created, so compiled code may keep their addresses.
class StateStore {
 public:
  StateStore() = default;
  explicit StateStore(const ir::Module& m) { add_missing(m); }
  // Copies hold their own buffers (a snapshot of every state).
  StateStore(const StateStore& other);
  StateStore& operator=(const StateStore& other);
  StateStore(StateStore&&) = default;
  StateStore& operator=(StateStore&&) = default;

  // Creates a zeroed buffer for each state of `m` not yet present; an existing one
  // of another type is an Error.
  void add_missing(const ir::Module& m);
  Buffer& get(const std::string& name);
  const Buffer& get(const std::string& name) const;
  bool has(const std::string& name) const { return buffers_.count(name) != 0; }
  const std::map<std::string, std::unique_ptr<Buffer>>& all() const { return buffers_; }

 private:
  std::map<std::string, std::unique_ptr<Buffer>> buffers_;
};

// The input and output signature of a function: names and types, in order.
struct Signature {
  std::vector<std::pair<std::string, ir::Type>> inputs, outputs;
};
Signature signature_of(const ir::Function& f);

class Executable {
 public:
  virtual ~Executable() = default;
  const Signature& signature() const { return sig_; }
  // Runs the function once. `inputs` and `outputs` match signature() in count and
  // type (checked by run_checked, not here: the hot path does no checking).
  virtual void run(std::span<const TensorView> inputs, std::span<const TensorView> outputs) = 0;
  // run() after checking that the views match the signature; Error otherwise.
  void run_checked(std::span<const TensorView> inputs, std::span<const TensorView> outputs);

 protected:
  Signature sig_;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Compiles function `func` of `m`; `state` must hold every state of `m` and outlive
  // the executable. Anything that cannot be compiled is an Error naming the node and
  // its source line.
  virtual std::unique_ptr<Executable> compile(const ir::Module& m, const std::string& func, StateStore& state) = 0;
};

// The first node of a run whose result holds a NaN or an infinity, found by an
// interpreter made with check_finite (below). `node` is its index in the function;
// the message is "<op> at <source location>: <value> at [i] of result r".
class NonFiniteValue : public Error {
 public:
  NonFiniteValue(size_t node, std::string message) : Error(std::move(message)), node(node) {}
  size_t node;
};

// denormals_as_zero: each run flushes subnormals to zero (backend/fp_env.h).
// check_finite: after each node, its float results are scanned and the first NaN
// or infinity stops the run with NonFiniteValue (the state stays untouched, as on
// any Error); for locating where a training run diverged, not for speed.
std::unique_ptr<Backend> make_interp_backend(bool denormals_as_zero = false, bool check_finite = false);

}  // namespace minigrad
