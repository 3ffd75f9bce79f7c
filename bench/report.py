#!/usr/bin/python3
"""Turns the JSON of one bench/run.sh run into the markdown comparison: the machine
and BLAS, minigrad beside PyTorch per measure and thread count with the ratios
(PyTorch time / minigrad time: above 1, minigrad is faster), the GEMMs of the
model's shapes as a share of the measured single-core peaks (FMA throughput,
numpy's sgemm), and the targets
of issue 4 with met or not met.

    bench/report.py OUT_DIR     (reads jit1.json, jit2.json, fma_peak.json, torch.json)
"""
import datetime
import json
import os
import platform
import sys

TARGETS = [  # (what, measured value's key in the 1-thread minigrad run, limit, unit scale, unit)
    ("train step at batch 64, one core", "step_us", 60, 1, "us"),
    ("inference over 10,000 rows, one core", "infer_seconds", 4, 1e3, "ms"),
    ("compile of the whole model (cold: object cache off)", "compile_seconds_cold", 300, 1e3, "ms"),
    ("100-epoch run, cold compile included, one core", "full_run_seconds_cold", 6, 1, "s"),
]


def load(out, name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)


def cpu_model():
    fields = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    return "{} (family {}, model {}), {} logical CPUs".format(
        fields.get("model name", "?"), fields.get("cpu family", "?"), fields.get("model", "?"), os.cpu_count())


def ratio(theirs, ours):
    return "{:.1f}x".format(theirs / ours) if theirs and ours else "—"


def speed_rows(jit, torch_runs):
    """Rows (measure, threads, minigrad, eager, script, eager/minigrad, script/minigrad)."""
    measures = [("train step (us)", "step_us", 1), ("epoch, 50,000 rows (s)", "epoch_seconds", 1),
                ("inference, 10,000 rows (ms)", "infer_seconds", 1e3)]
    rows = []
    for label, key, scale in measures:
        for j, t in zip(jit, torch_runs):
            ours, eager, script = j[key] * scale, t["eager"][key] * scale, t["script"][key] * scale
            rows.append((label, j["threads"], ours, eager, script, ratio(eager, ours), ratio(script, ours)))
    for j in jit:
        rows.append(("inference, eval step alone (ms)", j["threads"], j["infer_step_seconds"] * 1e3, None, None, "", ""))
    t0 = torch_runs[0]
    rows.append(("compile, cold (ms)", 1, jit[0]["compile_seconds_cold"] * 1e3, None,
                 t0["script"]["script_seconds"] * 1e3, "", ratio(t0["script"]["script_seconds"], jit[0]["compile_seconds_cold"])))
    rows.append(("compile, warm: disk object cache (ms)", 1, jit[0]["compile_seconds_warm"] * 1e3, None, None, "", ""))
    for j, t in zip(jit, torch_runs):
        if "full_run_seconds_cold" in j:
            est = [100 * t[m]["epoch_seconds"] + 100 * t[m]["infer_seconds"] for m in ("eager", "script")]
            rows.append(("100 epochs + 100 evaluations (s; PyTorch: estimate)", j["threads"], j["full_run_seconds_cold"],
                         est[0], est[1], ratio(est[0], j["full_run_seconds_cold"]), ratio(est[1], j["full_run_seconds_cold"])))
    return rows


def fmt(v):
    if v is None:
        return "—"
    return "{:.0f}".format(v) if v >= 100 else "{:.3g}".format(v)


def speed_table(jit, torch_runs):
    lines = ["| measure | threads | minigrad | PyTorch eager | PyTorch TorchScript | eager / minigrad | script / minigrad |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, threads, ours, eager, script, r1, r2 in speed_rows(jit, torch_runs):
        lines.append("| {} | {} | {} | {} | {} | {} | {} |".format(label, threads, fmt(ours), fmt(eager), fmt(script), r1, r2))
    return lines


def gemm_table(jit, fma, probe, probe512):
    peak, core = probe["peak_sgemm_2048_gflops"], probe["blas"].get("openblas_core", "?")
    peak512, core512 = probe512["peak_sgemm_2048_gflops"], probe512["blas"].get("openblas_core", "?")
    lines = ["Single-core peaks measured in this run: numpy float32 2048 x 2048 matmul with one OpenBLAS thread "
             "{:.1f} GFLOP/s with the kernels OpenBLAS picks for this CPU ({}), {:.1f} GFLOP/s with its AVX-512 "
             "kernels ({}); the {} FMA throughput (bench/fma_peak) {:.1f} GFLOP/s.".format(
                 peak, core, peak512, core512, fma["isa"], fma["fma_peak_gflops"]),
             "",
             "| GEMM (one thread) | minigrad GFLOP/s | % of FMA peak | % of sgemm peak ({}) | % of sgemm peak ({}) "
             "| numpy/OpenBLAS {} GFLOP/s | numpy/OpenBLAS {} GFLOP/s |".format(core, core512, core, core512),
             "|---|---:|---:|---:|---:|---:|---:|"]
    theirs = {g["name"]: g["gflops"] for g in probe["gemm"]}
    theirs512 = {g["name"]: g["gflops"] for g in probe512["gemm"]}
    for g in jit["gemm"]:
        lines.append("| {} | {:.1f} | {:.0f}% | {:.0f}% | {:.0f}% | {} | {} |".format(
            g["name"], g["gflops"], 100 * g["gflops"] / fma["fma_peak_gflops"], 100 * g["gflops"] / peak,
            100 * g["gflops"] / peak512, theirs.get(g["name"], "—"), theirs512.get(g["name"], "—")))
    return lines


def target_table(jit1):
    lines = ["| target (issue 4) | limit | measured | |", "|---|---:|---:|---|"]
    for what, key, limit, scale, unit in TARGETS:
        if key not in jit1:
            lines.append("| {} | {} {} | not run | |".format(what, limit, unit))
            continue
        v = jit1[key] * scale
        lines.append("| {} | {} {} | {} {} | {} |".format(what, limit, unit, fmt(v), unit, "met" if v <= limit else "not met"))
    return lines


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    jit = [load(out, "jit1.json"), load(out, "jit2.json")]
    t = load(out, "torch.json")
    blas = t["runs"][0]["blas"]
    lines = ["Run of {} on {}; {} cores shared, load average (1/5/15 min) at the end: {}.".format(
                 datetime.date.today().isoformat(), cpu_model(), os.cpu_count(), "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())),
             "PyTorch {} and numpy {} ({}), BLAS: {} (OpenBLAS kernels: {}); torch malloc: {}.".format(
                 t["runs"][0]["torch"], t["probe"]["numpy"], platform.python_version(), ", ".join(blas["libraries"]),
                 blas.get("openblas_core", "?"), t["malloc"]),
             "Medians of repeats. Ratios are PyTorch time / minigrad time (above 1: minigrad is faster).", ""]
    lines += speed_table(jit, t["runs"]) + [""]
    lines += gemm_table(jit[0], load(out, "fma_peak.json"), t["probe"], t["probe_avx512"]) + [""]
    lines += target_table(jit[0])
    print("\n".join(lines))


if __name__ == "__main__":
    main()
