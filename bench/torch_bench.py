#!/usr/bin/python3
"""The PyTorch side of the benchmark: the seed's model (Linear(128,192) ->
BatchNorm1d -> LeakyReLU(0.01) -> Linear(192,10), cross-entropy with label
smoothing 0.3, Adam lr 1e-3 weight decay 1e-3, batch 64) on the same .npy data as
bench/jit_bench, timed as jit_bench times minigrad. Prints one JSON object.

For each thread count it runs a child process with OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and torch.set_num_threads set to it (OpenBLAS reads its
thread count once, when it is loaded), and in each child two modes:
  eager   the nn.Module as written;
  script  torch.jit.script of the model and loss together (forward, loss and the
          correct count in one scripted module). The backward runs through autograd
          and the Adam update through torch.optim, whose optimisers TorchScript
          cannot compile in PyTorch 1.13.
Measures (medians of repeats): us per train step over 64 pre-made batches; seconds
per epoch (50,000 rows shuffled, each batch gathered with index_select, the
last partial batch included, loss and correct count read back per step as
minigrad's trainer does); inference over the test split in one batch (eval mode,
no_grad: logits, loss and correct count); for script, the seconds torch.jit.script
takes (the profiling executor optimises the graph later, during the first runs).

Two more children, with one OpenBLAS thread, measure numpy's float32 matmul on
2048 x 2048 (the single-core sgemm peak probe) and, given --shapes (jit_bench's
JSON), numpy's matmul on each of the model's GEMM shapes (call overhead included):
"probe" with the kernels OpenBLAS picks for this CPU (what torch and numpy use),
"probe_avx512" with OPENBLAS_CORETYPE=SkylakeX, its AVX-512 kernels: OpenBLAS
0.3.21 predates some CPUs that have AVX-512 (AMD Zen 5) and gives them its AVX2
kernels, which understates the machine's peak by about half. Each child reports
the BLAS libraries mapped into it (/proc/self/maps) and OpenBLAS's kernel family.

The torch children run with glibc's malloc told to keep freed memory
(MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ at 1 GB) unless --plain-malloc:
by default each tensor above 128 KB is a fresh mmap, and on a virtual machine whose
page faults are slow the 7.7 MB temporaries of the 10,000-row inference then cost
more than its arithmetic (minigrad plans its memory once, so it is not affected).

    bench/torch_bench.py DATA_DIR [--threads 1,2] [--repeats 7] [--shapes JIT_JSON] [--plain-malloc]
"""
import argparse
import json
import os
import subprocess
import sys
import time

TRAIN_BATCH, STEPS, WARMUP, PEAK_N = 64, 1000, 300, 2048
KEEP_MEMORY = {"MALLOC_MMAP_THRESHOLD_": str(2**30), "MALLOC_TRIM_THRESHOLD_": str(2**30)}


def median(v):
    return sorted(v)[len(v) // 2]


def blas_info():
    """The BLAS/LAPACK shared objects mapped into this process, resolved, and the
    kernel family OpenBLAS chose for this CPU (it can be forced with OPENBLAS_CORETYPE)."""
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


def child(args, mode_args, threads, env=None):
    """Runs this script again with `mode_args` and `threads` threads everywhere; returns its JSON."""
    n = str(threads)
    env = dict(os.environ, OMP_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n, MKL_NUM_THREADS=n, **(env or {}))
    cmd = [sys.executable, os.path.abspath(__file__), args.data, "--repeats", str(args.repeats)] + mode_args
    out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


# ---- the PyTorch model (imported only in the children) ----

def make_model(torch, mode):
    nn = torch.nn

    class LossAndCorrect(nn.Module):
        """Logits -> (label-smoothed cross-entropy, number of correct predictions)."""

        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(128, 192), nn.BatchNorm1d(192), nn.LeakyReLU(0.01), nn.Linear(192, 10))
            self.loss = nn.CrossEntropyLoss(label_smoothing=0.3)

        def forward(self, x, y):
            logits = self.net(x)
            return self.loss(logits, y), (logits.argmax(1) == y).sum()

    torch.manual_seed(0)
    m = LossAndCorrect()
    t0 = time.perf_counter()
    if mode == "script":
        m = torch.jit.script(m)
    script_seconds = time.perf_counter() - t0
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, weight_decay=1e-3)
    return m, opt, script_seconds


def train_step(m, opt, x, y):
    opt.zero_grad(set_to_none=True)
    loss, correct = m(x, y)
    loss.backward()
    opt.step()
    return loss, correct


def step_micros(torch, mode, d, repeats):
    m, opt, script_seconds = make_model(torch, mode)
    n = d["xtr"].shape[0]
    batches = []
    for i in range(64):
        idx = torch.tensor([(i * TRAIN_BATCH + j) % n for j in range(TRAIN_BATCH)])
        batches.append((d["xtr"][idx].contiguous(), d["ytr"][idx].contiguous()))
    for i in range(WARMUP):
        train_step(m, opt, *batches[i % 64])
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for i in range(STEPS):
            train_step(m, opt, *batches[i % 64])
        t.append((time.perf_counter() - t0) * 1e6 / STEPS)
    return median(t), m, opt, script_seconds


def epoch_seconds(torch, m, opt, d, epochs):
    x, y, n = d["xtr"], d["ytr"], d["xtr"].shape[0]
    g = torch.Generator().manual_seed(0)
    t = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=g)
        loss_sum, correct = 0.0, 0
        for start in range(0, n, TRAIN_BATCH):
            idx = perm[start:start + TRAIN_BATCH]
            loss, c = train_step(m, opt, x.index_select(0, idx), y.index_select(0, idx))
            loss_sum += loss.item() * idx.numel()
            correct += c.item()
        t.append(time.perf_counter() - t0)
    return median(t)


def infer_seconds(torch, m, d, repeats):
    m.eval()
    t, acc = [], 0.0
    with torch.no_grad():
        for _ in range(repeats + 2):  # the first two warm up (and let TorchScript specialise)
            t0 = time.perf_counter()
            loss, correct = m(d["xte"], d["yte"])
            acc = correct.item() / d["xte"].shape[0]
            t.append(time.perf_counter() - t0)
    m.train()
    return median(t[2:]), acc


def run_torch(args):
    import numpy as np
    import torch
    torch.set_num_threads(args.child_torch)
    load = lambda name: torch.from_numpy(np.load(os.path.join(args.data, name)))
    d = {"xtr": load("train_data.npy"), "ytr": load("train_label.npy").long(),
         "xte": load("test_data.npy"), "yte": load("test_label.npy").long()}
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_info()}
    for mode in ("eager", "script"):
        us, m, opt, script_seconds = step_micros(torch, mode, d, args.repeats)
        ep = epoch_seconds(torch, m, opt, d, max(3, args.repeats // 2))
        inf, acc = infer_seconds(torch, m, d, args.repeats)
        result[mode] = {"step_us": round(us, 2), "epoch_seconds": round(ep, 4), "infer_seconds": round(inf, 5),
                        "test_accuracy_after_timing": round(acc, 4)}
        if mode == "script":
            result[mode]["script_seconds"] = round(script_seconds, 4)
    return result


# ---- the sgemm peak and the model's GEMM shapes in numpy (one OpenBLAS thread) ----

def gflops(np, a, b, calls, repeats):
    c = np.matmul(a, b)
    m, k, n = a.shape[0], a.shape[1], b.shape[1]
    for _ in range(max(1, calls // 10)):
        np.matmul(a, b, out=c)
    r = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            np.matmul(a, b, out=c)
        r.append(2.0 * m * k * n * calls / (time.perf_counter() - t0) / 1e9)
    return median(r)


def run_probe(args):
    import numpy as np
    rng = np.random.default_rng(0)
    mat = lambda r, c: rng.standard_normal((r, c), dtype=np.float32)
    peak = gflops(np, mat(PEAK_N, PEAK_N), mat(PEAK_N, PEAK_N), 3, max(3, args.repeats // 2))
    result = {"numpy": np.__version__, "blas": blas_info(), "peak_sgemm_2048_gflops": round(peak, 1), "gemm": []}
    if args.shapes:
        with open(args.shapes) as f:
            shapes = json.load(f)["gemm"]
        for s in shapes:
            m, k, n = s["m"], s["k"], s["n"]
            a = mat(k, m).T if s["ta"] else mat(m, k)  # transposed operands as views: BLAS gets the trans flag
            b = mat(n, k).T if s["tb"] else mat(k, n)
            calls = max(10, int(1e9 / (2 * m * n * k)))
            result["gemm"].append({"name": s["name"], "gflops": round(gflops(np, a, b, calls, args.repeats), 1)})
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("data")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--shapes", help="jit_bench's JSON output: measure numpy on its GEMM shapes")
    p.add_argument("--plain-malloc", action="store_true", help="run torch with glibc malloc's default thresholds")
    p.add_argument("--child-torch", type=int, help=argparse.SUPPRESS)
    p.add_argument("--child-probe", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child_torch:
        print(json.dumps(run_torch(args)))
        return
    if args.child_probe:
        print(json.dumps(run_probe(args)))
        return
    shapes = ["--shapes", args.shapes] if args.shapes else []
    result = {"probe": child(args, ["--child-probe"] + shapes, 1),
              "probe_avx512": child(args, ["--child-probe"] + shapes, 1, {"OPENBLAS_CORETYPE": "SkylakeX"}),
              "malloc": "glibc defaults" if args.plain_malloc else "keep freed memory",
              "runs": [child(args, ["--child-torch", t], int(t), {} if args.plain_malloc else KEEP_MEMORY)
                       for t in args.threads.split(",")]}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
