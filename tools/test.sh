#!/usr/bin/env bash
# The tests. With no argument: the normal suite (the quick loop a contributor runs).
#   tools/test.sh              the normal suite only (build/): sets up and builds
#   tools/test.sh --plain      (tools/setup.sh) and runs the whole CTest suite, the fuzz
#                              targets' corpora included, replayed once
#   tools/test.sh --all        everything CI runs (.ci/run): the normal suite, the sanitized
#                              suite, each fuzz target for 30 s, then the AArch64 subset
#                              under qemu (tools/test_aarch64.sh --ci)
#   tools/test.sh --sanitize   the sanitized suite only (build-asan/, clang-19 with ASan and
#                              UBSan: every library, tool and test instrumented, and the model
#                              files they compile; not the JIT's generated code). It runs
#                              every test but those labelled "long" (tests/e2e/CMakeLists.txt
#                              says why each is left out and what covers its code instead),
#                              one process per GoogleTest program
#   tools/test.sh --fuzz [S]   the fuzz targets only, S seconds each (tools/fuzz.sh)
#   tools/test.sh --aarch64    the suite cross-compiled for AArch64 (build-aarch64/) and run
#                              under qemu-user (tools/test_aarch64.sh)
# The wall time of each part, from a clean clone with an empty compiler cache, is in the
# README ("Tests").
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:---plain}"
jobs="$(nproc)"

plain() {
  tools/setup.sh
  ctest --test-dir build --output-on-failure -j "$jobs"
}

sanitized() {
  tools/setup.sh --no-build
  tools/asan_build.sh
  # Any finding fails its test: UBSan stops at the first (-fno-sanitize-recover), ASan
  # and LeakSanitizer exit non-zero; no suppressions. The model files compiled at run
  # time go to their own cache (their flags differ from the normal build's).
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:check_initialization_order=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" -LE long
}

# timed NAME COMMAND...: runs COMMAND, then says how long the part NAME took.
timed() {
  local name="$1" start=$SECONDS
  shift
  "$@"
  echo "test.sh: $name took $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s"
}

case "$mode" in
  --all) timed "the normal suite" plain; timed "the sanitized suite" sanitized
         timed "fuzzing" tools/fuzz.sh 30; timed "the AArch64 subset" tools/test_aarch64.sh --ci ;;
  --plain) plain ;;
  --sanitize) sanitized ;;
  --fuzz) tools/setup.sh --no-build; tools/fuzz.sh "${2:-30}" ;;
  --aarch64) shift; tools/test_aarch64.sh "$@" ;;
  *) echo "usage: tools/test.sh [--plain | --all | --sanitize | --fuzz [SECONDS] | --aarch64 [CTEST ARGS]]" >&2; exit 2 ;;
esac
