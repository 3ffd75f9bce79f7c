#!/usr/bin/env bash
# The benchmark of issue 4 in one command: builds jit_bench (Release) if needed,
# writes the synthetic data set (fixed seed, so it is made once), runs jit_bench at
# 1 and 2 threads, fma_peak (the measured FMA roof) and bench/torch_bench.py
# (PyTorch eager and TorchScript at 1 and 2 threads, numpy's sgemm peak probes),
# and prints the markdown comparison of bench/report.py. The JSON of each part
# stays in the output folder. About 3 minutes; the machine should be otherwise idle.
#
#   bench/run.sh                      # build dir: build/, output: build/bench-out/
#   BUILD_DIR=b OUT_DIR=o REPEATS=7 bench/run.sh
# Needs /usr/bin/python3 with numpy and torch (Debian: python3-numpy python3-torch
# libopenblas0-pthread; `tools/setup.sh --bench` installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build}
out=${OUT_DIR:-$build/bench-out}
repeats=${REPEATS:-7}
py=/usr/bin/python3  # Debian's python, where python3-torch and python3-numpy live

"$py" -c 'import numpy, torch' 2>/dev/null || {
  echo "run.sh: $py cannot import numpy and torch (apt-get install python3-numpy python3-torch libopenblas0-pthread)" >&2
  exit 1
}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt")
if [ "$build_type" != "Release" ]; then
  echo "run.sh: $build is a '$build_type' build; timings need Release (BUILD_DIR=another-dir bench/run.sh)" >&2
  exit 1
fi
ninja -C "$build" -j2 jit_bench fma_peak > /dev/null

mkdir -p "$out"
[ -f "$out/data/test_label.npy" ] || "$py" bench/make_data.py "$out/data"

blas=$(update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | sed -n 's/^Value: //p')
echo "libblas.so.3 is $blas" >&2
case "$blas" in
  *openblas-pthread*) ;;
  *) echo "run.sh: warning: numpy and torch do not use OpenBLAS (pthread) here: tools/setup.sh --bench installs it" >&2 ;;
esac
for t in 1 2; do
  echo "jit_bench --threads $t ..." >&2
  "$build/bench/jit_bench" --data "$out/data" --threads "$t" --repeats "$repeats" > "$out/jit$t.json"
done
"$build/bench/fma_peak" > "$out/fma_peak.json"
echo "torch_bench ..." >&2
"$py" bench/torch_bench.py "$out/data" --threads 1,2 --repeats "$repeats" --shapes "$out/jit1.json" > "$out/torch.json"
"$py" bench/report.py "$out" | tee "$out/report.md"
