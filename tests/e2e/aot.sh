#!/usr/bin/env bash
# minigradc compile: a model compiled ahead of time into a C library; the example
# C program (examples/aot/train.c), built with the system C compiler and no C++,
# trains the seed model to the same checkpoint, bit for bit, as minigradc train.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/product_lib.sh"
OUTDIR="$TMP/out"
expect_ok "$MINIGRADC" compile seed_mlp --data data/mnist10k -o "$OUTDIR"
for f in seed_mlp.o libseed_mlp.a seed_mlp.h seed_mlp.prep; do
  [[ -s "$OUTDIR/$f" ]] || { echo "FAIL: compile wrote no $f"; failures=$((failures + 1)); }
done
grep -q '^#define SEED_MLP_BATCH 64$' "$OUTDIR/seed_mlp.h" || { echo "FAIL: the header lacks the batch size"; failures=$((failures + 1)); }
grep -q '{"0.weight", SEED_MLP_F32, 2, {784, 192, 0, 0}, 64, 602112, 1, 1}' "$OUTDIR/seed_mlp.h" ||
  { echo "FAIL: the header lacks fc1's weight (name, shape, offset, bytes, state_dict, transposed)"; failures=$((failures + 1)); }
# Nothing outside libc and libm: every undefined symbol is one of these.
undefined=$(nm "$OUTDIR/libseed_mlp.a" | awk '$1 == "U" {print $2}' | grep -vxE 'memset|memcpy|memmove|log|cos|exp|sqrt' || true)
[[ -z "$undefined" ]] || { echo "FAIL: the library needs symbols beyond libc and libm: $undefined"; failures=$((failures + 1)); }
defined=$(nm "$OUTDIR/libseed_mlp.a" | awk '$2 == "T" {print $3}' | grep -v '^seed_mlp_' || true)
[[ -z "$defined" ]] || { echo "FAIL: exported symbols without the library's prefix: $defined"; failures=$((failures + 1)); }
# The header is C and C++ (extern "C").
expect_ok c++ -fsyntax-only -Wall -Werror -x c++ -I "$OUTDIR" - <<<'#include "seed_mlp.h"
int main() { seed_mlp_metrics m; return seed_mlp_train_step(0, 0, 0, 0, SEED_MLP_BATCH, &m); }'
# The example, with cc and libm only.
expect_ok cc -std=c11 -O2 -Wall -Wextra -Werror -I "$OUTDIR" examples/aot/train.c "$OUTDIR/libseed_mlp.a" -lm -o "$TMP/train"
if ldd "$TMP/train" | grep -q 'libstdc++'; then echo "FAIL: the example links the C++ library"; failures=$((failures + 1)); fi
mkdir -p "$TMP/digits"
for f in train_data train_label test_data test_label; do gunzip -c "data/mnist10k/$f.npy.gz" >"$TMP/digits/$f.npy"; done
expect_ok "$TMP/train" "$TMP/digits" "$OUTDIR/seed_mlp.prep" 3 7 "$TMP/c.safetensors"
echo "$OUT"
grep -q '^epoch 3: train loss' <<<"$OUT" || { echo "FAIL: the example did not train 3 epochs"; failures=$((failures + 1)); }
# 8,000 rows make 125 whole batches of 64, so no batch is partial here (the --batch-size 48 case below has one).
expect_ok "$MINIGRADC" train seed_mlp --data data/mnist10k --no-shuffle --epochs 3 --seed 7 --save "$TMP/ref.safetensors" --quiet
expect_ok $ST same "$TMP/c.safetensors" "$TMP/ref.safetensors"
echo "$OUT"
expect_ok "$MINIGRADC" eval seed_mlp --data data/mnist10k --load "$TMP/c.safetensors" --json
c_acc=$(sed -n 's/.*"accuracy": *\([0-9.]*\).*/\1/p' <<<"$OUT")
expect_ok "$MINIGRADC" eval seed_mlp --data data/mnist10k --load "$TMP/ref.safetensors" --json
ref_acc=$(sed -n 's/.*"accuracy": *\([0-9.]*\).*/\1/p' <<<"$OUT")
[[ -n "$c_acc" && "$c_acc" == "$ref_acc" ]] || { echo "FAIL: eval accuracy $c_acc, minigradc's checkpoint $ref_acc"; failures=$((failures + 1)); }
# A partial last batch: 8,000 = 166 x 48 + 32. The library's one compiled step runs
# the last 32 rows with n_rows = 32, as minigradc train does (docs/ir.md, "Partial
# batches"), and the checkpoints still agree bit for bit.
expect_ok "$MINIGRADC" compile seed_mlp --data data/mnist10k --batch-size 48 -o "$TMP/b48"
expect_ok cc -std=c11 -O2 -I "$TMP/b48" examples/aot/train.c "$TMP/b48/libseed_mlp.a" -lm -o "$TMP/train48"
expect_ok "$TMP/train48" "$TMP/digits" "$TMP/b48/seed_mlp.prep" 1 2 "$TMP/c48.safetensors"
expect_ok "$MINIGRADC" train seed_mlp --data data/mnist10k --batch-size 48 --no-shuffle --epochs 1 --seed 2 \
  --save "$TMP/ref48.safetensors" --quiet
expect_ok $ST same "$TMP/c48.safetensors" "$TMP/ref48.safetensors"
# Normal initialisation (libm's log and cos) and dropout (the seed state and step
# counter) match too: mlp with those settings, under the example's name.
expect_ok "$MINIGRADC" compile mlp --set init=kaiming_normal --set dropout=0.2 --data data/mnist10k --name seed_mlp -o "$TMP/o2"
expect_ok cc -std=c11 -O2 -I "$TMP/o2" examples/aot/train.c "$TMP/o2/libseed_mlp.a" -lm -o "$TMP/train2"
expect_ok "$TMP/train2" "$TMP/digits" "$TMP/o2/seed_mlp.prep" 2 3 "$TMP/c2.safetensors"
expect_ok "$MINIGRADC" train mlp --set init=kaiming_normal --set dropout=0.2 --data data/mnist10k --no-shuffle --epochs 2 \
  --seed 3 --save "$TMP/ref2.safetensors" --quiet
expect_ok $ST same "$TMP/c2.safetensors" "$TMP/ref2.safetensors"
# --pca 128: the example applies the fitted projection in the runtime's stated order
# (sum over the input features in order, in double, no fused multiply-add; built here
# in GNU C mode, where GCC would otherwise contract), so the checkpoints still agree.
expect_ok "$MINIGRADC" compile seed_mlp --data data/mnist10k --pca 128 -o "$TMP/pca"
grep -q '^#define SEED_MLP_FEATURES 128$' "$TMP/pca/seed_mlp.h" || { echo "FAIL: the --pca header is not for 128 features"; failures=$((failures + 1)); }
expect_ok cc -O2 -Wall -Wextra -Werror -I "$TMP/pca" examples/aot/train.c "$TMP/pca/libseed_mlp.a" -lm -o "$TMP/train_pca"
expect_ok "$TMP/train_pca" "$TMP/digits" "$TMP/pca/seed_mlp.prep" 2 5 "$TMP/pca.safetensors"
expect_ok "$MINIGRADC" train seed_mlp --data data/mnist10k --pca 128 --no-shuffle --epochs 2 --seed 5 \
  --save "$TMP/ref_pca.safetensors" --quiet
expect_ok $ST same "$TMP/pca.safetensors" "$TMP/ref_pca.safetensors"
# --shared: the same code as a shared library exporting only the prefixed entry points.
expect_ok "$MINIGRADC" compile seed_mlp --data data/mnist10k -o "$TMP/so" --shared
exported=$(nm -D --defined-only "$TMP/so/libseed_mlp.so" | awk '$2 == "T" {print $3}' | sort | tr '\n' ' ')
[[ "$exported" == "seed_mlp_eval seed_mlp_init seed_mlp_predict seed_mlp_train_step " ]] ||
  { echo "FAIL: libseed_mlp.so exports: $exported"; failures=$((failures + 1)); }
expect_ok cc -std=c11 -O2 -I "$TMP/so" examples/aot/train.c -L "$TMP/so" -lseed_mlp -Wl,-rpath,"$TMP/so" -lm -o "$TMP/train_so"
expect_ok "$TMP/train_so" "$TMP/digits" "$TMP/so/seed_mlp.prep" 1 7 "$TMP/so.safetensors"
expect_fail "compile --shared: the system C compiler links libraries for this machine only" \
  "$MINIGRADC" compile seed_mlp --features 4 --classes 2 -o "$TMP/x" --shared --target aarch64-linux-gnu
# Another machine's object, from this one.
expect_ok "$MINIGRADC" compile seed_mlp --features 128 --classes 10 -o "$TMP/m1" --target arm64-apple-macos --cpu apple-m1
file "$TMP/m1/seed_mlp.o" | grep -q 'Mach-O 64-bit arm64' || { echo "FAIL: not an arm64 Mach-O object"; failures=$((failures + 1)); }
grep -q 'cpu apple-m1' "$TMP/m1/seed_mlp.h" || { echo "FAIL: the M1 header does not name its CPU"; failures=$((failures + 1)); }
[[ ! -e "$TMP/m1/seed_mlp.prep" ]] || { echo "FAIL: a preprocessing file without --data"; failures=$((failures + 1)); }
# Bad requests name the flag.
expect_fail "give the data shape: --data DIR, or --features F and --classes C" "$MINIGRADC" compile seed_mlp -o "$TMP/x"
expect_fail "--output is required" "$MINIGRADC" compile seed_mlp --features 4 --classes 2
# A convolutional network (issue 26): lenet compiled ahead of time trains an epoch
# with the same C program to the bits of minigradc train's JIT.
expect_ok "$MINIGRADC" compile lenet --name seed_mlp --data data/mnist10k -o "$TMP/lenet"
expect_ok cc -std=c11 -O2 -Wall -Wextra -Werror -I "$TMP/lenet" examples/aot/train.c "$TMP/lenet/libseed_mlp.a" -lm -o "$TMP/train_lenet"
expect_ok "$TMP/train_lenet" "$TMP/digits" "$TMP/lenet/seed_mlp.prep" 1 7 "$TMP/lenet_c.safetensors"
expect_ok "$MINIGRADC" train lenet --data data/mnist10k --no-shuffle --epochs 1 --seed 7 --save "$TMP/lenet_ref.safetensors" --quiet
expect_ok $ST same "$TMP/lenet_c.safetensors" "$TMP/lenet_ref.safetensors"
echo "$OUT"
expect_fail "compile --name 2fast: the name prefixes C symbols" "$MINIGRADC" compile seed_mlp --features 4 --classes 2 -o "$TMP/x" --name 2fast
expect_fail "--target riscv-nope: LLVM cannot generate code for it here" \
  "$MINIGRADC" compile seed_mlp --features 4 --classes 2 -o "$TMP/x" --target riscv-nope
expect_fail "--data gives the data shape" "$MINIGRADC" compile seed_mlp --data data/mnist10k --features 4 -o "$TMP/x"
finish
