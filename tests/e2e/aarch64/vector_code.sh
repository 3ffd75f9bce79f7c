#!/usr/bin/env bash
# AArch64 builds only (tests/e2e/CMakeLists.txt): the JIT generates NEON code. The
# seed model's LLVM IR works on <4 x float> (128-bit registers), never on the
# 8- or 16-lane vectors of AVX2/AVX-512, and its assembly has NEON's vector FMA
# (fmla on four single-precision lanes). The checks are FileCheck files beside
# this script.
#   vector_code.sh MINIGRADC SOURCE_DIR FILECHECK
source "$(dirname "$0")/../lib.sh"
FILECHECK="$3"
HERE="$SOURCE_DIR/tests/e2e/aarch64"
for stage in llvm asm; do
  expect_ok "$MINIGRADC" dump-ir seed_mlp --stage "$stage"
  if "$FILECHECK" --dump-input=never "$HERE/vector_code.$stage.check" <<<"$OUT"; then
    echo "ok: --stage $stage matches vector_code.$stage.check"
  else
    echo "FAIL: --stage $stage does not match vector_code.$stage.check"; failures=$((failures + 1))
  fi
done
finish
