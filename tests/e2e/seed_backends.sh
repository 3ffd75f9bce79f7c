#!/usr/bin/env bash
# The seed's run (the bundled digits, PCA 128, 5 epochs) trained by the JIT and by the
# reference interpreter ends with the same test accuracy and losses that agree to
# 1e-5 (relative): the JIT's f32 sums run in another order than the interpreter's,
# which sums in double, so the last bits of a loss may differ (on x86-64 they agree
# to about 1e-8), but no prediction may. Under qemu this is the AArch64 (NEON) JIT
# against the interpreter (README, "AArch64").
source "$(dirname "$0")/lib.sh"
RUN="train seed_mlp --data data/mnist10k --pca 128 --epochs 5 --json"
expect_ok "$MINIGRADC" $RUN; jit="$OUT"
expect_ok "$MINIGRADC" $RUN --backend interp; interp="$OUT"
python3 - "$jit" "$interp" <<'PY' || failures=$((failures + 1))
import json, sys
j, i = (json.loads(t)["summary"] for t in sys.argv[1:3])
print(f"jit:    test accuracy {100 * j['test_accuracy']:.2f}%, test loss {j['test_loss']:.6f}, train loss {j['train_loss']:.6f}")
print(f"interp: test accuracy {100 * i['test_accuracy']:.2f}%, test loss {i['test_loss']:.6f}, train loss {i['train_loss']:.6f}")
bad = [k for k in ("test_accuracy", "train_accuracy") if j[k] != i[k]]
bad += [k for k in ("test_loss", "train_loss") if not abs(j[k] - i[k]) <= 1e-5 * abs(i[k])]
if bad:
    print("FAIL: the JIT and the interpreter differ in " + ", ".join(bad)); sys.exit(1)
PY
finish
