#!/usr/bin/env bash
# Every bad input of the checkpoint, eval, predict and sweep paths exits non-zero
# with a message that names what was wrong; --help works on every command.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/product_lib.sh"
D="$TMP/d"; small_data "$D"
T="$MINIGRADC train mlp --data $D --pca 16 --epochs 1 --set width=16"
$T --save "$TMP/m.safetensors" --quiet >/dev/null || { echo "FAIL: setup"; exit 1; }
$T --save "$TMP/plain.safetensors" --seed 1 --quiet >/dev/null && rm "$TMP/plain.train.safetensors"

for cmd in train eval predict sweep dump-ir; do expect_ok "$MINIGRADC" "$cmd" --help; done

# train's checkpoint and output flags
expect_fail "File does not exist" $T --resume "$TMP/none.safetensors"
expect_fail "excludes" $T --resume "$TMP/m.safetensors" --init "$TMP/m.safetensors"
expect_fail "not a run to resume" $T --resume "$TMP/plain.safetensors"
expect_fail "--lr 0.5 differs from the checkpoint's 0.001" $T --resume "$TMP/m.safetensors" --lr 0.5
expect_fail "--pca 8 differs from the checkpoint's 16" "$MINIGRADC" train --data "$D" --init "$TMP/m.safetensors" --pca 8
expect_fail "tensor '0.weight' has shape [16, 16], expected F32 [24, 16]" $T --init "$TMP/m.safetensors" --set width=24
expect_fail "--metrics m.txt: expected a .csv or .json" $T --metrics m.txt
expect_fail "a plot is written as .png or .svg" $T --plot p.jpg
expect_fail "--save-every needs --save" $T --save-every 1
expect_fail "directory $TMP/no-such-dir does not exist" $T --save "$TMP/no-such-dir/m.safetensors"
cp "$TMP/m.safetensors" "$TMP/m2.safetensors" && cp "$TMP/plain.safetensors" "$TMP/m2.safetensors"
cp "$TMP/m.train.safetensors" "$TMP/m2.train.safetensors"
expect_fail "written with another model file" $T --resume "$TMP/m2.safetensors"

# damaged and mismatched checkpoints
for kind in truncated badjson hugeheader badshape missing extra dtype; do
  $ST damage "$TMP/m.safetensors" "$TMP/$kind.safetensors" "$kind"
done
expect_fail "truncated" "$MINIGRADC" eval --data "$D" --load "$TMP/truncated.safetensors"
expect_fail "header is not JSON" "$MINIGRADC" eval --data "$D" --load "$TMP/badjson.safetensors"
expect_fail "header length" "$MINIGRADC" eval --data "$D" --load "$TMP/hugeheader.safetensors"
expect_fail "tensor '0.weight' has shape [15, 16], expected F32 [16, 16]" "$MINIGRADC" eval --data "$D" --load "$TMP/badshape.safetensors"
expect_fail "no tensor '1.running_var' (expected F32 [16])" "$MINIGRADC" eval --data "$D" --load "$TMP/missing.safetensors"
expect_fail "unexpected tensor 'extra.weight'" "$MINIGRADC" eval --data "$D" --load "$TMP/extra.safetensors"
expect_fail "tensor '0.bias' is U8, expected F32 [16]" "$MINIGRADC" predict --load "$TMP/dtype.safetensors" --input "$D/x.npy" --output "$TMP/p.npy"
printf 'not a checkpoint' >"$TMP/junk.safetensors"
expect_fail "junk.safetensors: not a safetensors file" $T --init "$TMP/junk.safetensors"

# eval and predict
expect_fail "--load is required" "$MINIGRADC" eval --data "$D"
expect_fail "--data is required" "$MINIGRADC" eval --load "$TMP/m.safetensors"
expect_fail "--pca 8 differs" "$MINIGRADC" eval --data "$D" --load "$TMP/m.safetensors" --pca 8
expect_fail "--split" "$MINIGRADC" eval --data "$D" --load "$TMP/m.safetensors" --split valid
expect_fail "expected a .npy or .csv" "$MINIGRADC" predict --load "$TMP/m.safetensors" --input "$D/x.npy" --output p.txt
"$PYTHON" -c "import numpy as np; np.save('$TMP/narrow.npy', np.zeros((3, 5), np.float32)); np.save('$TMP/flat.npy', np.zeros(5))
x = np.zeros((3, 784), np.float32); x[2, 7] = np.nan; np.save('$TMP/nan.npy', x)"
expect_fail "5 features per row, but" "$MINIGRADC" predict --load "$TMP/m.safetensors" --input "$TMP/narrow.npy" --output "$TMP/p.npy"
expect_fail "nan.npy: row 2 holds nan" "$MINIGRADC" predict --load "$TMP/m.safetensors" --input "$TMP/nan.npy" --output "$TMP/p.npy"
expect_fail "rank" "$MINIGRADC" predict --load "$TMP/m.safetensors" --input "$TMP/flat.npy" --output "$TMP/p.npy"
expect_fail "--input is required" "$MINIGRADC" predict --load "$TMP/m.safetensors" --output "$TMP/p.npy"
$ST torch-write "$TMP/t.safetensors" "$D/x.npy" "$TMP/tp.npy" >/dev/null
expect_fail "give --classes" "$MINIGRADC" predict seed_mlp --load "$TMP/t.safetensors" --input "$D/x.npy" --output "$TMP/p.npy"
expect_fail "--classes 3: the checkpoint's model has 10 classes" "$MINIGRADC" predict --load "$TMP/m.safetensors" --input "$D/x.npy" --output "$TMP/p.npy" --classes 3

# sweep
expect_fail "File does not exist" "$MINIGRADC" sweep "$TMP/none.toml"
printf '[grid]\nlr = [0.1\n' >"$TMP/syntax.toml"
expect_fail "syntax.toml:2:" "$MINIGRADC" sweep "$TMP/syntax.toml"
printf 'colour = 1\n[grid]\nlr = [0.1]\n' >"$TMP/key.toml"
expect_fail "unknown key 'colour'" "$MINIGRADC" sweep "$TMP/key.toml"
printf '[[runs]]\nepochs = "many"\n' >"$TMP/type.toml"
expect_fail "epochs = \"many\": expected an integer" "$MINIGRADC" sweep "$TMP/type.toml"
printf '[base]\nmodel = "mlp"\n' >"$TMP/empty.toml"
expect_fail "no runs" "$MINIGRADC" sweep "$TMP/empty.toml"
expect_fail "--override lr: expected key=value" "$MINIGRADC" sweep "$TMP/key.toml" --override lr
expect_fail "--jobs" "$MINIGRADC" sweep "$TMP/key.toml" --jobs 0
finish
