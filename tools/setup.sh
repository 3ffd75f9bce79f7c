#!/usr/bin/env bash
# Installs what minigrad needs from Debian 12's packages (only what is missing),
# then configures (once) and builds it in build/. Called by main-job.sh and test.sh.
# With --bench it also installs what bench/run.sh needs beyond that: OpenBLAS
# (pthread build) as the BLAS of numpy and PyTorch, which otherwise get Debian's
# reference BLAS on a machine installed without recommended packages. With
# --no-build it installs and stops (tools/test.sh's sanitized and fuzz builds).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build g++ llvm-19-dev llvm-19-tools libeigen3-dev libgtest-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libfmt-dev zlib1g-dev gnuplot-nox graphviz python3
  python3-numpy python3-torch clang-19 libclang-rt-19-dev libopenmpi-dev openmpi-bin)
if [ "${1:-}" = "--bench" ]; then packages+=(libopenblas0-pthread); fi
# One dpkg-query for all of them: the names it reports as installed.
installed=" $(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null |
  awk '$2 == "install" && $3 == "ok" && $4 == "installed" { printf "%s ", $1 }' || true)"
missing=()
for p in "${packages[@]}"; do
  [[ "$installed" == *" $p "* ]] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" = "--no-build" ]; then exit 0; fi

# Configure once; afterwards the build itself re-runs CMake when a CMakeLists.txt
# (or the set of files a CONFIGURE_DEPENDS glob sees) changes.
if ! grep -qs '^CMAKE_BUILD_TYPE:STRING=Release$' build/CMakeCache.txt || [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
fi
cmake --build build
