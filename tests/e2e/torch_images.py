#!/usr/bin/env python3
"""PyTorch against minigradc for the image examples (tests/e2e/train_images.sh):

  check lenet CKPT X P   PyTorch loads CKPT with load_state_dict(strict=True) into
                         torch.nn.Sequential(Unflatten, Conv2d, ...) as
                         examples/lenet.cpp builds it; its softmax on the raw rows X
                         (preprocessed with CKPT's metadata) matches minigradc predict's
                         output P (classes equal, probabilities within 1e-5)
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_tool import preprocess, read  # noqa: E402


def lenet(classes=10):
    import torch.nn as nn

    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, classes))


def main():
    import torch

    cmd, model_name, ckpt, x_path, pred_path = sys.argv[1:6]
    assert cmd == "check" and model_name == "lenet", f"usage: {__doc__}"
    tensors, meta = read(ckpt)
    model = lenet()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})  # strict=True
    model.eval()
    x = preprocess(np.load(x_path), meta)
    with torch.no_grad():
        p = torch.softmax(model(torch.from_numpy(x)), dim=1).numpy()
    ours = np.load(pred_path)
    assert (ours[:, 0] == p.argmax(1)).all(), "classes differ"
    diff = np.abs(ours[:, 1:] - p).max()
    assert diff < 1e-5, f"probabilities differ by {diff}"
    print(f"torch-images: strict load_state_dict accepted {len(tensors)} tensors; probabilities agree to {diff:.1e}")


if __name__ == "__main__":
    main()
