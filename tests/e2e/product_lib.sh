# Helpers for the end-to-end tests of checkpoints, eval, predict and sweeps, sourced
# after lib.sh: the Python with NumPy and PyTorch (Debian's /usr/bin/python3), the
# safetensors helper, and a small slice of the bundled digits so the runs are fast.
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
ST="$PYTHON $SOURCE_DIR/tests/e2e/safetensors_tool.py"

# small_data DIR: 1,200 training and 400 test rows of data/mnist10k, uncompressed;
# also DIR/x.npy (the raw test rows) and DIR/y.npy (their labels).
small_data() {
  mkdir -p "$1"
  "$PYTHON" - "$1" <<'PY'
import gzip, sys
import numpy as np
out = sys.argv[1]
def load(name):
    return np.load(gzip.open(f"data/mnist10k/{name}.npy.gz"))
np.save(f"{out}/train_data.npy", load("train_data")[:1200])
np.save(f"{out}/train_label.npy", load("train_label")[:1200])
np.save(f"{out}/test_data.npy", load("test_data")[:400])
np.save(f"{out}/test_label.npy", load("test_label")[:400])
np.save(f"{out}/x.npy", load("test_data")[:400])
np.save(f"{out}/y.npy", load("test_label")[:400])
PY
}

# check DESCRIPTION COMMAND...: COMMAND succeeds, else a failure is counted.
check() {
  local what="$1"; shift
  if "$@" >"$TMP/check.out" 2>&1; then echo "ok: $what"; else
    echo "FAIL: $what"; sed 's/^/    /' "$TMP/check.out"; failures=$((failures + 1)); fi
}

# json_field JSON KEY: one field of a JSON object.
json_field() { "$PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
