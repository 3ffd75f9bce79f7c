#!/usr/bin/env bash
# minigradc sweep on a 3-configuration grid (two jobs): a results table in Markdown
# and CSV with the seed's columns, per-run metrics and a plot; a sweep with a failing
# run reports it, finishes the others and exits non-zero; the shipped studies parse.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/product_lib.sh"
D="$TMP/d"; small_data "$D"
cat >"$TMP/grid.toml" <<TOML
name = "grid"
[base]
model = "mlp"
data = "d"
pca = 16
epochs = 2
batch_size = 100
width = 32
[grid]
activation = ["relu", "sigmoid", "leaky_relu"]
TOML
expect_ok "$MINIGRADC" sweep "$TMP/grid.toml" -o "$TMP/out" --jobs 2
check "results table has the seed's columns" grep -q '| Configuration | Train loss | Train accuracy | Test loss | Test accuracy | Training time (s) | Inference time (s) |' "$TMP/out/results.md"
check "three rows in the CSV" test "$(wc -l <"$TMP/out/results.csv")" -eq 4
check "one metrics file per run" test "$(ls "$TMP/out/runs" | wc -l)" -eq 3
check "a plot" test -s "$TMP/out/curves.png"
check "each run trained 2 epochs" "$PYTHON" -c "
import json; r = json.load(open('$TMP/out/results.json'))['runs']
assert [x['summary']['epochs'] for x in r] == [2, 2, 2], r"

cat >"$TMP/onebad.toml" <<TOML
[base]
model = "mlp"
data = "d"
pca = 16
epochs = 1
[[runs]]
activation = ["relu", "swish", "sigmoid"]
TOML
"$MINIGRADC" sweep "$TMP/onebad.toml" -o "$TMP/onebad" >"$TMP/onebad.log" 2>&1 && { echo "FAIL: exit 0 with a failed run"; failures=$((failures + 1)); }
check "the failure is reported" grep -q "FAILED: .*unknown activation 'swish'" "$TMP/onebad.log"
check "the others finished" test "$(grep -c 'test acc' "$TMP/onebad.log")" -eq 2
check "the table shows it" grep -q '| activation=swish | failed: ' "$TMP/onebad/results.md"
check "the exit message counts it" grep -q '1 of 3 runs failed' "$TMP/onebad.log"

for study in architecture hyperparameters ablation; do
  expect_ok "$MINIGRADC" sweep "examples/experiments/$study.toml" --dry-run
done
check "architecture has 26 runs" test "$("$MINIGRADC" sweep examples/experiments/architecture.toml --dry-run | wc -l)" -eq 26
check "hyperparameters has 22 runs" test "$("$MINIGRADC" sweep examples/experiments/hyperparameters.toml --dry-run | wc -l)" -eq 22
finish
