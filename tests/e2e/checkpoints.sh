#!/usr/bin/env bash
# train --save / --init / --resume / --metrics / --plot / --quiet / --json, eval and
# predict, end to end: a resumed run equals an uninterrupted one bit for bit,
# PyTorch loads minigradc's checkpoint with load_state_dict(strict=True) and
# computes the same probabilities, and minigradc loads a state dict written from
# PyTorch and computes PyTorch's probabilities.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/product_lib.sh"
D="$TMP/d"; small_data "$D"
T="$MINIGRADC train mlp --data $D --pca 32 --batch-size 50 --set width=48 --set dropout=0.3 --backend interp"

# Save, metrics, plot.
expect_ok $T --epochs 3 --save "$TMP/full.safetensors" --metrics "$TMP/m.csv" --plot "$TMP/curves.png"
grep -q '^epoch   3/3 ' <<<"$OUT" || { echo "FAIL: no per-epoch lines"; failures=$((failures + 1)); }
check "metrics CSV has a header and 3 epochs" test "$(wc -l <"$TMP/m.csv")" -eq 4
check "checkpoint and training state written" test -s "$TMP/full.safetensors" -a -s "$TMP/full.train.safetensors"
check "the plot is a PNG" "$PYTHON" -c "import sys; sys.exit(open('$TMP/curves.png','rb').read(8) != b'\x89PNG\r\n\x1a\n')"

expect_ok $T --epochs 3 --eval-every 2 --metrics "$TMP/every.csv" --quiet
check "--eval-every 2 evaluates epochs 2 and 3 only" "$PYTHON" -c "
rows = [l.split(',') for l in open('$TMP/every.csv').read().split()[1:]]
assert [r[3] != '' for r in rows] == [False, True, True], rows"

# Resume: 1 epoch, then on to 3, equals 3 at once, bit for bit; metrics hold all epochs.
expect_ok $T --epochs 1 --save "$TMP/part.safetensors" --quiet
check "--quiet prints only the summary" test "$(printf '%s\n' "$OUT" | grep -c .)" -eq 2
expect_ok "$MINIGRADC" train --data "$D" --resume "$TMP/part.safetensors" --epochs 3 --save "$TMP/resumed.safetensors" \
  --metrics "$TMP/r.json"
grep -q 'resuming after epoch 1' <<<"$OUT" || { echo "FAIL: no resume notice"; failures=$((failures + 1)); }
check "resumed model equals uninterrupted" $ST same "$TMP/full.safetensors" "$TMP/resumed.safetensors"
check "resumed training state equals uninterrupted" $ST same "$TMP/full.train.safetensors" "$TMP/resumed.train.safetensors"
check "resumed metrics list epochs 1-3" "$PYTHON" -c "import json; assert [e['epoch'] for e in json.load(open('$TMP/r.json'))] == [1, 2, 3]"
expect_ok $T --epochs 3 --save "$TMP/again.safetensors" --save-every 1 --json
check "--json prints one JSON object" json_field "$OUT" summary
check "--save-every leaves a resumable checkpoint" $ST same "$TMP/full.safetensors" "$TMP/again.safetensors"

# eval: loss, accuracy, confusion matrix, inference time; settings from the checkpoint.
expect_ok "$MINIGRADC" eval --data "$D" --load "$TMP/full.safetensors"
grep -q 'confusion matrix' <<<"$OUT" && grep -q 'inference' <<<"$OUT" || { echo "FAIL: eval output"; failures=$((failures + 1)); }
expect_ok "$MINIGRADC" eval --data "$D" --load "$TMP/full.safetensors" --json
acc="$(json_field "$OUT" accuracy)"
final="$($T --epochs 3 --json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["summary"]["test_accuracy"])')"
check "eval's accuracy equals training's final one ($acc)" test "$acc" = "$final"

# predict: raw rows in, class and probabilities out; the classes score eval's accuracy.
expect_ok "$MINIGRADC" predict --load "$TMP/full.safetensors" --input "$D/x.npy" --output "$TMP/p.npy"
check "predict's classes reach eval's accuracy" "$PYTHON" -c "
import numpy as np
p = np.load('$TMP/p.npy'); y = np.load('$D/y.npy')
assert p.shape == (400, 11), p.shape
assert np.allclose(p[:, 1:].sum(1), 1, atol=1e-5)
assert abs((p[:, 0] == y).mean() - $acc) < 1e-9, ((p[:, 0] == y).mean(), $acc)"
expect_ok "$MINIGRADC" predict mlp --load "$TMP/full.safetensors" --input "$D/x.npy" --output "$TMP/p.csv"
check "predict's CSV matches its .npy" "$PYTHON" -c "
import numpy as np
c = np.loadtxt('$TMP/p.csv', delimiter=',', skiprows=1); p = np.load('$TMP/p.npy')
assert open('$TMP/p.csv').readline().startswith('class,p0,p1,'); assert np.allclose(c, p, atol=1e-6)"

# PyTorch reads ours (strict) and agrees; we read PyTorch's and agree.
expect_ok $T --epochs 1 --save "$TMP/seed.safetensors" --set dropout=0 --set width=192
check "torch load_state_dict(strict=True) and equal probabilities" sh -c \
  "'$MINIGRADC' predict --load '$TMP/seed.safetensors' --input '$D/x.npy' --output '$TMP/sp.npy' &&
   $ST torch-check '$TMP/seed.safetensors' '$D/x.npy' '$TMP/sp.npy' 32"
check "a state dict written from PyTorch" $ST torch-write "$TMP/torch.safetensors" "$D/x.npy" "$TMP/tp.npy"
expect_ok "$MINIGRADC" predict seed_mlp --load "$TMP/torch.safetensors" --input "$D/x.npy" --output "$TMP/mp.npy" --classes 10
check "minigradc computes PyTorch's probabilities" "$PYTHON" -c "
import numpy as np
a = np.load('$TMP/tp.npy'); b = np.load('$TMP/mp.npy')
assert (a[:, 0] == b[:, 0]).all() and np.abs(a - b).max() < 1e-5, np.abs(a - b).max()"
expect_ok "$MINIGRADC" eval seed_mlp --data "$D" --load "$TMP/torch.safetensors" --pca 0 --scale none
expect_ok "$MINIGRADC" train seed_mlp --data "$D" --init "$TMP/torch.safetensors" --pca 0 --scale none --epochs 1 --save "$TMP/ft.safetensors"
expect_ok "$MINIGRADC" train --data "$D" --init "$TMP/full.safetensors" --epochs 1 --lr 1e-4
grep -q 'model: mlp' <<<"$OUT" || { echo "FAIL: --init did not take the checkpoint's model"; failures=$((failures + 1)); }

# A progress bar with rate and ETA on a terminal only.
script -qec "$T --epochs 1" /dev/null >"$TMP/tty.out" 2>&1
check "a terminal gets a bar with rate and ETA" grep -q 'steps/s  ETA' "$TMP/tty.out"
expect_ok $T --epochs 1
if grep -q 'ETA' <<<"$OUT"; then echo "FAIL: a bar in a pipe"; failures=$((failures + 1)); fi
finish
