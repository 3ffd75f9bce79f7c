#!/usr/bin/python3
"""Writes the synthetic data set of the benchmarks: the seed's shape (50,000 train and
10,000 test rows, 128 features, 10 classes) in the seed's directory layout
(train_data.npy, train_label.npy, test_data.npy, test_label.npy).

Each class is a Gaussian around a random centre; the features have decreasing
variance, as PCA outputs do; the classes overlap, so accuracy stays well below 100%.
Generated with a fixed seed: every run writes the same bytes.

    bench/make_data.py OUT_DIR
"""
import os
import sys

import numpy as np

TRAIN, TEST, FEATURES, CLASSES, SEED = 50_000, 10_000, 128, 10, 20240607


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    scale = np.sqrt(np.linspace(3.0, 0.05, FEATURES))  # per-feature spread, PCA-like
    centres = rng.normal(0.0, 0.35, size=(CLASSES, FEATURES)) * scale
    for name, rows in (("train", TRAIN), ("test", TEST)):
        labels = rng.integers(0, CLASSES, size=rows).astype(np.int64)
        data = centres[labels] + rng.normal(0.0, 1.0, size=(rows, FEATURES)) * scale
        np.save(os.path.join(out, f"{name}_data.npy"), data.astype(np.float32))
        np.save(os.path.join(out, f"{name}_label.npy"), labels)


if __name__ == "__main__":
    main()
