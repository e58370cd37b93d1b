#!/bin/sh
# Source shape check: no include cycle between project modules and no .c
# file over 800 lines in common/ translate/ exec/, and each .c opens with a
# comment of its role. Prints "N passed, N failed".
# Usage: sh tests/tools/check_shape.sh [--self-test] [ROOT]   (default ROOT: .)
# A module is a .c file and its .h (translate/taskdef.c + translate/taskdef.h);
# module A depends on B when a file of A has #include "b.h" resolving to B
# (the including file's folder first, then common/, as the Makefile's -I
# flags). So a header may not include the header of a module that uses it.
exec /usr/bin/python3 - "$0" "$@" <<'PYEOF'
import os
import re
import subprocess
import sys
import tempfile

MAX_LINES = 800
DIRS = ("common", "translate", "exec")
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
WHY = {}


def modules(root):
    """{module: [files]} for the .c/.h files of DIRS under root."""
    mods = {}
    for d in DIRS:
        p = os.path.join(root, d)
        if not os.path.isdir(p):
            continue
        for f in sorted(os.listdir(p)):
            if f.endswith((".c", ".h")):
                mods.setdefault(d + "/" + f[:-2], []).append(d + "/" + f)
    return mods


def resolve(root, incdir, name):
    for d in (incdir, "common"):
        rel = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(os.path.join(root, rel)):
            return rel
    return None


def graph(root, mods):
    """Module -> modules it includes; WHY[(a, b)] = "file includes file"."""
    g = {m: set() for m in mods}
    for m, files in mods.items():
        for f in files:
            with open(os.path.join(root, f), encoding="utf-8",
                      errors="replace") as fh:
                for line in fh:
                    mt = INC.match(line)
                    if not mt:
                        continue
                    r = resolve(root, os.path.dirname(f), mt.group(1))
                    if r is None or not r.endswith((".h", ".c")):
                        continue
                    dep = r[:-2]
                    if dep in g and dep != m:
                        g[m].add(dep)
                        WHY.setdefault((m, dep), "%s includes %s" % (f, r))
    return g


def cycles(g):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def check(root):
    passed = failed = 0
    mods = modules(root)
    for m in sorted(mods):
        for f in mods[m]:
            if not f.endswith(".c"):
                continue
            with open(os.path.join(root, f), "rb") as fh:
                text = fh.read()
            n = text.count(b"\n")
            if not text.lstrip().startswith(b"/*"):
                print("FAIL %s: does not open with a comment of its role"
                      % f)
                failed += 1
            elif n > MAX_LINES:
                print("FAIL %s: %d lines (over %d)" % (f, n, MAX_LINES))
                failed += 1
            else:
                passed += 1
    g = graph(root, mods)
    found = cycles(g)
    for comp in found:
        edges = [WHY[(a, b)] for a in comp for b in sorted(g[a])
                 if b in comp]
        print("FAIL include cycle between %s: %s"
              % (" ".join(comp), ", ".join(edges)))
        failed += 1
    if not found:
        print("ok   no include cycle among %d modules" % len(g))
        passed += 1
    return passed, failed


def self_test(script):
    """The check fails on a cycle and on a long file, passes on a clean tree."""
    passed = failed = 0

    def run(tree):
        with tempfile.TemporaryDirectory() as t:
            for path, text in tree.items():
                os.makedirs(os.path.join(t, os.path.dirname(path)),
                            exist_ok=True)
                with open(os.path.join(t, path), "w") as fh:
                    fh.write(text)
            r = subprocess.run(["sh", script, t], capture_output=True,
                               text=True, timeout=60)
            return r.returncode, r.stdout

    clean = {"common/a.h": "#include <stdio.h>\n",
             "common/a.c": '/* a */\n#include "a.h"\n',
             "translate/b.h": '#include "a.h"\n',
             "translate/b.c": '/* b */\n#include "b.h"\n#include "a.h"\n'}
    cyc = dict(clean)
    cyc["translate/c.h"] = '#include "b.h"\n'
    cyc["translate/b.c"] = '/* b */\n#include "b.h"\n#include "c.h"\n'
    hcyc = dict(clean)
    hcyc["common/x.h"] = '#include "y.h"\n'
    hcyc["common/y.h"] = '#include "x.h"\n'
    ign = dict(clean)
    ign["tests/unit/t.c"] = '#include "b.h"\n'
    ign["translate/b.h"] = '#include "a.h"\n#include "../tests/unit/t.c"\n'
    long_ = dict(clean)
    long_["exec/d.c"] = "/* d */\n" + "int x;\n" * MAX_LINES
    edge = dict(clean)
    edge["exec/e.c"] = "/* e */\n" + "int x;\n" * (MAX_LINES - 1)
    nocomment = dict(clean)
    nocomment["exec/f.c"] = "int x;\n"
    cases = [("clean tree passes", clean, 0, None),
             ("module cycle fails", cyc, 1, "translate/b translate/c"),
             ("header cycle fails", hcyc, 1, "common/x common/y"),
             ("files outside common/ translate/ exec/ ignored", ign, 0,
              None),
             ("801-line file fails", long_, 1, "exec/d.c: 801 lines"),
             ("800-line file passes", edge, 0, None),
             ("file without a role comment fails", nocomment, 1,
              "exec/f.c: does not open")]
    for name, tree, want_rc, want_text in cases:
        rc, out = run(tree)
        ok = (rc != 0) == (want_rc != 0) and \
            (want_text is None or want_text in out) and \
            re.search(r"^\d+ passed, \d+ failed$", out, re.M) is not None
        print("%s self-test: %s" % ("ok  " if ok else "FAIL", name))
        if not ok:
            print("    rc=%d output:\n%s" % (rc, out))
        passed, failed = passed + ok, failed + (not ok)
    return passed, failed


def main():
    script, args = sys.argv[1], sys.argv[2:]
    passed = failed = 0
    if args and args[0] == "--self-test":
        p, f = self_test(script)
        passed, failed = passed + p, failed + f
        args = args[1:]
    root = args[0] if args else "."
    p, f = check(root)
    passed, failed = passed + p, failed + f
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


sys.exit(main())
PYEOF
