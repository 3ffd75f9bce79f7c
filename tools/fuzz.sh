#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz in the instrumented build (build-asan/,
# tools/asan_build.sh: clang-19, AddressSanitizer, UndefinedBehaviorSanitizer), only
# they and the libraries they link unless the sanitized suite built the rest, and
# runs each for SECONDS (default 30) from its committed corpus (tests/fuzz/corpus/NAME;
# new inputs go to build-asan/fuzz/corpus/NAME, the committed corpus is only read).
# Prints each target's executions; exits non-zero if any target found a crash, a
# sanitizer report or a leak (the input is kept in build-asan/fuzz/artifacts/NAME/:
# fix the bug, then add it to the corpus as regress-*).
# The targets run side by side, one per core (FUZZ_JOBS to change it).
#   tools/fuzz.sh [SECONDS] [TARGET...]      targets: npy safetensors ir sweep predict_input set
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(npy safetensors ir sweep predict_input set)

tools/asan_build.sh "${targets[@]/#/fuzz_}"
out=build-asan/fuzz
bin=build-asan/tests/fuzz

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
# One libFuzzer process per core (FUZZ_JOBS, default nproc): each target still runs
# SECONDS on its own core, the whole run takes SECONDS x ceil(targets / jobs).
fuzz_one() {
  local t="$1"
  mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
  local status=0
  "$bin/fuzz_$t" "$out/corpus/$t" "tests/fuzz/corpus/$t" -max_total_time="$seconds" \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/$t/" -rss_limit_mb=4096 -timeout=20 \
    > "$out/fuzz_$t.log" 2>&1 || status=$?
  echo "$status" > "$out/fuzz_$t.status"
}
jobs="${FUZZ_JOBS:-$(nproc)}"
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  fuzz_one "$t" &
done
wait

found=0
for t in "${targets[@]}"; do
  log="$out/fuzz_$t.log"
  status="$(cat "$out/fuzz_$t.status")"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
  if [ "$status" -ne 0 ]; then
    found=1
    echo "fuzz_$t: FOUND A BUG after ${runs:-?} executions (exit $status); input in $out/artifacts/$t/, log $log:"
    grep -E "ERROR|runtime error|SUMMARY|terminate|Test unit written" "$log" | head -n 12 | sed 's/^/    /'
  else
    echo "fuzz_$t: ${runs:-?} executions in ${seconds} s, nothing found"
  fi
done
exit "$found"
