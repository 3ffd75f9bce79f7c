#!/usr/bin/env bash
# The benchmark of issue 9 in one command: the five MLP shapes of the issue (examples/mlp.cpp
# with BatchNorm + LeakyReLU per hidden layer, Adam, label smoothing 0.3) on the bundled digits
# (data/mnist10k: 8,000 rows x 784 raw pixels, standardised, no PCA), trained by minigradc and
# by PyTorch 1.13 eager (bench/torch_shapes.py) at 1 and 2 threads, beside the FMA peak
# (bench/fma_peak) and the best OpenBLAS sgemm this machine gets (numpy 2048^2 with the core
# OpenBLAS detects and with SkylakeX and Haswell forced; PyTorch runs with the best). Prints
# one markdown table (bench/shapes_report.py) and leaves it and every part's JSON in OUT_DIR.
# Several minutes on an idle machine (the 4 x 2048 shape dominates); run it on an idle one.
#
#   bench/shapes.sh [--quick] [--epochs N] [--data DIR] [--shapes "DxWxB[xP] ..."]
#   BUILD_DIR=build OUT_DIR=build/bench-out/shapes TORCH_ATEN="default avx512" bench/shapes.sh
#
# --epochs N  epochs per run (default 3; at least 2): seconds per epoch = best of epochs 2..N
# --quick     checks the harness: the first 1,024 training rows, 2 epochs (figures meaningless)
# --shapes S  other shapes than the issue's, to check shapes nobody listed: depth x width x
#             batch [x dropout] each, e.g. "3x1000x250x0.2 2x500x100" (MLP_SHAPES, torch_shapes.py)
# TORCH_ATEN  the ATen CPU capabilities PyTorch runs with (ATEN_CPU_CAPABILITY; "default" is
#             PyTorch's own choice); each row takes the faster. Default: "default", plus
#             "avx512" where the CPU has AVX-512 (PyTorch 1.13 picks AVX2 on some such CPUs).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '11,21s/^# \{0,1\}//p' "$0"; }
build=${BUILD_DIR:-build}
out=${OUT_DIR:-$build/bench-out/shapes}
data=data/mnist10k
epochs=3
quick=0
epochs_given=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --epochs)
      [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -ge 2 ] ||
        { echo "shapes.sh: --epochs needs a number of epochs >= 2 (epoch 1 is the warm-up)" >&2; exit 2; }
      epochs=$2; epochs_given=1; shift ;;
    --data)
      [ $# -ge 2 ] && [ -d "$2" ] || { echo "shapes.sh: --data needs an existing data directory" >&2; exit 2; }
      data=$2; shift ;;
    --shapes)
      [ $# -ge 2 ] || { echo "shapes.sh: --shapes needs a list of shapes, e.g. \"3x1000x250x0.2 2x500x100\"" >&2; exit 2; }
      export MLP_SHAPES=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "shapes.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

py=/usr/bin/python3  # Debian's python, where python3-torch and python3-numpy live
"$py" -c 'import numpy, torch' 2>/dev/null || {
  echo "shapes.sh: $py cannot import numpy and torch (apt-get install python3-numpy python3-torch libopenblas0-pthread)" >&2
  exit 1
}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt")
if [ "$build_type" != "Release" ]; then
  echo "shapes.sh: $build is a '$build_type' build; timings need Release (BUILD_DIR=another-dir bench/shapes.sh)" >&2
  exit 1
fi
"$py" bench/torch_shapes.py list > /dev/null  # a bad --shapes stops here, before anything runs
ninja -C "$build" -j2 minigradc fma_peak > /dev/null

mkdir -p "$out"
rm -f "$out"/minigrad-s*-t*.json "$out"/torch-t*.json "$out"/report.md
if [ "$quick" = 1 ]; then
  "$py" bench/torch_shapes.py subset "$data" "$out/data-quick" 1024 256
  data=$out/data-quick
  [ "$epochs_given" = 1 ] || epochs=2
fi
quick_flag=(); [ "$quick" = 1 ] && quick_flag=(--quick)
"$py" bench/torch_shapes.py meta "$data" --epochs "$epochs" "${quick_flag[@]}" > "$out/meta.json"

# PyTorch must run on OpenBLAS (pthread), the reference the issue measures against.
"$py" bench/torch_shapes.py blas-check

echo "fma_peak ..." >&2
"$build/bench/fma_peak" > "$out/fma_peak.json"
echo "OpenBLAS sgemm peak per core type (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset) ..." >&2
"$py" bench/torch_shapes.py peak > "$out/peak.json"
core=$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["best"]["forced"] or "")' "$out/peak.json")
echo "best sgemm: ${core:-the core OpenBLAS detects}" >&2

shapes=$("$py" bench/torch_shapes.py list)
i=0
while read -r depth width batch dropout; do
  for t in 1 2; do
    echo "minigrad ${depth}x${width} batch $batch, $t thread(s) ..." >&2
    "$build/tools/minigradc" train mlp --data "$data" --scale standard --epochs "$epochs" --threads "$t" \
      --batch-size "$batch" --set depth="$depth" --set width="$width" --set dropout="$dropout" \
      --set batchnorm=true --set activation=leaky_relu --eval-every 1000000 --quiet \
      --metrics "$out/minigrad-s$i-t$t.json" > /dev/null
  done
  i=$((i + 1))
done <<< "$shapes"

if [ -z "${TORCH_ATEN+x}" ]; then
  TORCH_ATEN=default
  flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
  [[ " $flags " == *" avx512f "* && " $flags " == *" avx512bw "* && " $flags " == *" avx512dq "* &&
     " $flags " == *" avx512vl "* ]] && TORCH_ATEN="default avx512"
fi
for t in 1 2; do
  for aten in $TORCH_ATEN; do
    echo "PyTorch, $t thread(s), ATen capability $aten ..." >&2
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE -u ATEN_CPU_CAPABILITY ${core:+OPENBLAS_CORETYPE=$core} \
      $([ "$aten" = default ] || echo "ATEN_CPU_CAPABILITY=$aten") \
      OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" MKL_NUM_THREADS="$t" \
      MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824 \
      "$py" bench/torch_shapes.py train "$data" --threads "$t" --epochs "$epochs" > "$out/torch-t$t-$aten.json"
  done
done
"$py" bench/shapes_report.py "$out" | tee "$out/report.md"
