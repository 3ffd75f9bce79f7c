#!/usr/bin/env bash
# Checkpoints survive SIGKILL: a `train --save-every 1` run is killed 20 times at
# random moments once it is training (after its first save, a random 0-0.5 s: a
# save takes a good part of each short epoch, so many kills land in one); after
# each kill the checkpoint left behind loads (eval) and --resume goes on from it
# by one epoch.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/product_lib.sh"
D="$TMP/d"; small_data "$D"
C="$TMP/k.safetensors"
T=("$MINIGRADC" train mlp --data "$D" --pca 16 --batch-size 100 --set width=16 --save "$C" --save-every 1 --quiet)

RANDOM=7  # the same moments each run
kills=0 checked=0
mtime() { stat -c %y "$C" 2>/dev/null || echo none; }
for i in $(seq 1 20); do
  before="$(mtime)"
  if [ -f "$C" ]; then
    "${T[@]}" --epochs 100000 --resume "$C" >/dev/null 2>&1 &
  else
    "${T[@]}" --epochs 100000 >/dev/null 2>&1 &
  fi
  pid=$!
  for _ in $(seq 1 2400); do  # until the run has saved once (at most 2 minutes)
    [ "$(mtime)" != "$before" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  sleep "0.$(printf '%03d' $((RANDOM % 500)))"
  kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
  wait "$pid" 2>/dev/null
  [ -f "$C" ] || { echo "kill $i: no checkpoint yet"; continue; }
  epoch="$("$PYTHON" -c "
import json, struct, sys
f = open(sys.argv[1], 'rb'); n = struct.unpack('<Q', f.read(8))[0]
print(json.loads(json.loads(f.read(n))['__metadata__']['minigrad.progress'])['epoch'])" "$C" 2>&1)"
  expect_ok "$MINIGRADC" eval --data "$D" --load "$C"
  expect_ok "${T[@]}" --resume "$C" --epochs "$((epoch + 1))"
  checked=$((checked + 1))
done
echo "$kills kills, $checked checkpoints loaded and resumed"
[ "$kills" -eq 20 ] && [ "$checked" -eq 20 ] ||
  { echo "FAIL: 20 kills and 20 checkpoints checked expected"; failures=$((failures + 1)); }
finish
