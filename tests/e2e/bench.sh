#!/usr/bin/env bash
# minigradc bench: compile (cold and from the object cache), train step, epoch and
# inference figures, as text and as JSON, on both backends, calibrated by --min-time
# or with a fixed --steps, with the counts each figure used; bench --profile and
# train --profile name the seed model's GEMMs with M x N x K and their shares add up
# to 100%; --no-mask-rows compiles a step for a partial last batch, as train's flag
# does; bench/shapes.sh --shapes takes other shapes; bad flags are refused. (Only that the figures exist and are positive:
# speed is never asserted in a test.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/product_lib.sh"
D="$TMP/d"; small_data "$D"
expect_ok "$MINIGRADC" bench seed_mlp --data "$D" --pca 16 --repeats 1 --steps 20
for what in "compile" "ms cold" "from the object cache" "train step" "epoch" "inference" "20 steps a repeat (--steps)" \
    "(1 x 20 steps)"; do
  grep -qF "$what" <<<"$OUT" || { echo "FAIL: no '$what' in bench's report"; failures=$((failures + 1)); }
done
# Calibrated by time: each figure says how many runs of how many iterations it used.
expect_ok "$MINIGRADC" bench seed_mlp --data "$D" --pca 16 --min-time 0.2
for what in "timed for at least 0.2 s" "steps)" "epoch" "build" "pass"; do
  grep -qF "$what" <<<"$OUT" || { echo "FAIL: no '$what' in bench --min-time's report"; failures=$((failures + 1)); }
done
grep -qE "train step +[0-9.]+ us \([1-5] x [0-9]+ steps?\)" <<<"$OUT" \
  || { echo "FAIL: no step count in: $OUT"; failures=$((failures + 1)); }
expect_ok "$MINIGRADC" bench seed_mlp --data "$D" --pca 16 --min-time 0.2 --repeats 3 --json
"$PYTHON" - "$OUT" <<'PY' || failures=$((failures + 1))
import json, sys
j = json.loads(sys.argv[1])
t = j["timing"]
assert t["min_time_seconds"] == 0.2 and t["max_repeats"] == 3, t
for k in ("compile_cold", "compile_warm", "step", "epoch", "inference"):
    assert t[k]["iterations"] >= 1 and 1 <= t[k]["repeats"] <= 3, (k, t)
assert t["step"]["repeats"] == 3 or t["step"]["iterations"] == 1, t
assert not j["profiling_build"] and "profile" not in j, j
PY
# A partial last batch (1,200 rows = 18 x 64 + 48): by default it runs the 64-row
# step with its row count, so only that step is compiled; --no-mask-rows compiles
# one for 48 rows, as train's flag does.
expect_ok "$MINIGRADC" bench seed_mlp --data "$D" --pca 16 --repeats 1 --steps 5 --json
"$PYTHON" - "$OUT" <<'PY' || failures=$((failures + 1))
import json, sys
j = json.loads(sys.argv[1])
assert j["mask_rows"] is True and j["train_batch_sizes"] == [64], j
PY
expect_ok "$MINIGRADC" bench seed_mlp --data "$D" --pca 16 --repeats 1 --steps 5 --no-mask-rows --json
"$PYTHON" - "$OUT" <<'PY' || failures=$((failures + 1))
import json, sys
j = json.loads(sys.argv[1])
assert j["mask_rows"] is False and j["train_batch_sizes"] == [48, 64], j
PY
expect_ok "$MINIGRADC" bench seed_mlp --data "$D" --pca 16 --repeats 1 --steps 5 --no-mask-rows
grep -qF "a partial batch runs a step compiled for its size (--no-mask-rows)" <<<"$OUT" \
  || { echo "FAIL: bench --no-mask-rows does not say so: $OUT"; failures=$((failures + 1)); }
expect_ok "$MINIGRADC" bench mlp --set width=8 --data "$D" --pca 8 --backend interp --repeats 1 --steps 5 --json
"$PYTHON" - "$OUT" <<'PY' || failures=$((failures + 1))
import json, sys
j = json.loads(sys.argv[1])
assert j["backend"] == "interp" and j["model"] == "mlp", j
for k in ("compile_cold_seconds", "compile_warm_seconds", "step_micros", "epoch_seconds", "inference_seconds"):
    assert j[k] > 0, (k, j)
PY
# --profile: the seed model on the digits at 128 features, batch 64: fc1's forward
# GEMM is 64 x 192 x 128 (M x N x K), its weight gradient 128 x 192 x 64.
M=(--data data/mnist10k --pca 128)
expect_ok "$MINIGRADC" bench seed_mlp "${M[@]}" --min-time 0.2 --repeats 1 --profile
for what in "a profiling build" "profile of train_step at batch 64" "64 x 192 x 128" "128 x 192 x 64" "GFLOP/s" "100.0%"; do
  grep -qF "$what" <<<"$OUT" || { echo "FAIL: no '$what' in bench --profile's report"; failures=$((failures + 1)); }
done
check_profile() {  # JSON with a "profile" object
  "$PYTHON" - "$1" <<'PY' || failures=$((failures + 1))
import json, sys
p = json.loads(sys.argv[1])["profile"]
assert p["batch"] == 64 and p["steps"] >= 1, p
rows = p["rows"]
assert abs(sum(r["share"] for r in rows) - 1) < 1e-6, rows
assert [r["share"] for r in rows] == sorted((r["share"] for r in rows), reverse=True), rows
gemms = [r for r in rows if "gemm" in r]
assert any((g["gemm"]["m"], g["gemm"]["n"], g["gemm"]["k"]) == (64, 192, 128) for g in gemms), gemms
assert all(g["gemm"]["gflops"] > 0 for g in gemms), gemms
assert any("seed_mlp" in r["site"] for r in gemms), gemms
PY
}
expect_ok "$MINIGRADC" bench seed_mlp "${M[@]}" --min-time 0.2 --repeats 1 --profile --threads 2 --json
check_profile "$OUT"
expect_ok "$MINIGRADC" train seed_mlp "${M[@]}" --epochs 1 --profile
for what in "a profiling build" "profile of train_step at batch 64" "64 x 192 x 128" "final:" "100.0%"; do
  grep -qF "$what" <<<"$OUT" || { echo "FAIL: no '$what' in train --profile's output"; failures=$((failures + 1)); }
done
expect_ok "$MINIGRADC" train seed_mlp "${M[@]}" --epochs 1 --profile --json
check_profile "$OUT"
expect_fail "--profile needs --backend jit" "$MINIGRADC" train seed_mlp --data "$D" --pca 16 --epochs 1 --backend interp --profile
expect_fail "--profile needs --backend jit" "$MINIGRADC" bench seed_mlp --data "$D" --pca 16 --backend interp --profile
# bench/shapes.sh --shapes: other MLP shapes than the issue's, through MLP_SHAPES (the
# shapes' list needs neither torch nor a build); a malformed entry is named.
expect_ok env MLP_SHAPES="3x1000x250x0.2, 2x500x100" "$PYTHON" bench/torch_shapes.py list
[ "$OUT" = $'3 1000 250 0.2\n2 500 100 0.0' ] || { echo "FAIL: MLP_SHAPES listed as: $OUT"; failures=$((failures + 1)); }
expect_ok env -u MLP_SHAPES "$PYTHON" bench/torch_shapes.py list
[ "$(wc -l <<< "$OUT")" = 5 ] || { echo "FAIL: not the issue's five shapes: $OUT"; failures=$((failures + 1)); }
expect_fail "'3x1000' is not DEPTHxWIDTHxBATCH" env MLP_SHAPES="3x1000" "$PYTHON" bench/torch_shapes.py list
expect_fail "'0x10x5' is not DEPTHxWIDTHxBATCH" env MLP_SHAPES="0x10x5" "$PYTHON" bench/torch_shapes.py list
expect_fail "--shapes needs a list" bash bench/shapes.sh --shapes
expect_fail "--min-time" "$MINIGRADC" bench seed_mlp --data "$D" --min-time 0
expect_fail "--repeats" "$MINIGRADC" bench seed_mlp --data "$D" --repeats 0
expect_fail "--data" "$MINIGRADC" bench seed_mlp
finish
