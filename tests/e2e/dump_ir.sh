#!/usr/bin/env bash
# dump-ir prints the IR of every stage, as text and as DOT.
source "$(dirname "$0")/lib.sh"
expect_ok "$MINIGRADC" dump-ir seed_mlp --stage traced
grep -q 'grad(' <<<"$OUT" || { echo "FAIL: the traced stage has no grad node"; failures=$((failures + 1)); }
grep -q 'loc("examples/seed_mlp.cpp":12' <<<"$OUT" || { echo "FAIL: no model-file locations"; failures=$((failures + 1)); }
# Every node points at the model file or at the setting that made it (the loss and
# optimiser flags, the tracer), never at a line inside minigrad or the C++ library.
others=$(grep -o 'loc([^)]*)' <<<"$OUT" | grep -v -e '"examples/seed_mlp.cpp"' -e '"<flag --optimizer adam>"' \
  -e '"<flag --loss cross_entropy>"' -e '"<trace>"' | sort -u)
[[ -z "$others" ]] || { echo "FAIL: locations outside the model and its settings: $others"; failures=$((failures + 1)); }
expect_ok "$MINIGRADC" dump-ir seed_mlp --stage autodiff --no-locs
grep -q 'batch_norm_grad(' <<<"$OUT" || { echo "FAIL: the autodiff stage has no backward"; failures=$((failures + 1)); }
if grep -q 'grad(%' <<<"$(grep -v batch_norm_grad <<<"$OUT")"; then echo "FAIL: a grad node is left"; failures=$((failures + 1)); fi
expect_ok "$MINIGRADC" dump-ir seed_mlp --format dot -o "$TMP/seed.dot"
head -n1 "$TMP/seed.dot" | grep -q '^digraph' || { echo "FAIL: not DOT"; failures=$((failures + 1)); }
# Past the passes: the JIT's LLVM IR after O3 (vector code at the host's width) and assembly.
expect_ok "$MINIGRADC" dump-ir seed_mlp --stage llvm --function train_step
grep -q '^define .*@mg_entry(' <<<"$OUT" || { echo "FAIL: no generated entry in the LLVM IR"; failures=$((failures + 1)); }
grep -q 'load <[0-9]* x float>' <<<"$OUT" || { echo "FAIL: no vector loads in the LLVM IR"; failures=$((failures + 1)); }
# Kernels are named after their node and its DSL line: fc1's GEMM with its epilogue, the optimiser's loops.
grep -q '^define .*@"k[0-9]*_fused.matmul@seed_mlp.cpp:12"(' <<<"$OUT" || { echo "FAIL: no kernel named after fc1's line"; failures=$((failures + 1)); }
# Each GEMM's plan opens the dump: the seed's 64-row GEMMs are tiled.
grep -q '^; k[0-9]*_fused.matmul@seed_mlp.cpp:12: tiled [0-9]*x[0-9]* units=' <<<"$OUT" ||
  { echo "FAIL: no plan line for fc1's GEMM"; failures=$((failures + 1)); }
grep -q '^define .*@"k[0-9]*_fused.elementwise@flag_--optimizer_adam"(' <<<"$OUT" || { echo "FAIL: no kernel named after --optimizer"; failures=$((failures + 1)); }
expect_ok "$MINIGRADC" dump-ir seed_mlp --stage asm
[[ $(grep -c '^mg_entry:' <<<"$OUT") == 2 ]] || { echo "FAIL: asm lacks the entries of train_step and eval"; failures=$((failures + 1)); }
grep -q '===== @eval =====' <<<"$OUT" || { echo "FAIL: asm does not name its functions"; failures=$((failures + 1)); }
# A 2048-wide layer's GEMM at batch 512 is cache-blocked.
expect_ok "$MINIGRADC" dump-ir mlp --stage llvm --function eval --features 784 --batch-size 512 --set width=2048
grep -q '^; k[0-9]*_fused.matmul@mlp.cpp:[0-9]*: blocked [0-9]*x[0-9]* kc=[0-9]* mc=[0-9]* nc=[0-9]*' <<<"$OUT" ||
  { echo "FAIL: no blocked plan for a 2048-wide layer at batch 512"; failures=$((failures + 1)); }
# --threads 2: the large kernels are split (a task function each), the masked
# batch norm of a 1024-wide layer at batch 256 too (n_rows is checked at the entry);
# at one thread nothing is.
wide="mlp --stage llvm --function train_step --features 784 --batch-size 256 --set depth=2 --set width=1024"
expect_ok "$MINIGRADC" dump-ir $wide --threads 2
grep -q '^define .*@"k[0-9]*_fused.bn_act@mlp.cpp:[0-9]*.task"(' <<<"$OUT" ||
  { echo "FAIL: --threads 2: the masked bn_act is not split"; failures=$((failures + 1)); }
grep -q '^define .*@"k[0-9]*_fused.matmul_update@mlp.cpp:[0-9]*.task"(' <<<"$OUT" ||
  { echo "FAIL: --threads 2: the weight-gradient GEMM is not split"; failures=$((failures + 1)); }
expect_ok "$MINIGRADC" dump-ir $wide
if grep -q '\.task"(' <<<"$OUT"; then echo "FAIL: one thread: a kernel is split"; failures=$((failures + 1)); fi
# A repeatable flag takes one value per occurrence: the model after --disable-pass=X
# (or --disable-pass X) is the positional model, not a second pass name.
for form in "--disable-pass=fuse-bn-leaky-relu seed_mlp" "--disable-pass fuse-bn-leaky-relu seed_mlp"; do
  expect_ok "$MINIGRADC" dump-ir $form --stage planned --no-locs
  if grep -q 'kind="bn_act"' <<<"$OUT"; then echo "FAIL: $form: fuse-bn-leaky-relu ran"; failures=$((failures + 1)); fi
  grep -q 'kind="matmul"' <<<"$OUT" || { echo "FAIL: $form: the other fusions did not run"; failures=$((failures + 1)); }
done
expect_ok "$MINIGRADC" dump-ir --set width=8 mlp --stage traced --no-locs
grep -q 'f32\[64,8\]' <<<"$OUT" || { echo "FAIL: --set width=8 mlp: not an 8-wide mlp"; failures=$((failures + 1)); }
expect_fail "only text" "$MINIGRADC" dump-ir seed_mlp --stage llvm --format dot
expect_fail "no function @nope" "$MINIGRADC" dump-ir seed_mlp --stage asm --function nope
expect_fail "--stage" "$MINIGRADC" dump-ir seed_mlp --stage sideways
finish
