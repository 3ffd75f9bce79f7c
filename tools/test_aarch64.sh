#!/usr/bin/env bash
# The AArch64 suite under emulation (tools/test.sh --aarch64; README, "AArch64").
# Installs what is missing (the cross compiler, qemu-user, the arm64 package lists),
# makes the arm64 sysroot (tools/aarch64_sysroot.sh: Debian 12's arm64 LLVM 19 and
# libraries, unpacked beside, not over, the native ones), cross-compiles everything
# for aarch64-linux-gnu in build-aarch64/ (cmake/aarch64-linux-gnu.cmake), and runs
# the CTest suite there: the test programs and minigradc run under qemu-aarch64,
# and model files are compiled by the cross compiler.
#   tools/test_aarch64.sh                 build and run the suite (except what is listed below)
#   tools/test_aarch64.sh --build-only    build and stop
#   tools/test_aarch64.sh -R REGEX ...    build, then run the tests CTest selects (any ctest arguments)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"
build=build-aarch64
sysroot="$PWD/$build/sysroot"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
tools/setup.sh --no-build  # the native packages: FileCheck and lit come from llvm-19-tools
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "aarch64: adding the arm64 architecture to dpkg (for its package lists; nothing arm64 is installed)"
  $sudo dpkg --add-architecture arm64
  $sudo apt-get update -qq
fi
missing=()
for p in crossbuild-essential-arm64 qemu-user-static; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "aarch64: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! apt-cache show libllvm19:arm64 > /dev/null 2>&1; then $sudo apt-get update -qq; fi

tools/aarch64_sysroot.sh "$sysroot"

launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release --toolchain cmake/aarch64-linux-gnu.cmake \
    -DMINIGRAD_AARCH64_SYSROOT="$sysroot" "${launcher[@]}" > /dev/null
fi
cmake --build "$build" -j "$jobs"
if [ "${1:-}" = "--build-only" ]; then exit 0; fi

ctest --test-dir "$build" --output-on-failure -j "$jobs" "$@"
