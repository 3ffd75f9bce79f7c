#!/usr/bin/env bash
# minigradc train on the bundled digits with PCA 128 for 5 epochs (the seed's
# model and hyperparameters) reaches at least 90% test accuracy.
source "$(dirname "$0")/lib.sh"
expect_ok "$MINIGRADC" train seed_mlp --data data/mnist10k --pca 128 --epochs 5
echo "$OUT"
acc="$(sed -n 's/^final: test accuracy \([0-9.]*\)%.*/\1/p' <<<"$OUT")"
if [ -z "$acc" ] || ! awk -v a="$acc" 'BEGIN { exit !(a >= 90) }'; then
  echo "FAIL: final test accuracy '$acc' is below 90%"; failures=$((failures + 1))
fi
finish
