#!/usr/bin/env bash
# The instrumented build in build-asan/ (tools/test.sh --sanitize, tools/fuzz.sh):
# clang-19 with AddressSanitizer and UndefinedBehaviorSanitizer, -O1, and the fuzz
# targets of tests/fuzz linked with libFuzzer. Configures it once, then builds the
# targets given (every target when none is given).
#   tools/asan_build.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f build-asan/build.ninja ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_CXX_COMPILER=clang++-19 -DMINIGRAD_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" "${launcher[@]}" > /dev/null
fi
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build-asan -j "${BUILD_JOBS:-$(nproc)}" "${targets[@]}"
