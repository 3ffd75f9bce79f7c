#!/usr/bin/env bash
# dump-ir --target TRIPLE [--cpu CPU]: the code another machine would get, checked
# with FileCheck (dump_target.checks); the JIT itself stays host-only.
FILECHECK="$3"
source "$(dirname "$0")/lib.sh"
CHECKS=tests/e2e/dump_target.checks
# check PREFIX DUMP-IR-ARGS...: the dump's text matches CHECKS' PREFIX lines.
check() {
  local prefix="$1"; shift
  if "$MINIGRADC" dump-ir seed_mlp --function train_step "$@" >"$TMP/dump" 2>"$TMP/err" &&
     "$FILECHECK" --check-prefix="$prefix" "$CHECKS" --input-file="$TMP/dump"; then
    echo "ok: $prefix: dump-ir $*"
  else
    echo "FAIL: $prefix: dump-ir $*"; sed 's/^/    /' "$TMP/err"; failures=$((failures + 1))
  fi
}
check M1 --stage asm --target arm64-apple-macos --cpu apple-m1
check N1 --stage asm --target aarch64-linux-gnu --cpu neoverse-n1
check M1IR --stage llvm --target arm64-apple-macos --cpu apple-m1
check SKX --stage asm --target x86_64-linux-gnu --cpu skylake-avx512
check HSW --stage asm --target x86_64-linux-gnu --cpu haswell
check GENERIC --stage asm --target aarch64-linux-gnu
# Bad targets and CPUs are errors naming the flag; the JIT refuses every target flag.
expect_fail "--target sparc-sun: LLVM cannot generate code for it here" "$MINIGRADC" dump-ir seed_mlp --stage asm --target sparc-sun
expect_fail "--cpu pentium: not a CPU LLVM knows for aarch64-unknown-linux-gnu" \
  "$MINIGRADC" dump-ir seed_mlp --stage asm --target aarch64-linux-gnu --cpu pentium
expect_fail "choose the machine code of --stage llvm or asm (not --stage traced)" \
  "$MINIGRADC" dump-ir seed_mlp --stage traced --target aarch64-linux-gnu
expect_fail "train --target: the JIT runs code on this machine only" \
  "$MINIGRADC" train seed_mlp --data data/mnist10k --target aarch64-linux-gnu
expect_fail "train --cpu: the JIT runs code on this machine only" "$MINIGRADC" train seed_mlp --data data/mnist10k --cpu apple-m1
if grep -q "not a recognized processor" "$TMP/stderr" 2>/dev/null; then echo "FAIL: LLVM's own warning leaked"; failures=$((failures + 1)); fi
finish
