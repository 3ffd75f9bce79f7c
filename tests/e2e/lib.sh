# Helpers for the end-to-end tests: each test script sources this file, runs
# minigradc ($MINIGRADC) and checks exit statuses and messages.
set -u
MINIGRADC="$1"
SOURCE_DIR="$2"
TMP="$(mktemp -d)"
export MINIGRAD_CACHE_DIR="$TMP/cache"
trap 'rm -rf "$TMP"' EXIT
cd "$SOURCE_DIR"
failures=0

# expect_fail PATTERN CMD...: CMD fails as a program should, exiting with a status
# of 1 to 127 (128 and up is the shell's report of a signal: a crash or an abort),
# with no sanitizer report, and its stderr contains PATTERN.
expect_fail() {
  local pattern="$1"; shift
  local err status
  err="$("$@" 2>&1 >/dev/null)"; status=$?
  if [ "$status" -eq 0 ]; then
    echo "FAIL: expected a non-zero exit from: $*"; failures=$((failures + 1))
  elif [ "$status" -ge 128 ]; then
    echo "FAIL: killed by signal $((status - 128)) (exit $status), not an error exit: $*"
    echo "$err" | tail -n 20 | sed 's/^/    /'; failures=$((failures + 1))
  elif grep -qE -- "ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error: " <<<"$err"; then
    echo "FAIL: a sanitizer report from: $*"; echo "$err" | sed 's/^/    /'; failures=$((failures + 1))
  elif ! grep -qF -- "$pattern" <<<"$err"; then
    echo "FAIL: '$pattern' not in the message of: $*"; echo "$err" | sed 's/^/    /'; failures=$((failures + 1))
  else
    echo "ok: $* -> $(head -n1 <<<"$err")"
  fi
}

# expect_ok CMD...: CMD exits 0; its stdout is left in $OUT.
expect_ok() {
  OUT="$("$@" 2>"$TMP/stderr")"; local status=$?
  if [ "$status" -ne 0 ]; then
    echo "FAIL: exit $status from: $*"; sed 's/^/    /' "$TMP/stderr"; failures=$((failures + 1))
  else
    echo "ok: $*"
  fi
}

finish() {
  if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
  echo "all checks passed"
}
