// The C header of an ahead-of-time library (aot_bundle.h): plain C99, extern
// "C"-safe, every figure a caller needs as a macro or a static table, and the ABI
// documented where a C programmer reads it.
#include <cctype>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/aot_bundle.h"
#include "runtime/checkpoint.h"

namespace minigrad::runtime {
namespace {

std::string upper(const std::string& s) {
  std::string u;
  for (char c : s) u += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

const char* dtype_macro(ir::DType d) {
  switch (d) {
    case ir::DType::F32: return "F32";
    case ir::DType::F64: return "F64";
    case ir::DType::I32: return "I32";
  }
  return "F32";
}

std::string settings(const RunConfig& c) {
  return fmt::format("optimizer {} lr {} weight decay {} momentum {}, loss {} label smoothing {}, batch {}", c.optimizer,
                     c.lr, c.weight_decay, c.momentum, c.loss, c.label_smoothing, c.batch);
}

std::string tensors(const std::string& n, const std::string& N, const AotLibrary& lib) {
  std::string t = fmt::format(
      "/* Every state tensor: its name (PyTorch's state_dict name for the model's\n"
      "   parameters and buffers), dtype, shape as stored in the state block, offset and\n"
      "   bytes there; in_state_dict: part of a PyTorch checkpoint (else optimiser state\n"
      "   or the dropout seed); transposed: a Linear weight stored [in, out], which PyTorch\n"
      "   stores [out, in]. A PyTorch checkpoint stores I32 tensors as I64. */\n"
      "enum {{ {0}_F32 = 0, {0}_F64 = 1, {0}_I32 = 2 }};\n"
      "typedef struct {{\n  const char* name;\n  int32_t dtype, rank;\n  int64_t shape[4];\n"
      "  int64_t offset, bytes;\n  int32_t in_state_dict, transposed;\n}} {1}_tensor;\n"
      "#define {0}_TENSOR_COUNT {2}\n"
      "static const {1}_tensor {1}_tensors[{0}_TENSOR_COUNT] = {{\n",
      N, n, lib.states.size());
  for (const AotState& s : lib.states) {
    const ir::StateDecl& d = *s.decl;
    if (d.type.shape.rank() > 4) fail("compile: state '{}' has rank {} (the header's tables hold 4)", d.name, d.type.shape.rank());
    std::string dims;
    for (int i = 0; i < 4; ++i) dims += fmt::format("{}{}", i ? ", " : "", i < d.type.shape.rank() ? d.type.shape[size_t(i)] : 0);
    t += fmt::format("  {{\"{}\", {}_{}, {}, {{{}}}, {}, {}, {}, {}}},\n", d.name, N, dtype_macro(d.type.dtype),
                     d.type.shape.rank(), dims, s.offset, s.bytes, is_model_state(d) ? 1 : 0,
                     d.torch_transposed && d.type.shape.rank() == 2 ? 1 : 0);
  }
  return t + "};\n\n";
}

std::string errors(const AotLibrary& lib) {
  std::string t = "/* The checks a step makes; NAME_ERR_CHECK fills metrics.error with {site, a, b}:\n";
  for (const AotErrorSite& e : lib.errors) t += fmt::format("     @{} site {}: {}\n", e.function, e.site, e.text);
  if (lib.errors.empty()) t += "     (none)\n";
  return t + " */\n";
}

std::string preprocessing(const std::string& n, const std::string& N, const std::optional<FittedPreprocessing>& p) {
  if (!p) return "/* No --data was given: rows go in as the model takes them (no preprocessing file). */\n\n";
  return fmt::format(
      "/* The preprocessing fitted on the training data, in {0}.prep (little-endian):\n"
      "     char magic[8] = \"MGPREP1\\n\"; int64_t in_features, out_features, pca, scale;\n"
      "     double pca_mean[in_features], pca_components[in_features * pca]   (only if pca > 0; [F, K] row-major)\n"
      "     double scale_offset[out_features], scale_divisor[out_features]     (only if scale != 0)\n"
      "   scale: 0 none, 1 standard, 2 minmax. A raw row r of in_features values becomes\n"
      "     p = (r - pca_mean) . pca_components    (if pca > 0; else p = r)\n"
      "     y[j] = (float)(((double)p[j] - scale_offset[j]) / scale_divisor[j])   (if scale != 0)\n"
      "   in double, as minigradc does (its PCA product sums in another order: PCA'd\n"
      "   rows agree to rounding; scaled rows without PCA agree bit for bit). Fitted here: {1}. */\n"
      "#define {2}_PREP_IN_FEATURES {3}\n#define {2}_PREP_PCA {4}\n#define {2}_PREP_SCALE {5}\n\n",
      n, fmt::format("pca {}, scale {}", p->config.pca, scale_name(p->config.scale)), N, p->in_features, p->config.pca,
      static_cast<int>(p->scale.kind));
}

}  // namespace

std::string aot_header(const std::string& n, const RunConfig& c, const AotLibrary& lib,
                       const std::optional<FittedPreprocessing>& prep) {
  std::string N = upper(n);
  std::string h = fmt::format(
      "/* {0}.h: the C interface of lib{0}.a, compiled by `minigradc compile` from model\n"
      "   {11} for {2} (cpu {3}).\n"
      "   Settings compiled in: {4}.\n"
      "   Target figures: {5}.\n\n"
      "   ABI (docs/aot.md): all memory is the caller's. `state` is {1}_STATE_BYTES bytes\n"
      "   holding every tensor below at its offset; `arena` is {1}_ARENA_BYTES bytes of\n"
      "   scratch, its contents meaningless between calls; both {1}_ALIGN-byte aligned\n"
      "   (aligned_alloc). Nothing is allocated, printed or kept in global state: separate\n"
      "   (state, arena) pairs may be used from separate threads. Each call runs on the\n"
      "   calling thread. Every function returns {1}_OK (0) or an error code. x is f32\n"
      "   [n_rows, {1}_FEATURES] row-major, labels i32 [n_rows] in [0, {1}_CLASSES), logits\n"
      "   f32 [n_rows, {1}_CLASSES]; 1 <= n_rows <= {1}_BATCH: a batch of fewer rows (the\n"
      "   last of an epoch) runs the same compiled step, whose loss, gradients, batch-norm\n"
      "   statistics and counts are over its n_rows rows only, and nothing past them is\n"
      "   read or written. The code needs only libc and libm. */\n"
      "#ifndef {1}_H\n#define {1}_H\n\n#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {{\n#endif\n\n"
      "#define {1}_ABI_VERSION 1\n#define {1}_BATCH {6}\n#define {1}_FEATURES {7}\n#define {1}_CLASSES {8}\n"
      "#define {1}_STATE_BYTES {9}\n#define {1}_ARENA_BYTES {10}\n#define {1}_ALIGN 64\n\n"
      "enum {{\n  {1}_OK = 0,\n  {1}_ERR_ROWS = 1,  /* n_rows is not in [1, {1}_BATCH] */\n"
      "  {1}_ERR_ALIGN = 2, /* state or arena is not {1}_ALIGN-byte aligned */\n"
      "  {1}_ERR_CHECK = 3  /* a check in the step failed: see metrics.error and the list below */\n}};\n\n"
      "/* A step's results: the mean loss over the rows, the rows classified correctly,\n"
      "   and, after {1}_ERR_CHECK, the failed check's {{site, a, b}}. */\n"
      "typedef struct {{\n  float loss;\n  int32_t correct;\n  int64_t error[3];\n}} {0}_metrics;\n\n",
      n, N, lib.triple, lib.cpu, settings(c), lib.figures, lib.batch, lib.features, lib.classes, lib.state_bytes,
      lib.arena_bytes, c.model);
  h += tensors(n, N, lib);
  h += preprocessing(n, N, prep);
  h += fmt::format(
      "/* Fills every state tensor from `seed` as minigradc's initialisation does (the same\n"
      "   generator and formulas; runtime/init_state.cpp), so training from it matches\n"
      "   `minigradc train --seed SEED`. */\n"
      "int32_t {0}_init(void* state, uint64_t seed);\n\n"
      "/* One training step (forward, backward, optimiser update) over n_rows rows: updates\n"
      "   the state in place and writes the batch's loss and correct count. */\n"
      "int32_t {0}_train_step(void* state, void* arena, const float* x, const int32_t* labels, int64_t n_rows,\n"
      "                       {0}_metrics* out_metrics);\n\n"
      "/* Evaluation mode (running statistics, no dropout): loss, correct count and logits. */\n"
      "int32_t {0}_eval(void* state, void* arena, const float* x, const int32_t* labels, int64_t n_rows,\n"
      "                 {0}_metrics* out_metrics, float* out_logits);\n\n"
      "/* Evaluation mode without labels: the logits (softmax them for probabilities). */\n"
      "int32_t {0}_predict(void* state, void* arena, const float* x, int64_t n_rows, float* out_logits);\n\n",
      n);
  h += errors(lib);
  h += fmt::format("\n#ifdef __cplusplus\n}}\n#endif\n\n#endif /* {}_H */\n", N);
  return h;
}

}  // namespace minigrad::runtime
