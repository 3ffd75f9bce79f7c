#!/usr/bin/env python3
"""A small reader and writer of the safetensors format (struct + json + numpy), for
the end-to-end tests: no safetensors package and no network needed. Commands:

  same A B                 every tensor of A equals B's, bit for bit (same names)
  torch-check CKPT X P F   PyTorch loads CKPT with load_state_dict(strict=True) into
                           the seed's model (F inputs); its softmax on the raw rows X
                           (preprocessed with CKPT's metadata) matches minigradc
                           predict's output P
  torch-write OUT X P      a seeded PyTorch seed-model state dict written to OUT in
                           safetensors, and the model's [class, probabilities] for
                           rows X written to P, for minigradc to load and match
  damage CKPT OUT KIND     a damaged copy of CKPT (truncated, badjson, badshape, ...)
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F64": np.float64, "F32": np.float32, "I64": np.int64, "I32": np.int32, "U8": np.uint8}


def read(path):
    """-> (tensors: dict name -> ndarray, metadata: dict)"""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    meta = header.pop("__metadata__", {})
    out = {}
    for name, t in header.items():
        b, e = t["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype=DTYPES[t["dtype"]]).reshape(t["shape"]).copy()
    return out, meta


def write(path, tensors, meta=None):
    header, blobs, at = {}, [], 0
    if meta:
        header["__metadata__"] = meta
    for name, a in tensors.items():
        a = np.array(a, order="C")  # (ascontiguousarray would make a scalar 1-d)
        dtype = {v: k for k, v in DTYPES.items()}[a.dtype.type]
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [at, at + a.nbytes]}
        blobs.append(a.tobytes())
        at += a.nbytes
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def seed_model(features, width=192, classes=10):
    import torch

    return torch.nn.Sequential(
        torch.nn.Linear(features, width), torch.nn.BatchNorm1d(width), torch.nn.LeakyReLU(0.01),
        torch.nn.Linear(width, classes))


def preprocess(x, meta):
    """The checkpoint's fitted preprocessing (PCA then scaling), in float64."""
    p = json.loads(meta["minigrad.preprocessing"])
    x = x.astype(np.float64)
    if p["pca"] > 0:
        pp = p["pca_params"]
        w = np.array(pp["components"]).reshape(p["in_features"], p["pca"])
        x = (x - np.array(pp["mean"])) @ w
    if p["scale"] != "none":
        x = (x - np.array(p["scale_params"]["offset"])) / np.array(p["scale_params"]["divisor"])
    return x.astype(np.float32)


def agree(pred_path, p):
    """minigradc predict's output at pred_path ([class, probabilities...] rows) against
    PyTorch's probabilities p: the same classes, probabilities within 1e-5; the largest gap."""
    ours = np.load(pred_path)
    assert (ours[:, 0] == p.argmax(1)).all(), "classes differ"
    diff = np.abs(ours[:, 1:] - p).max()
    assert diff < 1e-5, f"probabilities differ by {diff}"
    return diff


def main():
    cmd = sys.argv[1]
    if cmd == "same":
        a, _ = read(sys.argv[2])
        b, _ = read(sys.argv[3])
        assert a.keys() == b.keys(), f"names differ: {sorted(a.keys() ^ b.keys())}"
        for k in a:
            assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, f"{k}: type or shape differs"
            assert a[k].tobytes() == b[k].tobytes(), f"{k}: values differ (max diff {np.abs(a[k] - b[k]).max()})"
        print(f"same: {len(a)} tensors equal bit for bit")
    elif cmd == "torch-check":
        import torch

        ckpt, x_path, pred_path, features = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
        tensors, meta = read(ckpt)
        model = seed_model(features)
        model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})  # strict=True
        model.eval()
        x = preprocess(np.load(x_path), meta)
        with torch.no_grad():
            p = torch.softmax(model(torch.from_numpy(x)), dim=1).numpy()
        diff = agree(pred_path, p)
        print(f"torch-check: strict load_state_dict accepted {len(tensors)} tensors; probabilities agree to {diff:.1e}")
    elif cmd == "torch-write":
        import torch

        out, x_path, pred_path = sys.argv[2], sys.argv[3], sys.argv[4]
        x = np.load(x_path).astype(np.float32)
        torch.manual_seed(7)
        model = seed_model(x.shape[1])
        model.train()
        with torch.no_grad():  # a few batches so the running statistics are not the defaults
            for _ in range(3):
                model(torch.randn(32, x.shape[1]))
        model.eval()
        write(out, {k: v.numpy() for k, v in model.state_dict().items()})
        with torch.no_grad():
            p = torch.softmax(model(torch.from_numpy(x)), dim=1).numpy()
        np.save(pred_path, np.concatenate([p.argmax(1)[:, None].astype(np.float32), p], axis=1))
        print(f"torch-write: {out} with {len(model.state_dict())} tensors")
    elif cmd == "damage":
        src, out, kind = sys.argv[2], sys.argv[3], sys.argv[4]
        with open(src, "rb") as f:
            raw = f.read()
        (n,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8 : 8 + n])
        if kind == "truncated":
            raw = raw[: len(raw) - 100]
        elif kind == "badjson":
            raw = raw[:8] + b"{" * n + raw[8 + n :]
        elif kind == "hugeheader":
            raw = struct.pack("<Q", 1 << 40) + raw[8:]
        else:
            tensors, meta = read(src)
            if kind == "badshape":
                tensors["0.weight"] = tensors["0.weight"][:-1]
            elif kind == "missing":
                del tensors["1.running_var"]
            elif kind == "extra":
                tensors["extra.weight"] = np.zeros(3, np.float32)
            elif kind == "dtype":
                tensors["0.bias"] = tensors["0.bias"].astype(np.uint8)
            write(out, tensors, meta)
            return
        with open(out, "wb") as f:
            f.write(raw)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
