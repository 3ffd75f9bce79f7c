#!/usr/bin/env bash
# minigrad as a CMake package: the build tree installed into a temporary prefix,
# and tests/consumer (find_package(minigrad), minigrad::runtime) configured and built
# against it, with nothing from the source tree on its include path; the program
# trains its own model for one epoch on the bundled digits and reports the accuracy,
# once with the JIT (minigrad::runtime) and once without LLVM (minigrad::runtime_core).
# Arguments: minigradc, the source tree, the build tree, the C++ compiler, its
# launcher (or "") and extra compile and link flags (the sanitizers, or "").
source "$(dirname "$0")/lib.sh"
BUILD_DIR="$3" CXX_COMPILER="$4" LAUNCHER="$5" EXTRA_FLAGS="$6"
PREFIX="$TMP/prefix"
expect_ok cmake --install "$BUILD_DIR" --prefix "$PREFIX"
for f in lib/cmake/minigrad/minigradConfig.cmake lib/cmake/minigrad/minigradConfigVersion.cmake \
         lib/cmake/minigrad/minigradTargets.cmake lib/libminigrad_runtime_core.a lib/libminigrad_runtime_jit.a include/runtime/session.h include/ir/ops.def; do
  [[ -s "$PREFIX/$f" ]] || { echo "FAIL: the install has no $f"; failures=$((failures + 1)); }
done
# A copy of the consumer, so that nothing can reach the source tree by a relative path.
cp -r tests/consumer "$TMP/src"
expect_ok cmake -S "$TMP/src" -B "$TMP/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_CXX_COMPILER="$CXX_COMPILER" -DCMAKE_CXX_COMPILER_LAUNCHER="$LAUNCHER" \
  -DCMAKE_CXX_FLAGS="$EXTRA_FLAGS" -DCMAKE_EXE_LINKER_FLAGS="$EXTRA_FLAGS"
expect_ok cmake --build "$TMP/build"
includes=$(cd "$TMP/build" && ninja -t commands | grep -oE -- '(-I|-isystem )[^ ]+' | sort -u | tr '\n' ' ')
[[ "$includes" == "-isystem $PREFIX/include " ]] || { echo "FAIL: the consumer's include path: $includes"; failures=$((failures + 1)); }
expect_ok "$TMP/build/consumer" data/mnist10k
echo "$OUT"
acc=$(sed -n 's/.*test accuracy \(0\.[0-9]*\)$/\1/p' <<<"$OUT")
# One epoch of the seed's architecture (width 64) reaches about 0.9 on the digits.
[[ -n "$acc" ]] && awk -v a="$acc" 'BEGIN { exit !(a > 0.8) }' ||
  { echo "FAIL: the consumer's test accuracy '$acc' (expected above 0.8)"; failures=$((failures + 1)); }
grep -q "125 steps" <<<"$OUT" || { echo "FAIL: the consumer did not train 125 steps"; failures=$((failures + 1)); }
expect_fail "consumer: $TMP/no-such-dir: not a data directory" "$TMP/build/consumer" "$TMP/no-such-dir"
# minigrad::runtime_core: the runtime without the JIT links no LLVM and trains on the interpreter.
if ldd "$TMP/build/consumer_core" | grep -q libLLVM; then echo "FAIL: consumer_core links LLVM"; failures=$((failures + 1)); fi
ldd "$TMP/build/consumer" | grep -q libLLVM || { echo "FAIL: consumer (minigrad::runtime) does not link LLVM"; failures=$((failures + 1)); }
expect_ok "$TMP/build/consumer_core" data/mnist10k
echo "$OUT"
acc=$(sed -n 's/.*on interp: .*test accuracy \(0\.[0-9]*\)$/\1/p' <<<"$OUT")
[[ -n "$acc" ]] && awk -v a="$acc" 'BEGIN { exit !(a > 0.8) }' ||
  { echo "FAIL: consumer_core's test accuracy '$acc' (expected above 0.8)"; failures=$((failures + 1)); }
expect_fail "this program was linked without the JIT" "$TMP/build/consumer_core" data/mnist10k jit
finish
