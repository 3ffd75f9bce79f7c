#!/usr/bin/env bash
# The GEMM's two lowerings and the thread counts train a deep, wide model (4 x 1024,
# batch 256, the bundled digits) to the same losses and accuracies, digit for digit:
# both lowerings add each element's products in the same order (backend/llvm/gemm/),
# and thread units write disjoint parts of C. The model learns (test accuracy > 85%
# after one epoch), so the equal figures are not equal garbage.
source "$(dirname "$0")/lib.sh"

run() {  # run LOWERING THREADS: RESULT = the run's losses and accuracies
  expect_ok "$MINIGRADC" train mlp --data data/mnist10k --epochs 1 --set depth=4 --set width=1024 --batch-size 256 \
    --gemm "$1" --threads "$2" --json
  RESULT="$(python3 -c 'import json,sys; s=json.loads(sys.argv[1])["summary"]; print(s["train_loss"], s["train_accuracy"], s["test_loss"], s["test_accuracy"])' "$OUT")"
}

run tiled 1; tiled="$RESULT"
run blocked 1; blocked="$RESULT"
run auto 2; auto2="$RESULT"
echo "tiled: $tiled"; echo "blocked: $blocked"; echo "auto, 2 threads: $auto2"
[ -n "$tiled" ] && [ "$tiled" = "$blocked" ] || { echo "FAIL: tiled and blocked lowerings differ"; failures=$((failures + 1)); }
[ -n "$auto2" ] && [ "$auto2" = "$blocked" ] || { echo "FAIL: 2 threads differ from 1"; failures=$((failures + 1)); }
python3 -c 'import sys; a=float(sys.argv[1].split()[3]); sys.exit(0 if a > 0.85 else 1)' "$blocked" ||
  { echo "FAIL: test accuracy after one epoch is not above 85%: $blocked"; failures=$((failures + 1)); }
# Both lowerings ask for the optimiser state an update's epilogue will read (llvm.prefetch,
# spread over the tile's K loop; the tiled one where K has 3 steps per vector asked
# for: 2 x 512 at batch 128 and 2 x 500 at batch 100 (14 x 32 tiles: 3.6 steps), not
# the seed); the blocked one also, in the forward GEMM,
# for the weight's next panel to pack. The seed's tiled GEMMs ask for nothing.
expect_ok "$MINIGRADC" dump-ir mlp --set depth=1 --set width=1024 --batch-size 256 --features 784 --classes 10 --stage llvm
prefetches_in() {  # prefetches_in KERNEL: does the first definition of KERNEL ask for lines?
  awk -v k="$1" 'index($0, "define") == 1 && index($0, "@\"" k) { f = 1 } f && /@llvm.prefetch/ { n++ } f && /^}/ { exit } END { exit n ? 0 : 1 }' <<< "$OUT"
}
prefetches_in k15_fused.matmul_update || { echo "FAIL: no prefetch in the blocked matmul_update"; failures=$((failures + 1)); }
prefetches_in k3_fused.matmul || { echo "FAIL: no prefetch of B's next panel in the blocked forward GEMM"; failures=$((failures + 1)); }
# Where C's rows are not whole 64-byte lines (width 1000: 4000 bytes), a vector of
# the update's operands straddles two lines, and each request slot also asks for
# the vector's last element (clamped to the row by an llvm.umin): two requests per
# operand per slot, where width 1024's rows (4096 bytes) need one.
count_in() {  # count_in KERNEL PATTERN: occurrences of PATTERN in KERNEL's first definition
  awk -v k="$1" -v p="$2" 'index($0, "define") == 1 && index($0, "@\"" k) { f = 1 } f && index($0, p) { n++ } f && /^}/ { exit } END { print n + 0 }' <<< "$OUT"
}
[ "$(count_in k15_fused.matmul_update @llvm.umin.i64)" = 0 ] ||
  { echo "FAIL: width 1024's update clamps a second request, its rows are whole lines"; failures=$((failures + 1)); }
expect_ok "$MINIGRADC" dump-ir mlp --set depth=1 --set width=1000 --batch-size 256 --features 784 --classes 10 --stage llvm
n=$(count_in k15_fused.matmul_update @llvm.prefetch)
[ "$(count_in k15_fused.matmul_update @llvm.umin.i64)" -gt 0 ] && [ "$n" -gt 0 ] && [ $((n % 6)) = 0 ] ||
  { echo "FAIL: width 1000's update does not ask for both lines of its vectors (prefetches: $n)"; failures=$((failures + 1)); }
expect_ok "$MINIGRADC" dump-ir mlp --set depth=2 --set width=512 --batch-size 128 --features 784 --classes 10 --stage llvm --gemm tiled
for kernel in k17_fused.matmul_update k19_fused.matmul_update; do  # 784 x 512 x 128 and 512 x 512 x 128
  prefetches_in "$kernel" || { echo "FAIL: no prefetch in the tiled $kernel"; failures=$((failures + 1)); }
done
expect_ok "$MINIGRADC" dump-ir mlp --set depth=2 --set width=500 --batch-size 100 --features 784 --classes 10 --stage llvm --gemm tiled
for kernel in k17_fused.matmul_update k19_fused.matmul_update; do  # 784 x 500 x 100 and 500 x 500 x 100
  prefetches_in "$kernel" || { echo "FAIL: no prefetch in the tiled $kernel at batch 100"; failures=$((failures + 1)); }
done
expect_ok "$MINIGRADC" dump-ir seed_mlp --stage llvm
! grep -q "@llvm.prefetch" <<< "$OUT" || { echo "FAIL: prefetch in the seed's tiled GEMMs"; failures=$((failures + 1)); }
expect_fail "--gemm: fast not in {auto,tiled,blocked}" "$MINIGRADC" train mlp --data data/mnist10k --gemm fast
finish
