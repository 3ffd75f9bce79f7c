#!/usr/bin/env bash
# A model file written with the DSL, with a custom layer, is compiled, cached and
# trained; a model file that does not compile shows the compiler's file:line.
source "$(dirname "$0")/lib.sh"
cat > "$TMP/gated.cpp" <<'CPP'
#include "frontend/dsl.h"
using namespace minigrad;

// A custom layer: y = x * sigmoid(x W_g), written with tensor operations only.
struct Gate : nn::Module {
  int64_t n;
  explicit Gate(int64_t n, Here here = {}) : Module(here), n(n) {}
  Tensor forward(const Tensor& x) override {
    Tensor g = F::sigmoid(x.matmul(param("gate", {n, n}, init::xavier_uniform())));
    return x * g;
  }
  std::string describe() const override { return "Gate"; }
};

MINIGRAD_MODEL(args) {
  int64_t width = args.get_int("width", 32);
  return nn::Sequential{nn::Linear(args.in_features, width), Gate(width), nn::ReLU(),
                        nn::Linear(width, args.num_classes)};
}
CPP
expect_ok "$MINIGRADC" train "$TMP/gated.cpp" --data data/mnist10k --pca 32 --epochs 2 --set width=24
echo "$OUT" | tail -n 2
grep -q "compiling model file" "$TMP/stderr" || { echo "FAIL: the first run did not compile"; failures=$((failures + 1)); }
expect_ok "$MINIGRADC" train "$TMP/gated.cpp" --data data/mnist10k --pca 32 --epochs 1
if grep -q "compiling model file" "$TMP/stderr"; then echo "FAIL: the second run recompiled"; failures=$((failures + 1)); fi
expect_ok "$MINIGRADC" dump-ir "$TMP/gated.cpp" --features 32 --classes 10
grep -q 'load_state {name="1.gate"}' <<<"$OUT" || { echo "FAIL: the custom layer's parameter is not in the IR"; failures=$((failures + 1)); }

printf '#include "frontend/dsl.h"\nusing namespace minigrad;\nMINIGRAD_MODEL(args) {\n  return nn::Linear(args.in_features, undeclared);\n}\n' > "$TMP/broken.cpp"
expect_fail "broken.cpp:4" "$MINIGRADC" train "$TMP/broken.cpp" --data data/mnist10k
printf '#include "frontend/dsl.h"\nint x = 1;\n' > "$TMP/empty.cpp"
expect_fail "defines no model" "$MINIGRADC" train "$TMP/empty.cpp" --data data/mnist10k
printf 'model' > "$TMP/notcpp.txt"
expect_fail "expected a .cpp file" "$MINIGRADC" train "$TMP/notcpp.txt" --data data/mnist10k
finish
