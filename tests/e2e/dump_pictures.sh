#!/usr/bin/env bash
# dump-ir's pictures: the DOT graph drawn by graphviz's dot (installed by
# tools/setup.sh) and the memory plan chart, checked against the IR and the plan's text.
source "$(dirname "$0")/lib.sh"
check() { "$@" || { echo "FAIL: $CHECK"; failures=$((failures + 1)); }; }
command -v dot >/dev/null || { echo "FAIL: graphviz's dot is not installed (tools/setup.sh installs it)"; exit 1; }

# The seed's optimised step as DOT, drawn by dot itself.
expect_ok "$MINIGRADC" dump-ir seed_mlp --stage optimized --format dot -o "$TMP/seed.dot"
CHECK="the DOT text escapes its line breaks into a literal backslash-n"; check bash -c "! grep -qF '\\n' '$TMP/seed.dot'"
dot -Tsvg "$TMP/seed.dot" -o "$TMP/seed.svg" 2>"$TMP/dot.err" || { echo "FAIL: dot cannot draw it"; cat "$TMP/dot.err"; failures=$((failures + 1)); }
CHECK="the drawing shows a literal backslash-n"; check bash -c "! grep -qF '\\n' '$TMP/seed.svg'"
for kind in matmul bn_act bn_act_grad loss_grad elementwise; do
  CHECK="no fused $kind node drawn"; check grep -q ">fused $kind<" "$TMP/seed.svg"
done
CHECK="a location still reads <trace> or <flag"; check bash -c "! grep -q '&lt;trace&gt;\|&lt;flag' '$TMP/seed.svg'"
CHECK="the loss does not say it comes from --loss"; check grep -q 'from &#45;&#45;loss cross_entropy' "$TMP/seed.svg"
# Every node of each function is drawn: the nodes of the text dump (4 spaces in: not a
# fused body's), plus the legend.
expect_ok "$MINIGRADC" dump-ir seed_mlp --stage optimized --no-locs
text="$OUT"
nodes=$(grep -c '^    [%a-z]' <<<"$text")
drawn=$(grep -c 'class="node"' "$TMP/seed.svg")
CHECK="$drawn nodes drawn for $nodes nodes and a legend"; check test "$drawn" -eq $((nodes + 1))
for f in train_step eval; do
  n=$(awk -v f="  func @$f {" '$0 == f {on = 1; next} on && /^  }/ {on = 0} on && /^    [%a-z]/ {c++} END {print c}' <<<"$text")
  CHECK="@$f: $n nodes in the text"; check test "$n" -gt 5
  expect_ok "$MINIGRADC" dump-ir seed_mlp --stage optimized --function "$f" --format svg -o "$TMP/$f.svg"
  d=$(grep -c 'class="node"' "$TMP/$f.svg")
  CHECK="@$f: $d nodes drawn for $n nodes and a legend"; check test "$d" -eq $((n + 1))
done
# Images straight from minigradc, and a collapsed picture of the step.
expect_ok "$MINIGRADC" dump-ir seed_mlp --stage optimized --function eval --format png -o "$TMP/eval.png"
CHECK="--format png did not write a PNG"; check bash -c "head -c 8 '$TMP/eval.png' | od -An -c | grep -q 'P   N   G'"
expect_ok "$MINIGRADC" dump-ir seed_mlp --stage optimized --function train_step --collapse-fused --format svg -o "$TMP/c.svg"
CHECK="--collapse-fused still lists a fused body's ops"; check bash -c "grep -q '[0-9]* ops<' '$TMP/c.svg' && ! grep -q 'leaky_relu, ' '$TMP/c.svg'"
expect_fail "give the file with -o" "$MINIGRADC" dump-ir seed_mlp --format svg
expect_fail "apt-get install graphviz" env PATH=/nonexistent "$MINIGRADC" dump-ir seed_mlp --format png -o "$TMP/x.png"

# The memory plan chart agrees with the plan's text (--stage planned prints it).
expect_ok "$MINIGRADC" dump-ir seed_mlp --stage planned --plan-chart "$TMP/plan.svg"
for f in train_step eval; do
  read -r peak unplanned values < <(sed -n "s|^// @$f: planned peak \([0-9]*\) bytes, unplanned sum \([0-9]*\) bytes (\([0-9]*\) values.*|\1 \2 \3|p" <<<"$OUT")
  CHECK="@$f: no plan in the text"; check test -n "$peak"
  CHECK="@$f: the chart's panel disagrees with peak $peak, unplanned $unplanned, $values values"
  check grep -q "data-function=\"$f\" data-peak=\"$peak\" data-unplanned=\"$unplanned\" data-buffers=\"$values\"" "$TMP/plan.svg"
  bars=$(awk -v f="data-function=\"$f\"" 'index($0, "class=\"plan\"") {on = index($0, f) > 0} on && /class="buffer"/ {c++} END {print c + 0}' "$TMP/plan.svg")
  CHECK="@$f: $bars bars for $values planned values"; check test "$bars" -eq "$values"
  # No bar reaches past the peak, and one reaches it.
  top=$(awk -v f="data-function=\"$f\"" 'index($0, "class=\"plan\"") {on = index($0, f) > 0}
    on && /class="buffer"/ {match($0, /data-offset="[0-9]*"/); o = substr($0, RSTART + 13, RLENGTH - 14);
      match($0, /data-bytes="[0-9]*"/); b = substr($0, RSTART + 12, RLENGTH - 13); if (o + b > t) t = o + b}
    END {print t + 0}' "$TMP/plan.svg")
  CHECK="@$f: the highest bar ends at $top, the peak is $peak"; check test "$top" -le "$peak" -a "$top" -gt $((peak - 64))
done
expect_fail "--stage planned" "$MINIGRADC" dump-ir seed_mlp --stage optimized --plan-chart "$TMP/p.svg"
expect_fail "name a .svg file" "$MINIGRADC" dump-ir seed_mlp --stage planned --plan-chart "$TMP/p.png"
finish
