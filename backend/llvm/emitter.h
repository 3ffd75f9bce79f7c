// The toolkit every kernel emitter of the LLVM backend uses: element and vector
// types of the IR's dtypes at the host's vector width, splats, vector loads and
// stores at element offsets, counted loops (with loop-carried values) over static
// or computed bounds, horizontal reductions, and the creation of kernel functions
// with the attributes the host CPU needs. Vector code is written with LLVM vector
// types of `lanes` elements (a register's width: 16 f32 with AVX-512, 4 with NEON);
// a static remainder is the same code at a narrower width, which LLVM legalises
// for the target, so nothing here is specific to one instruction set.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include "ir/types.h"

namespace minigrad::jit {

// What the generated code targets: a CPU (the host's, or any that target.h can
// select), its features, the width and number of its vector registers as the
// target reports them, and the figures the GEMM's cost model and cache blocking
// use. The defaults are one instance (a two-FMA-port core with 4-cycle FMAs,
// 32 KiB L1, 1 MiB L2); target.h's target_info fills in the host's caches
// (backend/llvm/host_cpu.h) or another CPU's documented figures.
// How GEMMs are lowered (gemm/plan.h): the cost model's choice, or one lowering
// (tests and benchmarks compare them).
enum class GemmChoice { Auto, Tiled, Blocked };

struct TargetInfo {
  std::string triple, cpu, features, data_layout;
  unsigned vector_bits = 128;   // one vector register
  unsigned vector_registers = 16;
  unsigned fma_per_cycle = 2;   // vector FMAs issued per cycle
  unsigned fma_latency = 4;     // cycles before an FMA's result feeds the next
  unsigned loads_per_cycle = 2; // vector loads per cycle
  int64_t l1d_bytes = 32 * 1024, l2_bytes = 1024 * 1024, l3_bytes = 8 * 1024 * 1024;
  GemmChoice gemm = GemmChoice::Auto;
};

using Values = std::vector<llvm::Value*>;

class Emitter {
 public:
  Emitter(llvm::Module& m, const TargetInfo& t);

  llvm::LLVMContext& ctx() { return ctx_; }
  llvm::Module& module() { return mod_; }
  llvm::IRBuilder<>& b() { return b_; }
  const TargetInfo& target() const { return target_; }

  // ---- types and constants
  llvm::Type* scalar(ir::DType d);
  // Lanes of one vector register of dtype d.
  unsigned width(ir::DType d) const { return target_.vector_bits / unsigned(8 * ir::dtype_size(d)); }
  // <lanes x d>, or the scalar type when lanes == 1.
  llvm::Type* type(ir::DType d, unsigned lanes);
  llvm::Type* ptr();
  llvm::Type* i32();
  llvm::Type* i64();
  llvm::Value* idx(int64_t v);                                       // i64 constant
  llvm::Value* constant(ir::DType d, double v, unsigned lanes = 1);  // splat of v in d
  llvm::Value* splat(llvm::Value* scalar, unsigned lanes);           // scalar when lanes == 1
  unsigned lanes_of(llvm::Value* v) const;                           // 1 for a scalar

  // ---- memory: base is a pointer to elements of dtype d, offset an i64 element index
  llvm::Value* at(ir::DType d, llvm::Value* base, llvm::Value* offset);
  llvm::Value* load(ir::DType d, unsigned lanes, llvm::Value* base, llvm::Value* offset);
  void store(ir::DType d, llvm::Value* v, llvm::Value* base, llvm::Value* offset);
  // A hint that base[offset]'s cache line will be read soon (llvm.prefetch: no
  // effect on results; a target without prefetch instructions drops it).
  void prefetch(ir::DType d, llvm::Value* base, llvm::Value* offset);
  // base[offset + i] = v for i < n, in vectors.
  void fill(ir::DType d, llvm::Value* base, int64_t n, llvm::Value* scalar_value);
  void copy(llvm::Value* to, llvm::Value* from, int64_t bytes);

  // ---- loops. The body runs with the induction variable (i64) for i = begin,
  // begin + step, ... < end; a loop of one iteration is emitted without a loop.
  using Body = std::function<void(llvm::Value*)>;
  void loop(int64_t begin, int64_t end, int64_t step, const Body& body);
  void loop(llvm::Value* begin, llvm::Value* end, int64_t step, const Body& body);
  // The same with values carried from one iteration to the next: the body gets the
  // current values and returns the next; loop_carry returns the final values.
  using CarryBody = std::function<Values(llvm::Value*, const Values&)>;
  Values loop_carry(int64_t begin, int64_t end, int64_t step, const Values& init, const CarryBody& body);
  Values loop_carry(llvm::Value* begin, llvm::Value* end, int64_t step, const Values& init, const CarryBody& body);
  // Vector loop over [0, n): body(offset, lanes) for full vectors, then once with a
  // narrower static width for the remainder.
  using VecBody = std::function<void(llvm::Value*, unsigned)>;
  void vector_loop(int64_t n, unsigned lanes, const VecBody& body);
  // The vectors [begin, end) of that loop only (i64 indices of vectors; the last
  // vector, of n % lanes elements if that is not 0, is vector n / lanes).
  void vector_loop_range(int64_t n, unsigned lanes, llvm::Value* begin, llvm::Value* end, const VecBody& body);
  int64_t vectors(int64_t n, unsigned lanes) const { return (n + lanes - 1) / lanes; }
  using VecCarryBody = std::function<Values(llvm::Value*, unsigned, const Values&)>;
  Values vector_loop_carry(int64_t n, unsigned lanes, const Values& init, const VecCarryBody& body);

  // Runs `body` where cond (i1) holds; a constant condition emits it or not.
  void if_then(llvm::Value* cond, const std::function<void()>& body);

  // ---- arithmetic helpers
  llvm::Value* reduce_add(llvm::Value* v);  // horizontal sum (reassociating)
  llvm::Value* reduce_max(llvm::Value* v);  // horizontal max_nan
  llvm::Value* is_nan(llvm::Value* v);
  // max and min that propagate NaN, as the interpreter's max_nan and min_nan do:
  // a if a is NaN, else b if b is NaN, else the larger (smaller); a on ties.
  llvm::Value* max_nan(llvm::Value* a, llvm::Value* b);
  llvm::Value* min_nan(llvm::Value* a, llvm::Value* b);
  llvm::Value* fma(llvm::Value* a, llvm::Value* b, llvm::Value* c);  // a * b + c
  llvm::Value* intrinsic(unsigned id, llvm::Value* x);               // one-operand overloaded intrinsic
  // The first `lanes` lanes of v (a shuffle), or v widened with poison lanes.
  llvm::Value* resize(llvm::Value* v, unsigned lanes);

  // ---- functions. A kernel is an internal function taking `args` pointers (then,
  // if `ranged`, two i64: the slice of its work to do) and returning void, or i32
  // (0 on success) when it can fail.
  llvm::Function* kernel(const std::string& name, unsigned args, bool can_fail, bool ranged = false);
  // The target attributes every generated function carries.
  void set_target_attrs(llvm::Function* f);
  // Positions the builder at the end of a new block of the current function.
  llvm::BasicBlock* block(const std::string& name);

 private:
  llvm::LLVMContext& ctx_;
  llvm::Module& mod_;
  llvm::IRBuilder<> b_;
  TargetInfo target_;
};

}  // namespace minigrad::jit
