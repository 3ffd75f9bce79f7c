#!/usr/bin/env bash
# The main job: the seed's best model (Linear(128,192), BatchNorm, LeakyReLU,
# Linear(192,10); Adam 1e-3, weight decay 1e-3, label smoothing 0.3, batch 64) on
# the bundled MNIST digits reduced to 128 features by PCA, as the seed's data had.
# Extra arguments go to minigradc train (e.g. --epochs 5).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
exec build/tools/minigradc train seed_mlp --data data/mnist10k --pca 128 --scale standard \
  --optimizer adam --lr 1e-3 --weight-decay 1e-3 --label-smoothing 0.3 --batch-size 64 --epochs 100 "$@"
