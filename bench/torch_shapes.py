#!/usr/bin/python3
"""The reference side of bench/shapes.sh (issue 9): the five MLP shapes of the issue
(or those of MLP_SHAPES) in PyTorch 1.13 eager, and the OpenBLAS sgemm peak they are
judged against.

    torch_shapes.py list                        the shapes, one a line: depth width batch dropout
    torch_shapes.py subset SRC DST ROWS TEST    the first ROWS / TEST rows of a data directory (--quick)
    torch_shapes.py peak                        numpy's 2048 x 2048 sgemm per OpenBLAS core; JSON
    torch_shapes.py train DATA --threads N --epochs E    PyTorch per shape; JSON
    torch_shapes.py meta DATA --epochs E [--quick]      the run's settings for shapes_report.py; JSON
    torch_shapes.py blas-check                  fails unless torch runs on OpenBLAS from libopenblas0-pthread

peak: OpenBLAS 0.3.21 picks its kernels from the CPU it detects and misdetects some
(it chose Prescott SSE3 kernels on one of these machines: 30 GFLOP/s where its
AVX-512 kernels reach 215), and the environment may force a core or a cache size
(OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE). So each measurement runs in a child with both
unset, and with one OpenBLAS thread it times numpy's float32 2048 x 2048 matmul with
the core OpenBLAS detects and with each core of CORETYPES forced; the child reports
the core OpenBLAS says it uses (OPENBLAS_VERBOSE=2, and openblas_get_corename). The
fastest is "the achievable peak"; it is measured again at 2 threads (OpenBLAS's own
2-thread scaling), and bench/shapes.sh runs PyTorch with that core forced.

train: per shape, Linear -> BatchNorm1d -> LeakyReLU(0.01) [-> Dropout] per hidden
layer, Linear to the classes; CrossEntropyLoss(label_smoothing=0.3); Adam lr 1e-3,
weight decay 1e-3; the data standardised as minigradc's --scale standard does
(population std fitted on the training split; a constant feature is only centred).
An epoch is minigrad's: the training rows shuffled, each batch gathered with
index_select, the last partial batch included, loss and correct count read back per
step; no evaluation. Its seconds per epoch for each of E epochs. The process must
run with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS at N (bench/shapes.sh sets them;
OpenBLAS reads its thread count once, when loaded). The JSON also says which BLAS
libraries are mapped into the process, the OpenBLAS core in use, torch's BLAS_INFO
and the ATen CPU capability (ATEN_CPU_CAPABILITY; PyTorch 1.13 uses AVX2 by default
even on CPUs with AVX-512).

MLP_SHAPES (bench/shapes.sh --shapes) replaces the issue's shapes with others, to
check shapes nobody listed: entries DEPTHxWIDTHxBATCH or DEPTHxWIDTHxBATCHxDROPOUT
separated by spaces or commas ("3x1000x250x0.2 2x500x100").

Run with /usr/bin/python3 (Debian's python3-torch and python3-numpy).
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import time

# The issue's shapes: (depth, width, batch, dropout).
ISSUE_SHAPES = [(1, 192, 64, 0.0), (2, 512, 128, 0.0), (3, 1024, 256, 0.2), (1, 192, 1024, 0.0), (4, 2048, 512, 0.0)]


def parse_shapes(text):
    """MLP_SHAPES' entries as (depth, width, batch, dropout); exits naming a bad one."""
    shapes = []
    for entry in text.replace(",", " ").split():
        parts = entry.split("x")
        try:
            if len(parts) not in (3, 4):
                raise ValueError("needs 3 or 4 fields")
            depth, width, batch = (int(p) for p in parts[:3])
            dropout = float(parts[3]) if len(parts) == 4 else 0.0
            if depth < 1 or width < 1 or batch < 1 or not 0 <= dropout < 1:
                raise ValueError("depth, width and batch must be >= 1, dropout in [0, 1)")
        except ValueError as e:
            sys.exit("MLP_SHAPES: '{}' is not DEPTHxWIDTHxBATCH[xDROPOUT] ({})".format(entry, e))
        shapes.append((depth, width, batch, dropout))
    if not shapes:
        sys.exit("MLP_SHAPES: no shape in '{}'".format(text))
    return shapes


SHAPES = parse_shapes(os.environ["MLP_SHAPES"]) if os.environ.get("MLP_SHAPES") else ISSUE_SHAPES
CORETYPES = ["SkylakeX", "Haswell"]  # forced in turn besides OpenBLAS's own choice
PEAK_N = 2048
UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")  # machine-wide settings that would bias the probe


def blas_info():
    """The BLAS/LAPACK shared objects mapped into this process, resolved, and the
    OpenBLAS core in use (OPENBLAS_CORETYPE forces it)."""
    import ctypes
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if path.startswith("/") and ("blas" in path or "lapack" in path):
                libs.add(os.path.realpath(path))
    info = {"libraries": sorted(libs)}
    for lib in libs:
        if "libopenblas" in lib:
            core = ctypes.CDLL(lib).openblas_get_corename
            core.restype = ctypes.c_char_p
            info["openblas_core"] = core().decode()
    return info


# ---- peak: numpy's sgemm per core ----

def sgemm_child():
    """In a child: numpy's float32 PEAK_N^2 matmul, best of several timed calls; JSON."""
    import numpy as np
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((PEAK_N, PEAK_N), dtype=np.float32) for _ in range(2))
    c = np.matmul(a, b)
    best = 0.0
    reps = int(os.environ.get("SHAPES_PEAK_REPEATS", "7"))
    for _ in range(reps):  # best of single calls: other load only ever slows one down
        t0 = time.perf_counter()
        np.matmul(a, b, out=c)
        best = max(best, 2.0 * PEAK_N ** 3 / (time.perf_counter() - t0) / 1e9)
    return {"numpy": np.__version__, "gflops": round(best, 1), "blas": blas_info()}


def run_sgemm(coretype, threads):
    """numpy's sgemm in a child with OpenBLAS's environment cleaned, `coretype` forced
    unless None; the child's JSON plus the core OPENBLAS_VERBOSE=2 printed, or the failure."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(OPENBLAS_VERBOSE="2", OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "sgemm-child"], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    r = {"forced": coretype, "threads": threads}
    verbose = [l.split(":", 1)[1].strip() for l in p.stderr.splitlines() if l.startswith("Core:")]
    if verbose:
        r["verbose_core"] = verbose[0]
    if p.returncode != 0:  # a forced core the CPU lacks dies of SIGILL: reported, not used
        r["error"] = "exit status {}: {}".format(p.returncode, p.stderr.strip().splitlines()[-1:] or "")
        return r
    r.update(json.loads(p.stdout))
    return r


def peak():
    machine = {k: os.environ[k] for k in UNSET if k in os.environ}
    probes = [run_sgemm(None, 1)] + [run_sgemm(c, 1) for c in CORETYPES]
    ok = [p for p in probes if "error" not in p]
    if not ok:
        sys.exit("torch_shapes.py peak: every numpy sgemm probe failed: " + "; ".join(p["error"] for p in probes))
    best = max(ok, key=lambda p: p["gflops"])
    two = run_sgemm(best["forced"], 2)
    return {"unset_from_environment": machine, "probes": probes, "best": best, "best_2_threads": two}


# ---- train: PyTorch per shape ----

def load_split(data, name):
    import numpy as np
    for path, opener in ((os.path.join(data, name + ".npy"), open), (os.path.join(data, name + ".npy.gz"), gzip.open)):
        if os.path.exists(path):
            with opener(path, "rb") as f:
                return np.load(f)
    sys.exit("torch_shapes.py: {}: no {}.npy or {}.npy.gz".format(data, name, name))


def standardise(x):
    """minigradc --scale standard: (x - mean) / population std, fitted on these rows;
    a constant feature (max == min) is centred and not divided."""
    import numpy as np
    x = x.astype(np.float64)
    mean, sd = x.mean(0), x.std(0)
    sd[x.max(0) == x.min(0)] = 1.0
    return ((x - mean) / sd).astype(np.float32)


def make_model(torch, in_features, classes, depth, width, dropout):
    nn, layers = torch.nn, []
    for _ in range(depth):
        layers += [nn.Linear(in_features, width), nn.BatchNorm1d(width), nn.LeakyReLU(0.01)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        in_features = width
    layers.append(nn.Linear(in_features, classes))
    return nn.Sequential(*layers)


def epochs_seconds(torch, x, y, classes, shape, epochs):
    depth, width, batch, dropout = shape
    torch.manual_seed(0)
    model = make_model(torch, x.shape[1], classes, depth, width, dropout)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.3)
    g, n, out = torch.Generator().manual_seed(0), x.shape[0], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=g)
        loss_sum, correct = 0.0, 0
        for start in range(0, n, batch):
            idx = perm[start:start + batch]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            opt.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * idx.numel()
            correct += (logits.argmax(1) == yb).sum().item()
        out.append(time.perf_counter() - t0)
    return out


def train(args):
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    x = torch.from_numpy(standardise(load_split(args.data, "train_data")))
    y = torch.from_numpy(load_split(args.data, "train_label").astype(np.int64))
    classes = int(y.max()) + 1
    config = torch.__config__.show()
    pick = lambda key: config.split(key, 1)[1].split(",")[0].split("\n")[0].strip() if key in config else "?"
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": x.shape[0],
              "aten": os.environ.get("ATEN_CPU_CAPABILITY", "default"), "blas_info": pick("BLAS_INFO="), "cpu_capability": pick("CPU capability usage:"),
              "blas": blas_info(), "shapes": []}
    for shape in SHAPES:
        secs = epochs_seconds(torch, x, y, classes, shape, args.epochs)
        result["shapes"].append({"shape": list(shape), "epoch_seconds": [round(s, 5) for s in secs]})
    return result


def blas_check():
    """torch's BLAS is Debian's libblas.so.3 alternative: it must be OpenBLAS (pthread)."""
    import torch
    torch.ones(2, 2) @ torch.ones(2, 2)  # a float32 matmul: BLAS is loaded and used
    info = blas_info()
    if "openblas_core" not in info or not any("openblas-pthread" in lib for lib in info["libraries"]):
        sys.exit("torch_shapes.py: torch does not run on OpenBLAS from libopenblas0-pthread (BLAS mapped: {}); "
                 "tools/setup.sh --bench installs it".format(", ".join(info["libraries"]) or "none"))
    print("torch BLAS: {} (OpenBLAS core as loaded: {})".format(", ".join(info["libraries"]), info["openblas_core"]),
          file=sys.stderr)


def meta(args):
    import numpy as np
    x, y = load_split(args.data, "train_data"), load_split(args.data, "train_label")
    return {"data": args.data, "rows": int(x.shape[0]), "features": int(x.shape[1]),
            "classes": int(np.max(y)) + 1, "epochs": args.epochs, "quick": args.quick,
            "shapes": [list(s) for s in SHAPES], "issue_shapes": SHAPES == ISSUE_SHAPES,
            "load_before": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())}


def subset(src, dst, rows, test_rows):
    import numpy as np
    os.makedirs(dst, exist_ok=True)
    for name, n in (("train_data", rows), ("train_label", rows), ("test_data", test_rows), ("test_label", test_rows)):
        a = load_split(src, name)
        if a.shape[0] < n:
            sys.exit("torch_shapes.py subset: {} has {} rows of {}, fewer than {}".format(src, a.shape[0], name, n))
        np.save(os.path.join(dst, name + ".npy"), a[:n])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    s = sub.add_parser("subset")
    s.add_argument("src"), s.add_argument("dst"), s.add_argument("rows", type=int), s.add_argument("test_rows", type=int)
    sub.add_parser("peak")
    sub.add_parser("blas-check")
    sub.add_parser("sgemm-child")
    t = sub.add_parser("train")
    t.add_argument("data")
    t.add_argument("--threads", type=int, required=True)
    t.add_argument("--epochs", type=int, required=True)
    m = sub.add_parser("meta")
    m.add_argument("data")
    m.add_argument("--epochs", type=int, required=True)
    m.add_argument("--quick", action="store_true")
    args = p.parse_args()
    if args.cmd == "list":
        for depth, width, batch, dropout in SHAPES:
            print(depth, width, batch, dropout)
    elif args.cmd == "subset":
        subset(args.src, args.dst, args.rows, args.test_rows)
    elif args.cmd == "peak":
        print(json.dumps(peak(), indent=2))
    elif args.cmd == "blas-check":
        blas_check()
    elif args.cmd == "meta":
        print(json.dumps(meta(args)))
    elif args.cmd == "sgemm-child":
        print(json.dumps(sgemm_child()))
    else:
        print(json.dumps(train(args), indent=2))


if __name__ == "__main__":
    main()
