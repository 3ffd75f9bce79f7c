#!/usr/bin/env bash
# Every test (what CI runs: .ci/run). With no argument: --all.
#   tools/test.sh --all        the normal suite, the sanitized suite, each fuzz target for 60 s,
#                              then the AArch64 subset under qemu (tools/test_aarch64.sh --ci)
#   tools/test.sh --plain      the normal suite only (build/; the quick loop): sets up and builds
#                              (tools/setup.sh) and runs the whole CTest suite, the fuzz
#                              targets' corpora included, replayed once
#   tools/test.sh --sanitize   the sanitized suite only (build-asan/, clang-19 with ASan and
#                              UBSan: every library, tool and test instrumented, and the model
#                              files they compile; not the JIT's generated code)
#   tools/test.sh --fuzz [S]   the fuzz targets only, S seconds each (tools/fuzz.sh)
#   tools/test.sh --aarch64    the suite cross-compiled for AArch64 (build-aarch64/) and run
#                              under qemu-user (tools/test_aarch64.sh)
# The wall time of each part, from a clean clone with an empty compiler cache, is in the
# README ("Tests").
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:---all}"
jobs="$(nproc)"

plain() {
  tools/setup.sh
  ctest --test-dir build --output-on-failure -j "$jobs"
}

sanitized() {
  tools/setup.sh --no-build
  local launcher=()
  command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  if [ ! -f build-asan/build.ninja ]; then
    cmake -S . -B build-asan -G Ninja -DCMAKE_CXX_COMPILER=clang++-19 -DMINIGRAD_SANITIZE=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" "${launcher[@]}" > /dev/null
  fi
  cmake --build build-asan -j "$jobs"
  # Any finding fails its test: UBSan stops at the first (-fno-sanitize-recover), ASan
  # and LeakSanitizer exit non-zero; no suppressions. The model files compiled at run
  # time go to their own cache (their flags differ from the normal build's).
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:check_initialization_order=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ctest --test-dir build-asan --output-on-failure -j "$jobs"
}

case "$mode" in
  --all) plain; sanitized; tools/fuzz.sh 60; tools/test_aarch64.sh --ci ;;
  --plain) plain ;;
  --sanitize) sanitized ;;
  --fuzz) tools/setup.sh --no-build; tools/fuzz.sh "${2:-60}" ;;
  --aarch64) shift; tools/test_aarch64.sh "$@" ;;
  *) echo "usage: tools/test.sh [--plain | --all | --sanitize | --fuzz [SECONDS] | --aarch64 [CTEST ARGS]]" >&2; exit 2 ;;
esac
