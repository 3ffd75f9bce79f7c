#!/usr/bin/env python3
"""PyTorch against minigradc for the image examples (tests/e2e/train_images.sh):

  check lenet CKPT X P   PyTorch loads CKPT with load_state_dict(strict=True) into
                         torch.nn.Sequential(Unflatten, Conv2d, ...) as
                         examples/lenet.cpp builds it; its softmax on the raw rows X
                         (preprocessed with CKPT's metadata) matches minigradc predict's
                         output P (classes equal, probabilities within 1e-5)
  init MODEL OUT         a seeded PyTorch MODEL's state dict written to OUT (safetensors)
  step MODEL INIT TRAINED DATA BATCH
                         PyTorch trains MODEL from INIT for one epoch over DATA's training
                         rows in order (standardised as --scale standard does; Adam lr 1e-3,
                         cross-entropy, batch BATCH) and compares every tensor with TRAINED
                         (minigradc train --init INIT --no-shuffle ... --save TRAINED): the
                         98th percentile of per-tensor relative error must be within 10x
                         PyTorch's own float32-vs-float64 difference (at least 1e-6)
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_tool import agree, preprocess, read  # noqa: E402


def lenet(classes=10):
    import torch.nn as nn

    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, classes))


def cnn(classes=10, channels=8):
    import torch.nn as nn

    layers, c_in, side = [nn.Unflatten(1, (1, 28, 28))], 1, 28
    for b in range(2):
        out = channels << b
        layers += [nn.Conv2d(c_in, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(), nn.MaxPool2d(2)]
        c_in, side = out, side // 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c_in * side * side, classes))


def build(name):
    return lenet() if name == "lenet" else cnn()


def epoch(name, init, data, batch, dtype):
    """The model trained for one epoch in `dtype`, from `init`."""
    import gzip

    import torch

    torch.set_num_threads(1)
    x = np.load(gzip.open(f"{data}/train_data.npy.gz")).astype(np.float64)
    y = torch.from_numpy(np.load(gzip.open(f"{data}/train_label.npy.gz")).astype(np.int64).reshape(-1))
    mean, std = x.mean(0), x.std(0)
    x = torch.from_numpy((x - mean) / np.where(std == 0, 1, std)).to(dtype)
    net = build(name).to(dtype)
    tensors, _ = read(init)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
    net = net.to(dtype)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    for i in range(0, len(y), batch):
        opt.zero_grad()
        loss_fn(net(x[i : i + batch]), y[i : i + batch]).backward()
        opt.step()
    return {k: v.detach().numpy().astype(np.float64) for k, v in net.state_dict().items()}


def step(name, init, trained, data, batch):
    import torch

    ours, _ = read(trained)
    f32, f64 = epoch(name, init, data, batch, torch.float32), epoch(name, init, data, batch, torch.float64)
    worst = []
    for k, ref in f64.items():
        if k.endswith("num_batches_tracked"):
            assert int(ours[k]) == int(ref), f"{k}: {ours[k]} batches, PyTorch {ref}"
            continue
        scale = np.abs(ref).max() + 1e-12
        mine = np.abs(ours[k].astype(np.float64) - ref).max() / scale
        theirs = np.abs(f32[k] - ref).max() / scale
        worst.append((mine, theirs, k))
    mine = np.percentile([w[0] for w in worst], 98)
    theirs = np.percentile([w[1] for w in worst], 98)
    print(f"torch-images step: {name}: 98th percentile relative error {mine:.2e}, PyTorch f32 {theirs:.2e};"
          f" worst {max(worst)[2]} {max(worst)[0]:.2e}")
    assert mine <= 10 * max(theirs, 1e-6), "minigrad's epoch is further from float64 than 10x PyTorch's float32"


def main():
    import torch

    if sys.argv[1] == "init":
        torch.manual_seed(5)
        from safetensors_tool import write

        write(sys.argv[3], {k: v.numpy() for k, v in build(sys.argv[2]).state_dict().items()})
        return
    if sys.argv[1] == "step":
        return step(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    cmd, model_name, ckpt, x_path, pred_path = sys.argv[1:6]
    assert cmd == "check" and model_name == "lenet", f"usage: {__doc__}"
    tensors, meta = read(ckpt)
    model = lenet()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})  # strict=True
    model.eval()
    x = preprocess(np.load(x_path), meta)
    with torch.no_grad():
        p = torch.softmax(model(torch.from_numpy(x)), dim=1).numpy()
    diff = agree(pred_path, p)
    print(f"torch-images: strict load_state_dict accepted {len(tensors)} tensors; probabilities agree to {diff:.1e}")


if __name__ == "__main__":
    main()
