#!/usr/bin/env bash
# Data-parallel training and distributed sweeps under mpirun (Open MPI), on this
# machine's cores (--oversubscribe): N = 2 and 4 ranks train the model one process
# trains (sync batch norm; the seed's model and one with dropout), two runs with the
# same N are identical bit for bit, mpirun -np 1 is a plain run, --resume works with
# another N, a rank with bad data or a killed rank ends every rank (no hang), and a
# sweep over 2 ranks writes the single process's table.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/product_lib.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
MPIRUN="timeout 300 mpirun --oversubscribe"
# In the sanitized build (tools/test.sh --sanitize) the ranks run without the leak
# check: Open MPI leaves ~120 KB allocated at MPI_Finalize in libmpi and in the MCA
# components it has already unloaded (no frames to suppress by name). ASan and UBSan
# still check everything else; the other tests keep the leak check.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
CMP="$PYTHON $SOURCE_DIR/tests/e2e/mpi_compare.py"
D="$TMP/d"; small_data "$D"
# 1,200 rows in batches of 70: 17 full batches and one of 10, so shards are uneven
# (13/13/12/12 ... and 3/3/2/2 for 4 ranks).
SEED="train mlp --data $D --pca 32 --batch-size 70 --epochs 2 --quiet"
DROP="train mlp --data $D --pca 32 --batch-size 70 --epochs 2 --quiet --set width=48 --set dropout=0.3"

for model in SEED DROP; do
  T="${!model}"
  expect_ok "$MINIGRADC" $T --save "$TMP/$model.1.safetensors" --metrics "$TMP/$model.1.json"
  for n in 2 4; do
    expect_ok $MPIRUN -np $n "$MINIGRADC" $T --save "$TMP/$model.$n.safetensors" --metrics "$TMP/$model.$n.json"
    check "$model: $n ranks train the one-process model" $CMP close "$TMP/$model.1.safetensors" "$TMP/$model.1.json" \
      "$TMP/$model.$n.safetensors" "$TMP/$model.$n.json"
  done
done
expect_ok $MPIRUN -np 2 "$MINIGRADC" $DROP --save "$TMP/again.safetensors"
check "two runs over 2 ranks are identical" $ST same "$TMP/DROP.2.safetensors" "$TMP/again.safetensors"
expect_ok $MPIRUN -np 1 "$MINIGRADC" $DROP --save "$TMP/np1.safetensors"
check "mpirun -np 1 is a plain run, bit for bit" $ST same "$TMP/DROP.1.safetensors" "$TMP/np1.safetensors"
S1="${SEED/--epochs 2/--epochs 1}"
grep -q "communication: " <<<"$($MPIRUN -np 2 "$MINIGRADC" ${S1/--quiet/} 2>&1)" ||
  { echo "FAIL: no communication line"; failures=$((failures + 1)); }

# Overlapped gradient sums (overlap-all-reduce: bucketed all_reduce_start/wait,
# on a model whose gradients pass its 1 MiB threshold) give the bits of the
# blocking all_reduces, and the planned step shows the starts and waits.
WIDE="train mlp --data $D --pca 32 --batch-size 70 --epochs 1 --quiet --set depth=2 --set width=1024"
expect_ok $MPIRUN -np 2 "$MINIGRADC" $WIDE --save "$TMP/overlap.safetensors"
expect_ok $MPIRUN -np 2 "$MINIGRADC" $WIDE --disable-pass overlap-all-reduce --save "$TMP/blocking.safetensors"
check "overlapped and blocking gradient sums are identical" $ST same "$TMP/overlap.safetensors" "$TMP/blocking.safetensors"
"$MINIGRADC" dump-ir mlp --ranks 2 --set depth=2 --set width=1024 --features 32 --stage planned --no-locs >"$TMP/wide.ir"
check "dump-ir shows the starts" grep -q "all_reduce_start(.*{ranks=2, bucket=0}" "$TMP/wide.ir"
check "dump-ir shows the waits" grep -q "all_reduce_wait(.*{ranks=2, bucket=0}" "$TMP/wide.ir"
grep -q "all_reduce_wait" <<<"$($MPIRUN -np 2 "$MINIGRADC" ${WIDE/--quiet/--profile} 2>&1)" ||
  { echo "FAIL: --profile shows no all_reduce_wait row"; failures=$((failures + 1)); }

# --resume with another number of ranks: 1 epoch over 2 ranks, then on over 4.
expect_ok $MPIRUN -np 2 "$MINIGRADC" ${DROP/--epochs 2/--epochs 1} --save "$TMP/part.safetensors"
expect_ok $MPIRUN -np 4 "$MINIGRADC" train --data "$D" --resume "$TMP/part.safetensors" --epochs 2 --quiet \
  --save "$TMP/resumed.safetensors" --metrics "$TMP/resumed.json"
check "resumed over 4 ranks trains the one-process model" $CMP close "$TMP/DROP.1.safetensors" "$TMP/DROP.1.json" \
  "$TMP/resumed.safetensors" "$TMP/resumed.json"

# The IR of a rank: the gradients all-reduced before the update.
check "dump-ir --ranks shows the all_reduces" grep -q "all_reduce(.*{ranks=2}" \
  <("$MINIGRADC" dump-ir mlp --ranks 2 --stage autodiff --no-locs)

# A failing rank ends every rank with its number and reason: rank 1's data is
# missing, then different from rank 0's.
mkdir -p "$TMP/bad" "$TMP/other"; cp "$D"/test_* "$TMP/bad/"
expect_fail "rank 1 of 2: $TMP/bad" $MPIRUN -np 1 "$MINIGRADC" $SEED : -np 1 "$MINIGRADC" ${SEED/$D/$TMP/bad}
"$PYTHON" - "$D" "$TMP/other" <<'PY'
import shutil, sys
import numpy as np
src, dst = sys.argv[1:]
for name in ("train_label", "test_data", "test_label"):
    shutil.copy(f"{src}/{name}.npy", f"{dst}/{name}.npy")
x = np.load(f"{src}/train_data.npy"); x[0, 0] += 1
np.save(f"{dst}/train_data.npy", x)
PY
expect_fail "rank 1 of 2: its data" $MPIRUN -np 1 "$MINIGRADC" $SEED : -np 1 "$MINIGRADC" ${SEED/$D/$TMP/other}

# A killed rank: mpirun ends the others, it does not hang.
$MPIRUN -np 2 "$MINIGRADC" ${SEED/--epochs 2/--epochs 100000} >"$TMP/killed.log" 2>&1 &
launcher=$!  # timeout, whose child is mpirun, whose children are the ranks
ranks=""
for _ in $(seq 150); do
  mpirun_pid=$(pgrep -P "$launcher" -x mpirun || true)
  [ -n "$mpirun_pid" ] && ranks=$(pgrep -P "$mpirun_pid" -x minigradc || true)
  [ "$(wc -w <<<"$ranks")" -ge 2 ] && break
  sleep 0.2
done
sleep 3  # into training
victim=$(tail -n1 <<<"$ranks")
[ -n "$victim" ] && kill -9 "$victim"
wait "$launcher"; status=$?
if [ -z "$victim" ] || [ "$status" -eq 0 ] || [ "$status" -eq 124 ]; then
  echo "FAIL: after kill -9 of rank pid '$victim', mpirun exited $status (124: it hung until the timeout)"
  failures=$((failures + 1))
elif ! grep -q "exited on signal 9" "$TMP/killed.log"; then
  echo "FAIL: mpirun's message does not name the killed rank"; sed 's/^/    /' "$TMP/killed.log"; failures=$((failures + 1))
else
  echo "ok: killing rank pid $victim ended the run (exit $status): $(grep -m1 'exited on signal 9' "$TMP/killed.log")"
fi

# A sweep over 2 ranks: the single process's table (all but the times).
S="sweep examples/experiments/ablation.toml --data $D --override epochs=2 --override pca=32 --quiet"
expect_ok "$MINIGRADC" $S -o "$TMP/s1"
expect_ok $MPIRUN -np 2 "$MINIGRADC" $S -o "$TMP/s2"
check "a sweep over 2 ranks writes the single process's results" \
  diff <(cut -d, -f1-6 "$TMP/s1/results.csv") <(cut -d, -f1-6 "$TMP/s2/results.csv")
check "and its plot" test -s "$TMP/s2/curves.png"
finish
