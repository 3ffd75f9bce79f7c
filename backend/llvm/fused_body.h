// The elementwise part of a fused body, evaluated at one point of its iteration
// shape S (docs/fusion-kinds.md in the passes' documentation): on vectors of
// `lanes` consecutive points along S's last axis, every needed body node is
// computed from its operands' vectors, each input read at its broadcast position
// (a vector if it varies along the lanes, else a splat of one element). Every
// fused kind uses it: `elementwise` for its whole body inside a loop nest, and
// `matmul`, `bn_act_grad` and `loss_grad` for the elementwise nodes around the
// part they compute themselves (the product, the batch statistics, the row
// softmax), whose vectors they hand in as "given" values.
//
// The semantics of each op are those of the interpreter, lane by lane; see
// elementwise.cpp for the list.
#pragma once

#include <map>
#include <set>
#include <vector>

#include "backend/llvm/kernel.h"

namespace minigrad::jit {

class BodyAtPoint {
 public:
  // roots: the body values to compute; given: values the caller supplies at each
  // point (their own operands are then not read); store_outputs: whether at()
  // writes the body's outputs (each of shape S) to the kernel's results.
  BodyAtPoint(Kernel& k, const ir::Function& body, ir::Shape iter, std::vector<ir::ValueId> roots,
              std::set<ir::ValueId> given, bool store_outputs);

  const ir::Shape& iter() const { return iter_; }
  // One access per needed input, stored output and dropout node: the shapes
  // whose broadcast offsets the caller computes for each point.
  const std::vector<ir::Shape>& access_shapes() const { return shapes_; }
  // The narrowest register width of the dtypes involved; 1 if a checked op
  // (i32 division, cast to i32) must stop at its first bad element.
  unsigned width() const;
  // Code before the loops: the dropout keys of nodes whose seed and step are inputs.
  void prologue();
  // Evaluates the needed nodes at a point and returns the roots' vectors.
  // offsets[a]: the element offset (i64) of access a at the point's first lane;
  // contiguous[a]: whether access a advances with the lanes (else it is a splat).
  Values at(const Values& offsets, const std::vector<bool>& contiguous, unsigned lanes,
            const std::map<ir::ValueId, llvm::Value*>& given = {});

  // Prefetches, at a point, the lines of every needed input that has S's whole
  // shape (a matrix read once per point, such as an optimiser's weight and moments;
  // broadcast inputs are reused from cache anyway).
  void prefetch(const Values& offsets);
  // Whether prefetch() asks for anything (no such input: no code at all).
  bool prefetches() const;

  // Offsets of every access at point (row, col) of a rank-2 S (or rank 1: col only).
  Values offsets_2d(llvm::Value* row, llvm::Value* col, std::vector<bool>* contiguous) const;
  // Whether every access is a scalar (broadcast along all of S) or has S's whole
  // shape: then point (row, col) of S = [M, N] has the offsets of point
  // (0, row N + col), and a caller may walk S as one row of M N elements.
  bool flat() const;

 private:
  llvm::Value* apply(const ir::Node& n, const Values& a, unsigned lanes, llvm::Value* index);
  // Body node i is an input that prefetch() asks for.
  bool prefetched(size_t i) const;
  llvm::Value* int_div(const ir::Node& n, llvm::Value* x, llvm::Value* y);
  llvm::Value* apply_cast(const ir::Node& n, llvm::Value* x);
  llvm::Value* apply_cmp(const ir::Node& n, const Values& a, ir::DType d, unsigned lanes);
  llvm::Value* apply_dropout(const ir::Node& n, const Values& a, unsigned lanes, llvm::Value* index);
  llvm::Value* scalar_before_loop(ir::ValueId v);
  llvm::Value* own_index(llvm::Value* offset, bool contiguous, unsigned lanes);

  Kernel& k_;
  Emitter& e_;
  const ir::Function& body_;
  ir::Shape iter_;
  std::vector<ir::ValueId> roots_;
  std::set<ir::ValueId> given_;
  bool store_outputs_;
  std::vector<bool> needed_;  // per node of the body
  std::vector<ir::Shape> shapes_;
  std::map<const ir::Node*, size_t> input_of_, output_of_, access_of_;
  std::map<const ir::Node*, llvm::Value*> keys_;
};

// Whether a body node is a checked op: i32 division, or a cast of a float to i32.
bool is_checked(const ir::Function& f, const ir::Node& n);

}  // namespace minigrad::jit
