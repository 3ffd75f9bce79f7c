#!/usr/bin/env bash
# The AArch64 suite under emulation (tools/test.sh --aarch64; README, "AArch64").
# Installs what is missing (the cross compiler, qemu-user, the arm64 package lists),
# makes the arm64 sysroot (tools/aarch64_sysroot.sh: Debian 12's arm64 LLVM 19, Open
# MPI and libraries, unpacked beside, not over, the native ones), cross-compiles for
# aarch64-linux-gnu in build-aarch64/ (cmake/aarch64-linux-gnu.cmake), and runs CTest
# there: the test programs and minigradc run under qemu-aarch64 (each GoogleTest
# program is one CTest test, all its cases in one qemu process), and model files are
# compiled by the cross compiler.
#   tools/test_aarch64.sh --ci            CI's part (tools/test.sh --all, at its end): builds
#                                         only what the subset below needs and runs it
#   tools/test_aarch64.sh                 builds every target, runs the whole suite but e2e.mpi
#   tools/test_aarch64.sh --build-only    builds every target and stops
#   tools/test_aarch64.sh -R REGEX ...    builds every target, runs what CTest selects (ctest arguments)
#
# CI's subset (--ci): the code whose behaviour depends on the target.
#   jit_tests        the JIT against the interpreter: every op forward and backward, every
#                    fused kind, odd shapes, the GEMM lowerings and tiles, whole train steps
#                    (so the IR, autodiff and the other passes run on AArch64 too)
#   interp_tests     the interpreter against the naive reference (the C++ compiler may
#                    contract a*b+c differently on each target)
#   e2e.seed_backends  the issue's check: `train seed_mlp --data data/mnist10k --pca 128
#                    --epochs 5` with the JIT and with the interpreter, same accuracy
#   e2e.model_file (a model file compiled by the cross compiler and loaded under qemu),
#                    e2e.dump_ir, e2e.aarch64_vector_code (NEON code)
# Left out of CI's subset (the run without --ci has them, except e2e.mpi):
#   ir_tests, frontend_tests, passes_tests   parsing, printing, tracing and rewriting the
#                    IR: target-independent C++, run natively by the normal and the
#                    sanitized suites; on AArch64 the passes run under every jit_tests
#                    case and the DSL traces the seed model and a model file in the e2e runs
#   e2e.train_digits the training loop on the digits: e2e.seed_backends runs the same loop
#                    with both backends and compares them
#   e2e.mpi          needs mpirun, which would start the ranks under qemu through Open MPI's
#                    launcher; the sysroot has Open MPI's libraries (the runtime links libmpi)
#                    but not its launcher, so no AArch64 run starts MPI. Never run here.
#   runtime_data_tests, runtime_tests, runtime_product_tests, jit_model_tests,
#   jit_alloc_tests, the filecheck.* IR tests, fuzz_corpus.*, e2e.consumer and the other
#   e2e scripts (sweeps, checkpoints, the bad-input batteries, AOT, bench, gemm_lowerings,
#   divergence): target-independent C++ (file formats, the product around a run, the
#   command line), or runs that take many minutes under emulation; the native suite
#   runs them all.
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

ci_targets=(jit_tests interp_tests minigradc)
ci_tests='^(jit_tests|interp_tests|e2e\.(seed_backends|model_file|dump_ir|aarch64_vector_code))$'

launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release --toolchain cmake/aarch64-linux-gnu.cmake \
    -DMINIGRAD_AARCH64_SYSROOT="$sysroot" "${launcher[@]}" > /dev/null
fi
case "${1:-}" in
  --ci)
    cmake --build "$build" -j "$jobs" --target "${ci_targets[@]}"
    ctest --test-dir "$build" --output-on-failure -j "$jobs" -R "$ci_tests"
    ;;
  --build-only) cmake --build "$build" -j "$jobs" ;;
  *)
    cmake --build "$build" -j "$jobs"
    if [ $# -eq 0 ]; then set -- -E '^e2e\.mpi$'; fi
    ctest --test-dir "$build" --output-on-failure -j "$jobs" "$@"
    ;;
esac
