#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into corpus/NAME/ (run from this
directory; needs NumPy). The seeds are committed; this script says how they were
made. Inputs that found bugs are added to the corpora by hand, named regress-*."""
import glob
import io
import json
import os
import struct

import numpy as np


def save(path, arr, version=None):
    buf = io.BytesIO()
    if version:
        np.lib.format.write_array(buf, arr, version=version)
    else:
        np.save(buf, arr)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def safetensors(path, tensors, meta=None):
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if meta:
        header["__metadata__"] = meta
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


for d in ("npy", "safetensors", "ir", "sweep", "predict_input", "set"):
    os.makedirs(f"corpus/{d}", exist_ok=True)

save("corpus/npy/f32_2d.npy", np.arange(12, dtype=np.float32).reshape(3, 4))
save("corpus/npy/i64_1d.npy", np.array([0, 1, 2, 9], dtype=np.int64))
save("corpus/npy/u8_2d.npy", np.arange(6, dtype=np.uint8).reshape(2, 3))
save("corpus/npy/f64_v2.npy", np.linspace(0, 1, 5), version=(2, 0))
save("corpus/npy/i32_scalar.npy", np.array(7, dtype=np.int32))
save("corpus/npy/fortran.npy", np.asfortranarray(np.ones((2, 3), dtype=np.float32)))

save("corpus/predict_input/rows.npy", np.array([[1, 2, 3], [0.5, -1, 4]], dtype=np.float32))
save("corpus/predict_input/f64_rows.npy", np.array([[1, 2, 3]], dtype=np.float64))
save("corpus/predict_input/nan.npy", np.array([[1, np.nan, 3]], dtype=np.float32))
save("corpus/predict_input/narrow.npy", np.zeros((2, 2), dtype=np.float32))

safetensors("corpus/safetensors/two.safetensors",
            {"0.weight": ("F32", [2, 3], np.arange(6, dtype=np.float32).tobytes()),
             "0.bias": ("F32", [2], np.zeros(2, dtype=np.float32).tobytes())}, {"format": "pt"})
safetensors("corpus/safetensors/i32.safetensors", {"step": ("I32", [], np.array(3, dtype=np.int32).tobytes())})
safetensors("corpus/safetensors/empty.safetensors", {})

# The IR: each module of the pass tests (tests/passes/*.mgir), comments dropped.
n = 0
for path in sorted(glob.glob("../passes/*.mgir")):
    with open(path) as f:
        parts = f.read().split("// -----")
    for part in parts:
        body = "\n".join(line for line in part.split("\n") if not line.startswith("//")).strip()
        if body.startswith("module") and len(body) < 3000:
            n += 1
            write(f"corpus/ir/{os.path.basename(path)[:-5]}_{n}.mgir", body + "\n")

for path in glob.glob("../../examples/experiments/*.toml"):
    with open(path) as f:
        write("corpus/sweep/" + os.path.basename(path), f.read())
write("corpus/sweep/small.toml", 'name = "s"\n[base]\nmodel = "mlp"\ndata = "d"\nepochs = 1\nwidth = 8\n'
      '[base.set]\nactivation = "relu"\n[grid]\nlr = [0.1, 0.01]\n[[runs]]\ngroup = "g"\n'
      'label = "{depth} layers"\ndepth = [0, 1]\n')

write("corpus/set/typical", "width=192\nactivation=relu\ndropout=0.25\nbatchnorm=true\n")
write("corpus/set/odd", "=1\nwidth\nwidth=\nw==2\nn=-9223372036854775808\nx=1e400\nb=yes\n")
