"""Regenerates the bundled MNIST split in this directory from the shared 10,000-digit
files: the first 8,000 rows become train_*, the last 2,000 test_*, all uint8 .npy
compressed with gzip level 9. The gzip header carries no name or time, so the same
input always gives byte-identical files.

Usage: /usr/bin/python3 data/mnist10k/make_split.py ../shared/data
"""
import gzip
import io
import os
import sys

import numpy as np

TRAIN_ROWS = 8000
TOTAL_ROWS = 10000


def save_npy_gz(path, array):
    """Writes `array` as an .npy file (version 1.0 header) compressed with gzip -9."""
    raw = io.BytesIO()
    np.save(raw, array, allow_pickle=False)
    with open(path, "wb") as f:
        f.write(gzip.compress(raw.getvalue(), compresslevel=9, mtime=0))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_split.py SHARED_DATA_DIR")
    src = sys.argv[1]
    images = np.load(os.path.join(src, "mnist10k_images_u8.npy"), allow_pickle=False)
    labels = np.load(os.path.join(src, "mnist10k_labels_u8.npy"), allow_pickle=False)
    assert images.dtype == np.uint8 and images.shape == (TOTAL_ROWS, 784), images.shape
    assert labels.dtype == np.uint8 and labels.shape == (TOTAL_ROWS,), labels.shape
    out = os.path.dirname(os.path.abspath(__file__))
    parts = {
        "train_data": images[:TRAIN_ROWS], "train_label": labels[:TRAIN_ROWS],
        "test_data": images[TRAIN_ROWS:], "test_label": labels[TRAIN_ROWS:],
    }
    for name, array in parts.items():
        save_npy_gz(os.path.join(out, name + ".npy.gz"), np.ascontiguousarray(array))
        print(f"{name}.npy.gz: {array.dtype} {array.shape}")


if __name__ == "__main__":
    main()
