#!/usr/bin/env bash
# minigradc compile --target aarch64-linux-gnu from this (x86-64) machine: the
# example links the AArch64 library with the cross C compiler and runs under
# qemu-aarch64-static. Its vectors are 128-bit NEON, so its sums run in another
# order than the host's: the checkpoint is not the host's bit for bit, but eval
# (on the host) must find the same accuracy within half a point.
CROSS_CC="$3"
QEMU="$4"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/product_lib.sh"
expect_ok "$MINIGRADC" compile seed_mlp --data data/mnist10k -o "$TMP/out" --target aarch64-linux-gnu --cpu neoverse-n1
file "$TMP/out/seed_mlp.o" | grep -q 'ELF 64-bit LSB relocatable, ARM aarch64' ||
  { echo "FAIL: not an AArch64 ELF object"; failures=$((failures + 1)); }
expect_ok "$CROSS_CC" -std=c11 -O2 -static -Wall -Werror -I "$TMP/out" examples/aot/train.c "$TMP/out/libseed_mlp.a" -lm -o "$TMP/train"
mkdir -p "$TMP/digits"
for f in train_data train_label test_data test_label; do gunzip -c "data/mnist10k/$f.npy.gz" >"$TMP/digits/$f.npy"; done
expect_ok "$QEMU" "$TMP/train" "$TMP/digits" "$TMP/out/seed_mlp.prep" 1 0 "$TMP/arm.safetensors"
echo "$OUT"
expect_ok "$MINIGRADC" train seed_mlp --data data/mnist10k --no-shuffle --epochs 1 --seed 0 --save "$TMP/x86.safetensors" --quiet
accuracy() { "$MINIGRADC" eval seed_mlp --data data/mnist10k --load "$1" --json | sed -n 's/.*"accuracy": *\([0-9.]*\).*/\1/p'; }
arm=$(accuracy "$TMP/arm.safetensors"); x86=$(accuracy "$TMP/x86.safetensors")
echo "test accuracy: aarch64 $arm, x86-64 $x86"
"$PYTHON" -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(abs(a - b) > 0.005)" "$arm" "$x86" ||
  { echo "FAIL: accuracy $arm on aarch64 against $x86 on the host"; failures=$((failures + 1)); }
finish
