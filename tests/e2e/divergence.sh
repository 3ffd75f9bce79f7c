#!/usr/bin/env bash
# A run that produces a NaN or an infinity stops at that step and exits non-zero,
# naming the op that made it and its line in the model file; a checkpoint saved
# before is left as it was and still loads.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/product_lib.sh"
D="$TMP/d"; small_data "$D"

# The log of a negative number in the forward pass, at the first step.
cat > "$TMP/logneg.cpp" <<'CPP'
#include "frontend/dsl.h"
using namespace minigrad;

struct Log : nn::Module {
  explicit Log(Here here = {}) : Module(here) {}
  Tensor forward(const Tensor& x) override {
    return x.log();
  }
  std::string describe() const override { return "Log"; }
};

MINIGRAD_MODEL(args) {
  return nn::Sequential{nn::Linear(args.in_features, 16), Log(), nn::Linear(16, args.num_classes)};
}
CPP
expect_fail "non-finite value at step 1 (epoch 1, batch 1): log at $TMP/logneg.cpp:7:" \
  "$MINIGRADC" train "$TMP/logneg.cpp" --data "$D" --pca 16 --epochs 2
expect_fail "(in the forward pass)" "$MINIGRADC" train "$TMP/logneg.cpp" --data "$D" --pca 16 --epochs 2
expect_fail "non-finite value at step 1 (epoch 1, batch 1): log at $TMP/logneg.cpp:7:" \
  "$MINIGRADC" train "$TMP/logneg.cpp" --data "$D" --pca 16 --epochs 2 --check-numerics
expect_fail "non-finite value at step 1 (epoch 1, batch 1): log at $TMP/logneg.cpp:7:" \
  "$MINIGRADC" train "$TMP/logneg.cpp" --data "$D" --pca 16 --epochs 2 --backend interp

# A learning rate that blows the weights up: a good checkpoint first, then a run
# from it that diverges; the checkpoint is byte for byte what it was, and loads.
C="$TMP/good.safetensors"
expect_ok "$MINIGRADC" train seed_mlp --data "$D" --pca 16 --epochs 2 --save "$C" --quiet
cp "$C" "$TMP/copy.safetensors"
cp "${C%.safetensors}.train.safetensors" "$TMP/copy.train.safetensors"
expect_fail "non-finite value at step" "$MINIGRADC" train --data "$D" --init "$C" --optimizer sgd --lr 1e30 \
  --epochs 4 --save "$C" --save-every 1
expect_fail "seed_mlp.cpp:" "$MINIGRADC" train --data "$D" --init "$C" --optimizer sgd --lr 1e30 --epochs 4
cmp -s "$C" "$TMP/copy.safetensors" || { echo "FAIL: the diverged run changed the checkpoint"; failures=$((failures + 1)); }
cmp -s "${C%.safetensors}.train.safetensors" "$TMP/copy.train.safetensors" ||
  { echo "FAIL: the diverged run changed the training state"; failures=$((failures + 1)); }
expect_ok "$MINIGRADC" eval --data "$D" --load "$C"
expect_ok "$MINIGRADC" train --data "$D" --resume "$C" --epochs 3 --quiet
finish
