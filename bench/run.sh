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
#   bench/run.sh --shapes             # then also bench/shapes.sh (issue 9: the MLP shapes), output in OUT_DIR/shapes
#   bench/run.sh --shapes-only [--quick]   # only bench/shapes.sh (--quick: its check of the harness)
# Needs /usr/bin/python3 with numpy and torch (Debian: python3-numpy python3-torch
# libopenblas0-pthread; `tools/setup.sh --bench` installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build}
out=${OUT_DIR:-$build/bench-out}
repeats=${REPEATS:-7}
py=/usr/bin/python3  # Debian's python, where python3-torch and python3-numpy live
main=1
shapes=0
shapes_args=()
for arg in "$@"; do
  case "$arg" in
    --shapes) shapes=1 ;;
    --shapes-only) shapes=1; main=0 ;;
    --quick) shapes_args+=(--quick) ;;
    *) echo "run.sh: unknown argument '$arg' (--shapes, --shapes-only, --quick)" >&2; exit 2 ;;
  esac
done
if [ "${#shapes_args[@]}" -gt 0 ] && [ "$shapes" = 0 ]; then
  echo "run.sh: --quick applies to the shapes benchmark only: add --shapes or --shapes-only" >&2
  exit 2
fi
run_shapes() {
  [ "$shapes" = 1 ] || return 0
  echo >&2
  BUILD_DIR="$build" OUT_DIR="$out/shapes" bench/shapes.sh "${shapes_args[@]}"
}

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
if [ "$main" = 0 ]; then
  run_shapes
  exit 0
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
run_shapes
