#!/usr/bin/python3
"""PyTorch 1.13 eager beside minigradc on the image examples (bench/cnn.sh):

    torch_cnn.py MODEL DATA --epochs E [--channels C]   seconds per epoch; JSON

MODEL is lenet or cnn, as examples/lenet.cpp and examples/cnn.cpp build them (the
same layers, PyTorch's default initialisation), trained as minigradc train does
by default: Adam lr 1e-3, weight decay 1e-3, CrossEntropyLoss(label_smoothing=0.3),
batch 64 (cnn: 128), the rows standardised with the training split's population
statistics; an epoch shuffles the rows, gathers each batch with index_select, keeps
the last partial batch and reads the loss back each step; no evaluation. Runs with
the threads torch.get_num_threads() reports (bench/cnn.sh sets OMP_NUM_THREADS).
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from torch_images import cnn, lenet  # noqa: E402


def model(name, classes, channels):
    """The same torch.nn.Sequential the end-to-end tests compare with (tests/e2e/torch_images.py)."""
    return lenet(classes) if name == "lenet" else cnn(classes, channels)


def load(data, split):
    x = np.load(gzip.open(f"{data}/{split}_data.npy.gz")).astype(np.float32)
    y = np.load(gzip.open(f"{data}/{split}_label.npy.gz")).astype(np.int64).reshape(-1)
    return x, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=["lenet", "cnn"])
    ap.add_argument("data")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--channels", type=int, default=32)
    a = ap.parse_args()
    x, y = load(a.data, "train")
    mean, std = x.mean(0), x.std(0)
    std[std == 0] = 1
    x = torch.from_numpy((x - mean) / std)
    y = torch.from_numpy(y)
    torch.manual_seed(0)
    net = model(a.model, int(y.max()) + 1, a.channels)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-3)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.3)
    batch = 64 if a.model == "lenet" else 128
    seconds = []
    for _ in range(a.epochs):
        start = time.perf_counter()
        order = torch.randperm(len(y))
        for i in range(0, len(y), batch):
            idx = order[i : i + batch]
            opt.zero_grad()
            loss = loss_fn(net(x.index_select(0, idx)), y.index_select(0, idx))
            loss.backward()
            opt.step()
            loss.item()
        seconds.append(time.perf_counter() - start)
    print(json.dumps({"model": a.model, "threads": torch.get_num_threads(), "epoch_seconds": seconds,
                      "torch": torch.__version__, "mkldnn": torch.backends.mkldnn.is_available()}))


if __name__ == "__main__":
    main()
