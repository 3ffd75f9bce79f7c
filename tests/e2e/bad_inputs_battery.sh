#!/usr/bin/env bash
# The bad-input battery: every case runs minigradc on one bad input (a flag, a
# model parameter, a sweep file, a checkpoint's metadata, a data file, IR text, a
# model file that crashes, a model too big for memory) and asserts that it exits
# with the expected status, which is an error and not a signal (< 128), and that
# its message holds a phrase naming the file or flag and what was wrong.
# Self-contained (its own helpers, not lib.sh's).
set -u
MINIGRADC="$1"
SOURCE_DIR="$2"
TMP="$(mktemp -d)"
export MINIGRAD_CACHE_DIR="$TMP/cache"
trap 'rm -rf "$TMP"' EXIT
cd "$SOURCE_DIR"
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
failures=0 cases=0

# expect CODE PHRASE CMD...: CMD exits with status CODE and its stderr holds PHRASE.
expect() {
  local code="$1" phrase="$2"; shift 2
  local err status
  cases=$((cases + 1))
  err="$("$@" 2>&1 >/dev/null)"; status=$?
  if [ "$status" -ge 128 ]; then
    echo "FAIL: killed by signal $((status - 128)): $*"; failures=$((failures + 1))
  elif [ "$status" -ne "$code" ]; then
    echo "FAIL: exit $status, expected $code: $*"; echo "$err" | sed 's/^/    /'; failures=$((failures + 1))
  elif ! grep -qF -- "$phrase" <<<"$err"; then
    echo "FAIL: '$phrase' not in the message of: $*"; echo "$err" | sed 's/^/    /'; failures=$((failures + 1))
  else
    echo "ok: $* -> $(grep -m1 . <<<"$err")"
  fi
}

# A small data set: 300 training and 100 test rows of 8 features, 3 classes; and
# variants with one fault each.
"$PYTHON" - "$TMP" <<'PY'
import os, sys
import numpy as np
t = sys.argv[1]
rng = np.random.default_rng(0)
def split(d, x, y, tx, ty):
    os.makedirs(d, exist_ok=True)
    np.save(f"{d}/train_data.npy", x); np.save(f"{d}/train_label.npy", y)
    np.save(f"{d}/test_data.npy", tx); np.save(f"{d}/test_label.npy", ty)
x = rng.normal(size=(300, 8)).astype(np.float32); y = rng.integers(0, 3, 300).astype(np.int64)
tx = rng.normal(size=(100, 8)).astype(np.float32); ty = rng.integers(0, 3, 100).astype(np.int64)
split(f"{t}/d", x, y, tx, ty)
bad = ty.copy(); bad[17] = 57; split(f"{t}/stray", x, y, tx, bad)
neg = y.copy(); neg[3] = -2; split(f"{t}/neg", x, neg, tx, ty)
frac = y.astype(np.float64); frac[5] = 1.5; split(f"{t}/frac", x, frac, tx, ty)
nan = x.copy(); nan[7, 2] = np.nan; split(f"{t}/nan", nan, y, tx, ty)
inf = tx.copy(); inf[1, 0] = np.inf; split(f"{t}/inf", x, y, inf, ty)
split(f"{t}/feat", x, y, tx[:, :5], ty)
split(f"{t}/rows", x, y[:299], tx, ty)
split(f"{t}/rank", x.reshape(300, 2, 2, 2, 1), y, tx, ty)  # rank 5: neither rows nor images
split(f"{t}/empty", x[:0], y[:0], tx, ty)
split(f"{t}/lab2d", x, np.stack([y, y], 1), tx, ty)
split(f"{t}/strlab", x, y.astype("U2"), tx, ty)
# A header that claims 10^11 x 10^11 float32 (its bytes overflow 64 bits).
split(f"{t}/huge", x, y, tx, ty)
head = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 100000000000), }"
head += " " * (64 - (10 + len(head) + 1) % 64) + "\n"
open(f"{t}/huge/train_data.npy", "wb").write(b"\x93NUMPY\x01\x00" + len(head).to_bytes(2, "little") + head.encode())
PY
D="$TMP/d"
T0="$MINIGRADC train mlp --data $D --set width=8 --quiet"  # without --epochs
T="$T0 --epochs 1"

# ---- run flags: finite and in range, integers that fit their type ----------------
expect 1 "--lr inf: expected a finite number > 0" $T --lr inf
expect 1 "--lr nan: expected a finite number > 0" $T --lr nan
expect 1 "--lr -1: expected a finite number > 0" $T --lr -1
expect 1 "--lr 0: expected a finite number > 0" $T --lr 0
expect 1 "--lr inf: expected a finite number > 0" $T --lr 1e400
expect 1 "--momentum nan: expected a finite number >= 0 and <= 0.999999" $T --optimizer sgd --momentum nan
expect 1 "--momentum 1: expected a finite number >= 0 and <= 0.999999" $T --optimizer sgd --momentum 1
expect 1 "--momentum -0.5: expected a finite number >= 0 and <= 0.999999" $T --optimizer sgd --momentum -0.5
expect 1 "--weight-decay inf: expected a finite number >= 0" $T --weight-decay inf
expect 1 "--weight-decay nan: expected a finite number >= 0" $T --weight-decay nan
expect 1 "--weight-decay -0.001: expected a finite number >= 0" $T --weight-decay -0.001
expect 1 "--label-smoothing nan: expected a finite number >= 0 and <= 1" $T --label-smoothing nan
expect 1 "--label-smoothing 1.5: expected a finite number >= 0 and <= 1" $T --label-smoothing 1.5
expect 1 "--label-smoothing -inf: expected a finite number >= 0 and <= 1" $T --label-smoothing -inf
expect 1 "--seed -1: expected an integer >= 0 and <= 9223372036854775807" $T --seed -1
expect 105 "--seed: must be an integer from -9223372036854775808 to 9223372036854775807 (int64), got 18446744073709551615" $T --seed 18446744073709551615
expect 105 "--seed: must be an integer from -9223372036854775808 to 9223372036854775807 (int64), got 1.5" $T --seed 1.5
expect 105 "--seed: must be an integer from -9223372036854775808 to 9223372036854775807 (int64), got many" $T --seed many
expect 1 "--epochs 0: expected an integer > 0 and <= 2147483647" $T0 --epochs 0
expect 1 "--epochs -3: expected an integer > 0 and <= 2147483647" $T0 --epochs -3
expect 105 "--epochs: must be an integer from -2147483648 to 2147483647 (int), got 3000000000" $T0 --epochs 3000000000
expect 105 "--epochs: must be an integer from -2147483648 to 2147483647 (int), got 2.5" $T0 --epochs 2.5
expect 105 "--epochs: must be an integer from -2147483648 to 2147483647 (int), got inf" $T0 --epochs inf
expect 1 "--batch-size 0: expected an integer > 0 and <= 9223372036854775807" $T --batch-size 0
expect 1 "--batch-size -64: expected an integer > 0 and <= 9223372036854775807" $T --batch-size -64
expect 105 "--batch-size: must be an integer from -9223372036854775808 to 9223372036854775807 (int64), got 99999999999999999999" $T --batch-size 99999999999999999999
expect 1 "--pca -1: expected an integer >= 0 and <= 2147483647" $T --pca -1
expect 105 "--pca: must be an integer from -2147483648 to 2147483647 (int), got nan" $T --pca nan
expect 1 "--eval-batch 0: expected an integer > 0" $T --eval-batch 0
expect 1 "--eval-every -1: expected an integer > 0" $T --eval-every -1
expect 105 "--threads: must be a finite number > 0, got 0" $T --threads 0
expect 105 "--max-memory: must be a finite number > 0" $T --max-memory 0
expect 105 "--max-memory" $T --max-memory lots
expect 105 "--optimizer: rmsprop not in {adam,adamw,sgd}" $T --optimizer rmsprop
expect 105 "--scale: log not in {standard,minmax,none}" $T --scale log
expect 109 "The following argument was not expected: --frobnicate" $T --frobnicate

# ---- model parameters (--set) -----------------------------------------------------
expect 1 "model parameter dropout=nan: 'nan' is not a finite number" $T --set dropout=nan
expect 1 "model parameter dropout=inf: 'inf' is not a finite number" $T --set dropout=inf
expect 1 "model parameter dropout=1e999: '1e999' is out of the range of a double" $T --set dropout=1e999
expect 1 "model parameter width=99999999999999999999: '99999999999999999999' is out of the range of a 64-bit integer" $T --set width=99999999999999999999
expect 1 "model parameter width=1e3: '1e3' is not an integer" $T --set width=1e3
expect 1 "model parameter width=: '' is not an integer" $T --set width=
expect 1 "model parameter batchnorm=maybe: expected true or false" $T --set batchnorm=maybe
expect 1 "examples/mlp.cpp has no parameter 'colour'" $T --set colour=red
expect 1 "--set width: expected name=value" $T --set width

# ---- models that need absurd memory ------------------------------------------------
expect 1 "model mlp needs 134.2 TiB (parameters and optimiser state 16.0 TiB, intermediates 118.2 TiB), more than this machine's memory" $T --set width=99999999999
expect 1 "its biggest tensor is a value f32[64,99999999999] of 23.3 TiB at" $T --set width=99999999999
expect 1 "more than the limit of --max-memory, 1.0 MiB" $T --set width=4096 --max-memory 1MB
expect 1 "examples/mlp.cpp:22" $T --set width=4096 --max-memory 1MB
expect 0 "" $T --set width=4096 --max-memory 1GB
expect 1 "model mlp: state 0.weight f32[8,4611686018427387904] at" $T --set width=4611686018427387904
expect 1 "is too large: its bytes would not fit a 64-bit size" $T --set width=4611686018427387904
expect 1 "examples/mlp.cpp:22" $T --set width=4611686018427387904

# ---- sweep files --------------------------------------------------------------------
sweep() {  # sweep NAME SETTING: a one-run sweep of the small data with SETTING in its run
  local epochs='epochs = 1\n'
  case "$2" in epochs*) epochs='' ;; esac
  printf 'name = "%s"\n[base]\nmodel = "mlp"\ndata = "%s"\nwidth = 8\n[[runs]]\n'"$epochs"'%s\n' "$1" "$D" "$2" >"$TMP/$1.toml"
  echo "$TMP/$1.toml"
}
S="$MINIGRADC sweep -o $TMP/sweep-out"
expect 1 "lr = inf: expected a finite number > 0" $S "$(sweep lrinf 'lr = inf')"
expect 1 "lr = nan: expected a finite number > 0" $S "$(sweep lrnan 'lr = nan')"
expect 1 "momentum = nan: expected a finite number >= 0 and <= 0.999999" $S "$(sweep mom 'momentum = nan')"
expect 1 "seed = -1: expected an integer >= 0 and <= 9223372036854775807" $S "$(sweep seed 'seed = -1')"
expect 1 "epochs = 3000000000: expected an integer > 0 and <= 2147483647" $S "$(sweep ep 'epochs = 3000000000')"
expect 1 "batch_size = 2.5: expected an integer" $S "$(sweep bs 'batch_size = 2.5')"
expect 1 "label_smoothing = -inf: expected a finite number >= 0 and <= 1" $S "$(sweep ls 'label_smoothing = -inf')"
expect 1 "lr = \"fast\": expected a number" $S "$(sweep lrs 'lr = "fast"')"
expect 1 "model parameter dropout=nan: 'nan' is not a finite number" $S "$(sweep dnan 'dropout = nan')"
expect 1 "override: lr = \"inf\": expected a number" $S "$(sweep ovr 'lr = 0.01')" --override lr=inf
expect 1 "override: lr = \"1e999\": expected a number" $S "$(sweep ovr2 'lr = 0.01')" --override lr=1e999
printf 'name = "allbad"\n[base]\nmodel = "mlp"\ndata = "%s"\nepochs = 1\n[grid]\nwidth = [0, -4]\n' "$D" >"$TMP/allbad.toml"
expect 1 "every run of sweep allbad failed (no plot)" $S "$TMP/allbad.toml"
expect 1 "[2/2] width=-4:" $S "$TMP/allbad.toml"

# ---- checkpoint metadata ------------------------------------------------------------
$T --save "$TMP/m.safetensors" >/dev/null 2>&1 || { echo "FAIL: setup (train --save)"; exit 1; }
edit_meta() {  # edit_meta OUT KEY PYTHON-EXPR: a copy of m.safetensors whose JSON metadata KEY is rewritten
  "$PYTHON" - "$TMP/m.safetensors" "$1" "$2" "$3" <<'PY'
import json, struct, sys
src, out, key, expr = sys.argv[1:]
raw = open(src, "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n])
meta = json.loads(header["__metadata__"][key])
exec(expr)
header["__metadata__"][key] = json.dumps(meta)
text = json.dumps(header).encode()
text += b" " * ((8 - len(text) % 8) % 8)
open(out, "wb").write(struct.pack("<Q", len(text)) + text + raw[8 + n:])
for ext in ("train.safetensors",):
    pass
PY
  cp "$TMP/m.train.safetensors" "${1%.safetensors}.train.safetensors"
}
E="$MINIGRADC eval --data $D --load"
edit_meta "$TMP/c1.safetensors" minigrad.config 'meta["lr"] = -1.0'
expect 1 "c1.safetensors: lr = -1: expected a finite number > 0" $E "$TMP/c1.safetensors"
edit_meta "$TMP/c2.safetensors" minigrad.config 'meta["seed"] = -7'
expect 1 "c2.safetensors: seed = -7: expected an integer >= 0" $E "$TMP/c2.safetensors"
edit_meta "$TMP/c3.safetensors" minigrad.config 'meta["epochs"] = 10**12'
expect 1 "c3.safetensors: epochs = 1000000000000: expected an integer > 0 and <= 2147483647" $E "$TMP/c3.safetensors"
edit_meta "$TMP/c4.safetensors" minigrad.config 'meta["momentum"] = 1e308 * 10'
expect 1 "c4.safetensors" $E "$TMP/c4.safetensors"
edit_meta "$TMP/c5.safetensors" minigrad.shape 'meta["num_classes"] = 2**40'
expect 1 "c5.safetensors: minigrad.shape: num_classes = 1099511627776: expected an integer >= 1 and <= 2147483647" $E "$TMP/c5.safetensors"
edit_meta "$TMP/c6.safetensors" minigrad.shape 'meta["in_features"] = -8'
expect 1 "c6.safetensors: minigrad.shape: in_features = -8: expected an integer >= 1" $E "$TMP/c6.safetensors"
edit_meta "$TMP/c7.safetensors" minigrad.progress 'meta["epoch"] = 2**35'
expect 1 "c7.safetensors: minigrad.progress: epoch = 34359738368: expected an integer >= 0" $E "$TMP/c7.safetensors"
edit_meta "$TMP/c8.safetensors" minigrad.preprocessing 'meta["scale_params"]["divisor"][0] = 0'
expect 1 "c8.safetensors: preprocessing divides by zero" $E "$TMP/c8.safetensors"
expect 1 "--lr nan: expected a finite number > 0" $T0 --resume "$TMP/m.safetensors" --lr nan --epochs 2

# ---- data files ---------------------------------------------------------------------
TD="$MINIGRADC train mlp --epochs 1 --set width=8 --quiet --data"
expect 1 "stray/test_label.npy: row 17: label 57 is not a class of the model (3 classes" $TD "$TMP/stray"
expect 1 "from the largest label of $TMP/stray/train_label.npy" $TD "$TMP/stray"
expect 1 "neg/train_label.npy: row 3: label -2 is negative" $TD "$TMP/neg"
expect 1 "frac/train_label.npy: row 5: label 1.5 is not an integer" $TD "$TMP/frac"
expect 1 "nan/train_data.npy: row 7, column 2: value nan is not finite" $TD "$TMP/nan"
expect 1 "inf/test_data.npy: row 1, column 0: value inf is not finite" $TD "$TMP/inf"
expect 1 "feat/test_data.npy: 5 features, but" $TD "$TMP/feat"
expect 1 "rows/train_label.npy: 299 labels, but" $TD "$TMP/rows"
expect 1 "rank/train_data.npy: expected an array of rank 2 or 3 or 4" $TD "$TMP/rank"
expect 1 "empty/train_data.npy: empty split" $TD "$TMP/empty"
expect 1 "lab2d/train_label.npy: labels must be shaped (N) or (N, 1)" $TD "$TMP/lab2d"
expect 1 "strlab/train_label.npy" $TD "$TMP/strlab"
expect 1 "huge/train_data.npy: shape (100000000000, 100000000000) is too large: its bytes would not fit a 64-bit size" $TD "$TMP/huge"
expect 1 "nowhere: not a data directory" $TD "$TMP/nowhere"

# ---- --num-classes: the classes of the model; labels and checkpoints must agree -----
expect 1 "stray/test_label.npy: row 17: label 57 is not a class of the model (3 classes, 0..2, as --num-classes gives)" \
  $TD "$TMP/stray" --num-classes 3
expect 1 "d/train_label.npy: row 1: label 2 is not a class of the model (2 classes, 0..1, as --num-classes gives)" \
  $TD "$D" --num-classes 2
expect 1 "--num-classes -1: expected an integer >= 0 and <= 2147483647" $TD "$D" --num-classes -1
expect 105 "--num-classes: must be an integer from -2147483648 to 2147483647 (int), got 99999999999" $TD "$D" --num-classes 99999999999
expect 1 "num_classes = -3: expected an integer >= 0" $S "$(sweep nc 'num_classes = -3')"
expect 1 "--num-classes 4: the model of $TMP/m.safetensors has 3 classes" $TD "$D" --init "$TMP/m.safetensors" --num-classes 4
expect 1 "--num-classes 5: the model of $TMP/m.safetensors has 3 classes" $E "$TMP/m.safetensors" --num-classes 5
expect 1 "--num-classes 7: the model of $TMP/m.safetensors has 3 classes" $T0 --resume "$TMP/m.safetensors" --epochs 2 --num-classes 7

# ---- IR text ------------------------------------------------------------------------
ir() {  # ir NAME TYPE: IR text whose function takes and returns a value of TYPE
  printf 'module @m {\n  func @f {\n    %%x: %s = input {name="x"}\n    %%y: %s = exp(%%x)\n    output(%%y) {name="y"}\n  }\n}\n' "$2" "$2" >"$TMP/$1.mgir"
  echo "$TMP/$1.mgir"
}
expect 1 "huge.mgir:3:12: f32[100000000000,100000000000] is too large: its bytes would not fit a 64-bit size" \
  "$MINIGRADC" opt "$(ir huge 'f32[100000000000,100000000000]')"
expect 1 "f64[2305843009213693952] is too large: its bytes would not fit a 64-bit size" "$MINIGRADC" opt "$(ir wide 'f64[2305843009213693952]')"
expect 1 "extents must be >= 1" "$MINIGRADC" opt "$(ir zero 'f32[4,0]')"

# ---- model files whose code faults --------------------------------------------------
model() {  # model NAME BODY: a model file whose MINIGRAD_MODEL body is BODY
  printf '#include <csignal>\n#include <cstdlib>\n#include "frontend/dsl.h"\nusing namespace minigrad;\n%s\n' "$2" >"$TMP/$1.cpp"
  echo "$TMP/$1.cpp"
}
M="--data $D --epochs 1 --quiet"
expect 1 "null.cpp crashed (SIGSEGV) while building the model" "$MINIGRADC" train \
  "$(model null 'MINIGRAD_MODEL(args) { volatile int* p = nullptr; *p = 1; return nn::Linear(args.in_features, args.num_classes); }')" $M
expect 1 "fwd.cpp crashed (SIGSEGV) while tracing the model" "$MINIGRADC" train "$(model fwd '
struct Bad : nn::Module {
  Tensor forward(const Tensor& x) override { volatile int* p = nullptr; *p = 2; return x; }
  std::string describe() const override { return "Bad"; }
};
MINIGRAD_MODEL(args) { return nn::Sequential{nn::Linear(args.in_features, args.num_classes), Bad()}; }')" $M
expect 1 "abort.cpp crashed (SIGABRT) while building the model" "$MINIGRADC" train \
  "$(model abort 'MINIGRAD_MODEL(args) { std::abort(); }')" $M
expect 1 "fpe.cpp crashed (SIGFPE) while building the model" "$MINIGRADC" train \
  "$(model fpe 'MINIGRAD_MODEL(args) { std::raise(SIGFPE); return nn::Linear(args.in_features, args.num_classes); }')" $M
expect 1 "quits.cpp ended the process itself (exit status 3) while building the model" "$MINIGRADC" train \
  "$(model quits 'MINIGRAD_MODEL(args) { std::exit(3); }')" $M
# exit status 0 must only ever mean the work was done (issue 31)
expect 1 "quits0.cpp ended the process itself (exit status 0) while building the model" "$MINIGRADC" train \
  "$(model quits0 'MINIGRAD_MODEL(args) { std::exit(0); }')" $M
expect 1 "static_throw.cpp: cannot load its compiled object: boom in a static initializer" \
  "$MINIGRADC" train "$(model static_throw '#include <stdexcept>
static int boom = [] { throw std::runtime_error("boom in a static initializer"); return 0; }();
MINIGRAD_MODEL(args) { return nn::Linear(args.in_features, args.num_classes); }')" $M
expect 1 "index.cpp failed while building the model" "$MINIGRADC" train "$(model index '
#include <vector>
MINIGRAD_MODEL(args) { std::vector<int64_t> w{4}; return nn::Linear(args.in_features, w.at(5)); }')" $M
expect 1 "null.cpp crashed (SIGSEGV) while building the model" "$MINIGRADC" dump-ir "$TMP/null.cpp" --features 8 --classes 3
check_nothing_written() {
  cases=$((cases + 1))
  "$MINIGRADC" train "$TMP/null.cpp" $M --save "$TMP/half.safetensors" --metrics "$TMP/half.csv" >/dev/null 2>&1
  if [ -e "$TMP/half.safetensors" ] || [ -e "$TMP/half.csv" ]; then
    echo "FAIL: a crashed model file left files behind"; failures=$((failures + 1))
  else echo "ok: a crashed model file leaves no checkpoint or metrics behind"; fi
}
check_nothing_written

# ---- output paths that are not regular files (issue 31) -----------------------------
# A symlink is written through to its target and stays a link; a FIFO, a device or a
# directory is refused, naming the flag and the path, before anything is trained.
# The device is reached only through a symlink: a minigradc without the check would
# replace the link, not /dev/null (as root it replaced the node itself).
check_save_through_symlink() {
  cases=$((cases + 1))
  mkdir -p "$TMP/real" && : >"$TMP/real/ckpt.safetensors" && ln -sf "$TMP/real/ckpt.safetensors" "$TMP/link.safetensors"
  ln -sf "$TMP/real/m.csv" "$TMP/m-link.csv"
  $T --save "$TMP/link.safetensors" --metrics "$TMP/m-link.csv" >/dev/null 2>&1
  if [ -L "$TMP/link.safetensors" ] && [ -s "$TMP/real/ckpt.safetensors" ] && [ -L "$TMP/m-link.csv" ] &&
    [ -s "$TMP/real/m.csv" ] && "$MINIGRADC" eval --data "$D" --load "$TMP/link.safetensors" >/dev/null 2>&1; then
    echo "ok: --save and --metrics through a symlink write its target and keep the link"
  else echo "FAIL: --save or --metrics through a symlink did not write its target"; failures=$((failures + 1)); fi
}
check_save_through_symlink
mkfifo "$TMP/fifo.safetensors" "$TMP/fifo.csv"
mkdir -p "$TMP/dir.safetensors" "$TMP/dir.npy"
expect 1 "--save $TMP/fifo.safetensors: cannot write: it is a FIFO (named pipe), not a regular file" $T --save "$TMP/fifo.safetensors"
expect 1 "--save $TMP/dir.safetensors: cannot write: it is a directory, not a regular file" $T --save "$TMP/dir.safetensors"
ln -sf /dev/null "$TMP/null-link.safetensors"
expect 1 "it is a character device (the symlink's target /dev/null), not a regular file" $T --save "$TMP/null-link.safetensors"
expect 1 "--metrics $TMP/fifo.csv: cannot write: it is a FIFO (named pipe), not a regular file" $T --metrics "$TMP/fifo.csv"
mkfifo "$TMP/fifo.svg"
expect 1 "--plot $TMP/fifo.svg: cannot write: it is a FIFO (named pipe), not a regular file" $T --plot "$TMP/fifo.svg"
mkdir -p "$TMP/st" && mkfifo "$TMP/st/c.train.safetensors"
expect 1 "--save's resume state $TMP/st/c.train.safetensors: cannot write: it is a FIFO" $T --save "$TMP/st/c.safetensors"
"$MINIGRADC" train mlp --data "$D" --set width=8 --epochs 1 --quiet --save "$TMP/p.safetensors" >/dev/null 2>&1
expect 1 "--output $TMP/dir.npy: cannot write: it is a directory" "$MINIGRADC" predict --load "$TMP/p.safetensors" \
  --input "$D/test_data.npy" --output "$TMP/dir.npy"
mkdir -p "$TMP/aot" && ln -sf /dev/null "$TMP/aot/mlp.h"
expect 1 "compile -o $TMP/aot/mlp.h: cannot write: it is a character device" "$MINIGRADC" compile mlp --features 8 \
  --classes 3 --set width=8 -o "$TMP/aot"
expect 1 "$TMP/dir.npy: cannot write: it is a directory" "$MINIGRADC" dump-ir mlp --features 8 --classes 3 -o "$TMP/dir.npy"

# ---- target features LLVM does not know (issue 31): an error, not LLVM's warning ---------
DI="$MINIGRADC dump-ir mlp --features 8 --classes 3 --stage asm"
expect 1 "--target-features +nonsense: 'nonsense' is not a feature LLVM knows for x86_64" $DI --target x86_64-linux-gnu --target-features +nonsense
expect 1 "--target-features +sve,+nonsense: 'nonsense' is not a feature LLVM knows for aarch64" $DI --target aarch64-linux-gnu --target-features +sve,+nonsense
expect 1 "--target-features avx2: 'avx2' must be +feature (add) or -feature (remove)" $DI --target x86_64-linux-gnu --target-features avx2
expect 1 "--target-features -nonsense: 'nonsense' is not a feature LLVM knows" "$MINIGRADC" compile mlp --features 8 --classes 3 \
  --target x86_64-linux-gnu --target-features -nonsense -o "$TMP/aot-features"
expect 1 "train --target-features: the JIT runs code on this machine only" $T --target-features +nonsense

# ---- a damaged object cache heals itself (issue 31) -------------------------------
# Every entry is truncated or has a byte changed: the run warns once per entry,
# naming it, compiles again and succeeds with the same result; the next run is silent.
check_object_cache_heals() {
  cases=$((cases + 1))
  local dir="$TMP/heal-cache/jit" first second third n=0 f
  export MINIGRAD_CACHE_DIR="$TMP/heal-cache"  # this check's own, so every entry is this run's
  first="$($T --seed 3 2>/dev/null | tail -1)"
  for f in "$dir"/*.o; do
    n=$((n + 1))
    if [ $((n % 2)) -eq 0 ]; then truncate -s 10 "$f"; else printf 'XX' | dd of="$f" bs=1 seek=300 conv=notrunc 2>/dev/null; fi
  done
  second="$($T --seed 3 2>"$TMP/heal.err" | tail -1)" && third="$($T --seed 3 2>&1 | tail -1)"
  if [ "$n" -gt 0 ] && [ "$(grep -c 'warning: object cache entry .*/jit/.*\.o is damaged' "$TMP/heal.err")" -eq "$n" ] &&
    [ "${second% s training*}" = "${first% s training*}" ] && [ "${third% s training*}" = "${first% s training*}" ]; then
    echo "ok: $n damaged object cache entries were reported once each, removed and rebuilt"
  else
    echo "FAIL: a damaged object cache did not heal ($n entries)"; sed 's/^/    /' "$TMP/heal.err"; failures=$((failures + 1))
  fi
  export MINIGRAD_CACHE_DIR="$TMP/cache"
}
check_object_cache_heals

echo "$cases cases"
if [ "$failures" -ne 0 ]; then echo "$failures case(s) failed"; exit 1; fi
echo "all cases passed"
