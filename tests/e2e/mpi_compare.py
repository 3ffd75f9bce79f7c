#!/usr/bin/env python3
"""Compares the checkpoints and metrics of data-parallel runs with one process's,
for tests/e2e/mpi.sh:

  close A.safetensors A.json B.safetensors B.json
      B's model equals A's within float32 summation-order noise: every float
      tensor within 2e-4 absolute + 1e-4 relative (a bias before a batch norm has
      a zero gradient, so Adam turns its rounding noise into steps of about lr: the
      absolute part bounds that), integers equal; every epoch's train and test loss
      within 1e-4 relative and accuracies within 1%.
"""
import json
import sys

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from safetensors_tool import read  # noqa: E402


def close(a_ckpt, a_json, b_ckpt, b_json):
    a, _ = read(a_ckpt)
    b, _ = read(b_ckpt)
    assert sorted(a) == sorted(b), (sorted(a), sorted(b))
    for k in a:
        if a[k].dtype.kind != "f":
            assert (a[k] == b[k]).all(), f"{k}: {a[k]} != {b[k]}"
            continue
        d = np.abs(a[k].astype(np.float64) - b[k])
        bound = 2e-4 + 1e-4 * np.abs(a[k].astype(np.float64))
        assert (d <= bound).all(), f"{k}: differs by up to {d.max():.3g}"
    ea, eb = json.load(open(a_json)), json.load(open(b_json))
    assert len(ea) == len(eb), (len(ea), len(eb))
    for x, y in zip(ea, eb):
        for key in ("train_loss", "test_loss"):
            assert abs(x[key] - y[key]) <= 1e-4 * abs(x[key]), f"epoch {x['epoch']} {key}: {x[key]} vs {y[key]}"
        for key in ("train_accuracy", "test_accuracy"):
            assert abs(x[key] - y[key]) <= 0.01, f"epoch {x['epoch']} {key}: {x[key]} vs {y[key]}"
    print(f"{b_ckpt}: within float32 noise of {a_ckpt}")


if __name__ == "__main__":
    if sys.argv[1] != "close" or len(sys.argv) != 6:
        sys.exit(__doc__)
    close(*sys.argv[2:])
