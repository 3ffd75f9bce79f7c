#!/usr/bin/env bash
# The image examples beside PyTorch 1.13 eager (issue 26): seconds per epoch of lenet
# (batch 64) and cnn (batch 128, --set channels=C) on the bundled digits (8,000 rows,
# standardised), trained by minigradc and by bench/torch_cnn.py, one thread each, run
# in turn; prints each run's JSON line and each side's mean epoch. PyTorch runs
# with OpenBLAS's SkylakeX kernels forced and OPENBLAS_L2_SIZE unset (OpenBLAS 0.3.21
# misdetects these CPUs); its convolutions are oneDNN's (mkldnn).
#
#   bench/cnn.sh [lenet|cnn] [EPOCHS] [CHANNELS]      (defaults: lenet 3 32)
#   BUILD_DIR=build bench/cnn.sh cnn 3 64
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-lenet}
epochs=${2:-3}
channels=${3:-32}
build=${BUILD_DIR:-build}
batch=64 set=()
[ "$model" = cnn ] && batch=128 set=(--set "channels=$channels")
py=/usr/bin/python3
ours=$("$build/tools/minigradc" train "$model" --data data/mnist10k --scale standard --epochs "$epochs" \
  --batch-size "$batch" "${set[@]}" --threads 1 --eval-every 1000000 --json)
echo "minigrad: $ours" | head -c 2000; echo
theirs=$(env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
  "$py" bench/torch_cnn.py "$model" data/mnist10k --epochs "$epochs" --channels "$channels")
echo "pytorch: $theirs"
"$py" - "$ours" "$theirs" <<'PY'
import json, statistics, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
m = ours["summary"]["train_seconds"] / ours["summary"]["epochs"]  # the mean epoch, as for PyTorch
t = statistics.mean(theirs["epoch_seconds"])
print(f"{theirs['model']}: minigrad {m:.3f} s/epoch, PyTorch eager {t:.3f} s/epoch: {t / m:.2f}x")
PY
