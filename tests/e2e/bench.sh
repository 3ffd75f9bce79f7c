#!/usr/bin/env bash
# minigradc bench: compile (cold and from the object cache), train step, epoch and
# inference figures, as text and as JSON, on both backends; bad flags are refused.
# (Only that the figures exist and are positive: speed is never asserted in a test.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/product_lib.sh"
D="$TMP/d"; small_data "$D"
expect_ok "$MINIGRADC" bench seed_mlp --data "$D" --pca 16 --repeats 1 --steps 20
for what in "compile" "ms cold" "from the object cache" "train step" "epoch" "inference"; do
  grep -q "$what" <<<"$OUT" || { echo "FAIL: no '$what' in bench's report"; failures=$((failures + 1)); }
done
expect_ok "$MINIGRADC" bench mlp --set width=8 --data "$D" --pca 8 --backend interp --repeats 1 --steps 5 --json
"$PYTHON" - "$OUT" <<'PY' || failures=$((failures + 1))
import json, sys
j = json.loads(sys.argv[1])
assert j["backend"] == "interp" and j["model"] == "mlp", j
for k in ("compile_cold_seconds", "compile_warm_seconds", "step_micros", "epoch_seconds", "inference_seconds"):
    assert j[k] > 0, (k, j)
PY
expect_fail "--repeats" "$MINIGRADC" bench seed_mlp --data "$D" --repeats 0
expect_fail "--data" "$MINIGRADC" bench seed_mlp
finish
