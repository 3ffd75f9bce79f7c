#!/usr/bin/python3
"""The markdown table of bench/shapes.sh (issue 9) from the JSON its parts left in
OUT_DIR: per MLP shape and thread count, minigrad and PyTorch seconds per epoch, the
GEMM GFLOP/s of each, their share of the achievable sgemm peak and of the FMA peak,
the ratio, and both 2-thread scalings beside OpenBLAS's own.

    bench/shapes_report.py OUT_DIR
reads meta.json (the shapes run, as torch_shapes.py's meta wrote them), peak.json, fma_peak.json, minigrad-s<I>-t<N>.json (minigradc
train --metrics) and torch-t<N>-<ATEN>.json (torch_shapes.py train).

GEMM work of a step, per row of the batch: every layer's forward (x W) and weight
gradient (x^T dY), and the input gradient (dY W^T) of every layer but the first,
each 2 x in x out flops; an epoch's work is that times the rows trained (the last
partial batch included). BatchNorm, activations, loss and Adam are not counted.
"""
import datetime
import glob
import json
import os
import sys

from torch_shapes import ISSUE_SHAPES


def load(path):
    with open(path) as f:
        return json.load(f)


def gemm_flops_per_row(features, classes, depth, width):
    dims = [features] + [width] * depth + [classes]
    layers = list(zip(dims[:-1], dims[1:]))
    return sum(2 * i * o * (2 if n == 0 else 3) for n, (i, o) in enumerate(layers))


def best_of_epochs(seconds):
    """Epoch 1 warms up (first calls, the specialisation of a last partial batch): the best of the rest."""
    return min(seconds[1:]) if len(seconds) > 1 else seconds[0]


def cpu_model():
    fields = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    return "{} (family {}, model {}), {} logical CPUs".format(
        fields.get("model name", "?"), fields.get("cpu family", "?"), fields.get("model", "?"), os.cpu_count())


def pct(v, of):
    return "{:.0f}".format(100 * v / of) if of else "—"


def secs(v):
    return "{:.4f}".format(v) if v < 1 else "{:.3f}".format(v) if v < 10 else "{:.2f}".format(v)


def torch_best(out, threads):
    """Per shape index: (best seconds per epoch over the ATen capabilities run, that capability); and the runs."""
    runs = [load(p) for p in sorted(glob.glob(os.path.join(out, "torch-t{}-*.json".format(threads))))]
    best = {}
    for r in runs:
        for i, s in enumerate(r["shapes"]):
            t = best_of_epochs(s["epoch_seconds"])
            if i not in best or t < best[i][0]:
                best[i] = (t, r["aten"])
    return best, runs


def header(meta, peak, fma, torch_runs):
    probes = ", ".join("{}: {}".format(
        "forced {}".format(p["forced"]) if p["forced"] else "detected",
        "{} GFLOP/s ({})".format(p["gflops"], p["blas"].get("openblas_core", "?")) if "error" not in p else p["error"])
        for p in peak["probes"])
    best, two = peak["best"], peak["best_2_threads"]
    unset = peak["unset_from_environment"]
    t = torch_runs[0]
    cores_in_torch = sorted({r["blas"].get("openblas_core", "none") for r in torch_runs})
    return [
        "Run of {} on {}; load average (1/5/15 min) before: {}, after: {}.".format(
            datetime.date.today().isoformat(), cpu_model(), meta["load_before"],
            "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())),
        "Data {}: {} training rows x {} features, {} classes; {} epochs per run, seconds per epoch = {}.".format(
            meta["data"], meta["rows"], meta["features"], meta["classes"], meta["epochs"],
            "best of epochs 2-{}".format(meta["epochs"]) if meta["epochs"] > 2 else "epoch 2")
        + (" QUICK CHECK: few rows and epochs; the figures only show the harness works." if meta["quick"] else "")
        + ("" if meta.get("issue_shapes", True) else " Shapes of MLP_SHAPES (--shapes), not the issue's."),
        "FMA peak (bench/fma_peak): {} GFLOP/s per core ({}, {}-byte vectors, {} accumulators; best of every "
        "width and 8-24 accumulators).".format(fma["fma_peak_gflops"], fma["isa"], fma["vector_bytes"],
                                              fma["accumulators"]),
        "Achievable peak: numpy float32 2048 x 2048 matmul, one OpenBLAS thread, {}; {}; best: {} GFLOP/s with "
        "core {}{}, at 2 threads {} GFLOP/s (OpenBLAS's scaling {:.2f}x). {}.".format(
            "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (the environment had {})".format(
                ", ".join("{}={}".format(k, v) for k, v in unset.items())) if unset else
            "no OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE in the environment",
            probes, best["gflops"], best["blas"].get("openblas_core", "?"),
            " (forced)" if best["forced"] else " (detected)", two.get("gflops", "—"),
            two["gflops"] / best["gflops"] if "gflops" in two else 0,
            "PyTorch ran with OPENBLAS_CORETYPE={}".format(best["forced"]) if best["forced"] else
            "PyTorch ran with OpenBLAS's detected core"),
        "PyTorch {} eager, BLAS_INFO={}, BLAS mapped: {}; OpenBLAS core in the torch processes: {}; ATen "
        "capabilities run: {} (each row: the faster, named in brackets).".format(
            t["torch"], t["blas_info"], ", ".join(t["blas"]["libraries"]), ", ".join(cores_in_torch),
            ", ".join(sorted({"{} ({})".format(r["aten"], r["cpu_capability"]) for r in torch_runs}))),
        "GFLOP/s: the GEMM work of an epoch (forward and weight gradient of every layer, input gradient of all but "
        "the first) over its seconds. % peak: of the sgemm above at the same thread count; % FMA: of threads x the "
        "FMA peak. 2-thread scaling: s/epoch at 1 thread / at 2; target: at least 1.6x or within 10% of "
        "OpenBLAS's scaling.",
        ""]


def warnings(meta, blas_scaling):
    """Signs that the machine was busy: then the figures, the 2-thread ones first, mean little."""
    out = []
    load_before = float(meta["load_before"].split()[0])
    if load_before > 0.5:
        out.append("WARNING: load average {:.2f} on {} logical CPUs before the run: the machine was not idle, "
                   "every figure is slowed by other work.".format(load_before, os.cpu_count()))
    if blas_scaling is not None and blas_scaling < 1.2:
        out.append("WARNING: OpenBLAS's own 2-thread scaling is {:.2f}x: the second core was busy, so the "
                   "2-thread figures and target say nothing.".format(blas_scaling))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    meta, peak, fma = load(os.path.join(out, "meta.json")), load(os.path.join(out, "peak.json")), \
        load(os.path.join(out, "fma_peak.json"))
    sgemm = {1: peak["best"]["gflops"], 2: peak["best_2_threads"].get("gflops")}
    blas_scaling = sgemm[2] / sgemm[1] if sgemm[2] else None
    torch = {n: torch_best(out, n) for n in (1, 2)}
    lines = header(meta, peak, fma, torch[1][1] + torch[2][1])
    lines[-1:-1] = warnings(meta, blas_scaling)
    lines += ["| depth x width | batch | threads | minigrad s/epoch | GFLOP/s | % peak | % FMA | PyTorch s/epoch | "
              "GFLOP/s | % peak | % FMA | PyTorch / minigrad | minigrad 2-thread scaling | PyTorch 2-thread scaling | "
              "2-thread target |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    ours = {}
    shapes = [tuple(s) for s in meta.get("shapes", ISSUE_SHAPES)]  # as the run had them
    for i, (depth, width, batch, dropout) in enumerate(shapes):
        work = gemm_flops_per_row(meta["features"], meta["classes"], depth, width) * meta["rows"] / 1e9
        name = "{} x {}{}".format(depth, width, " (dropout {})".format(dropout) if dropout else "")
        for n in (1, 2):
            ours[i, n] = best_of_epochs([e["train_seconds"] for e in load(
                os.path.join(out, "minigrad-s{}-t{}.json".format(i, n)))])
            theirs, aten = torch[n][0][i]
            g_ours, g_theirs = work / ours[i, n], work / theirs
            row = [name, batch, n, secs(ours[i, n]), "{:.0f}".format(g_ours), pct(g_ours, sgemm[n]),
                   pct(g_ours, n * fma["fma_peak_gflops"]), "{} ({})".format(secs(theirs), aten),
                   "{:.0f}".format(g_theirs), pct(g_theirs, sgemm[n]), pct(g_theirs, n * fma["fma_peak_gflops"]),
                   "{:.2f}x".format(theirs / ours[i, n])]
            if n == 2:
                s_ours, s_theirs = ours[i, 1] / ours[i, 2], torch[1][0][i][0] / theirs
                met = s_ours >= 1.6 or (blas_scaling is not None and s_ours >= 0.9 * blas_scaling)
                row += ["{:.2f}x".format(s_ours), "{:.2f}x".format(s_theirs), "met" if met else "not met"]
            else:
                row += ["", "", ""]
            lines.append("| " + " | ".join(str(c) for c in row) + " |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
