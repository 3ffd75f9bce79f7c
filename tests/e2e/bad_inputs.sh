#!/usr/bin/env bash
# Bad data files, flags, models and model parameters exit non-zero with a message
# that names what was wrong.
source "$(dirname "$0")/lib.sh"
T="$MINIGRADC train seed_mlp --epochs 1"

expect_fail "no-such-dir" $T --data "$TMP/no-such-dir"
mkdir -p "$TMP/bad" && cp data/mnist10k/*.gz "$TMP/bad/"
printf 'not a numpy file at all' > "$TMP/bad/train_data.npy"
expect_fail "train_data.npy" $T --data "$TMP/bad"
rm "$TMP/bad/train_data.npy"; gzip -dc data/mnist10k/train_data.npy.gz | head -c 5000 > "$TMP/bad/train_data.npy"
expect_fail "train_data.npy" $T --data "$TMP/bad"
mkdir -p "$TMP/nolabels" && cp data/mnist10k/train_data.npy.gz data/mnist10k/test_*.npy.gz "$TMP/nolabels/"
expect_fail "train_label" $T --data "$TMP/nolabels"
mkdir -p "$TMP/swapped" && cp data/mnist10k/train_data.npy.gz "$TMP/swapped/train_data.npy.gz"
cp data/mnist10k/test_label.npy.gz "$TMP/swapped/train_label.npy.gz"
cp data/mnist10k/test_*.npy.gz "$TMP/swapped/"
expect_fail "train_label.npy.gz: 2000 labels, but $TMP/swapped/train_data.npy.gz has 8000 rows" $T --data "$TMP/swapped"

expect_fail "--epochs" $T --data data/mnist10k --epochs 0
expect_fail "--optimizer" $T --data data/mnist10k --optimizer rmsprop
expect_fail "--lr -1: expected a finite number > 0" $T --data data/mnist10k --lr -1
expect_fail "--scale" $T --data data/mnist10k --scale log
expect_fail "--label-smoothing" $T --data data/mnist10k --label-smoothing 2
expect_fail "--frobnicate" $T --data data/mnist10k --frobnicate
expect_fail "--data is required" "$MINIGRADC" train seed_mlp
expect_fail "PCA to 1000 features" $T --data data/mnist10k --pca 1000
expect_fail "no such file, and no example of that name" "$MINIGRADC" train no_such_model --data data/mnist10k
expect_fail "has no parameter 'colour'" $T --data data/mnist10k --set colour=red
expect_fail "expected name=value" $T --data data/mnist10k --set width
expect_fail "is not an integer" $T --data data/mnist10k --set width=wide
expect_fail "unknown activation 'swish'" "$MINIGRADC" train mlp --epochs 1 --data data/mnist10k --set activation=swish
finish
