#!/usr/bin/env bash
# minigradc train on the bundled digits with PCA 128 for 5 epochs (the seed's
# model and hyperparameters) reaches at least 90% test accuracy; a batch size of
# 1 trains but is warned of, naming the BatchNorm1d's line in the model;
# --flush-denormals trains and is recorded in the run's settings.
source "$(dirname "$0")/lib.sh"
expect_ok "$MINIGRADC" train seed_mlp --data data/mnist10k --pca 128 --epochs 5
echo "$OUT"
acc="$(sed -n 's/^final: test accuracy \([0-9.]*\)%.*/\1/p' <<<"$OUT")"
if [ -z "$acc" ] || ! awk -v a="$acc" 'BEGIN { exit !(a >= 90) }'; then
  echo "FAIL: final test accuracy '$acc' is below 90%"; failures=$((failures + 1))
fi

expect_ok "$MINIGRADC" train seed_mlp --data data/mnist10k --pca 16 --epochs 1 --batch-size 1
if ! grep -qF "warning: examples/seed_mlp.cpp:" "$TMP/stderr" || ! grep -qF "a batch of 1 row" "$TMP/stderr"; then
  echo "FAIL: no warning of batch normalisation over 1 row:"; sed 's/^/    /' "$TMP/stderr"; failures=$((failures + 1))
fi
expect_ok "$MINIGRADC" train seed_mlp --data data/mnist10k --pca 16 --epochs 2 --flush-denormals --json
grep -qE '"flush_denormals": ?true' <<<"$OUT" || { echo "FAIL: --flush-denormals not in the settings"; failures=$((failures + 1)); }
# 88.9% when written (PCA 16, 2 epochs); 80% leaves room for another CPU's rounding, not for a run that did not train.
acc="$(grep -oE '"test_accuracy": ?[0-9.]+' <<<"$OUT" | grep -oE '[0-9.]+$')"
awk -v a="${acc:-0}" 'BEGIN { exit !(a >= 0.80) }' ||
  { echo "FAIL: --flush-denormals trained to test accuracy '$acc', below 80%"; echo "$OUT" | head -c 600; failures=$((failures + 1)); }
finish
