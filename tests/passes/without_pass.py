#!/usr/bin/env python3
"""Runs one IR-in/IR-out test (a .mgir file) with the pass it tests not run, and
succeeds only if FileCheck then fails: a pass test that still passes without its
pass checks nothing about it.

    without_pass.py LIT_PY FILE.mgir PASS -- LIT_PARAMS...

The RUN lines are rewritten into a copy of the file: PASS is taken out of every
`-p LIST` (a `-p` left empty goes: minigrad-opt then parses and prints), and
`--disable-pass=PASS` goes at the end of every `minigrad-opt ... --pipeline` and
every `minigradc` command (for the tests of whole pipelines). The copy runs
under lit with the same parameters. What counts as the expected failure: lit fails,
and a FileCheck directive's error ("error: CHECK-NOT: excluded string found",
"error: CHECK: expected string not found", ...) is in its output; a failure of any other kind (a tool that
did not run, an unknown pass) fails this test, as does a rewrite that changed nothing.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile


def rewrite_run_line(line, pass_name):
    def drop_from_list(m):
        names = [n for n in m.group(2).split(",") if n != pass_name]
        return f"{m.group(1)}{','.join(names)}" if names else ""

    out = re.sub(r"(\s-p\s+)([\w,-]+)", drop_from_list, line)
    if ("--pipeline" in out and "minigrad-opt" in out) or "minigradc" in out:
        # After the tool's last argument: before the first pipe or redirection.
        m = re.search(r"\s(\||2>|>)", out)
        end = m.start() if m else len(out)
        out = f"{out[:end]} --disable-pass={pass_name}{out[end:]}"
    return out


def main():
    if len(sys.argv) < 5 or sys.argv[4] != "--":
        sys.exit(__doc__)
    lit, test, pass_name, params = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[5:]
    src_dir = os.path.dirname(os.path.abspath(test))
    with open(test) as f:
        lines = f.read().split("\n")
    changed = 0
    for i, line in enumerate(lines):
        if line.startswith("// RUN:"):
            new = rewrite_run_line(line, pass_name)
            changed += new != line
            lines[i] = new
    if changed == 0:
        sys.exit(f"{test}: no RUN line runs {pass_name}")
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(os.path.join(src_dir, "lit.cfg.py"), tmp)
        copy = os.path.join(tmp, os.path.basename(test))
        with open(copy, "w") as f:
            f.write("\n".join(lines))
        params = params + [f"srcroot={os.path.dirname(os.path.dirname(src_dir))}", f"exec_root={tmp}/out"]
        cmd = [sys.executable, lit, "-v"] + [a for p in params for a in ("--param", p)] + [copy]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = r.stdout
    # FileCheck's errors name the directive: "x.mgir:12:11: error: CHECK-NOT: excluded string found".
    checks_failed = re.search(r"error: [A-Z][A-Z0-9_]*(-[A-Z]+)?: ", out)
    if r.returncode == 0:
        print(out)
        sys.exit(f"FAIL: {test} passes with {pass_name} not run: its checks do not depend on the pass")
    if not checks_failed:
        print(out)
        sys.exit(f"FAIL: {test} without {pass_name} failed, but not in a FileCheck directive (see above)")
    print(f"ok: {test} fails without {pass_name}, as it should")


if __name__ == "__main__":
    main()
