#!/usr/bin/env python3
"""bench/compare.py — do two engines' answers to one question agree?

usage: compare.py GOT.csv WANT.csv [--rel 1e-6] [--abs 1e-9]

Both files are CSV with a header row. Rows are compared as multisets: each file's rows
are sorted first, so engines need not agree on the order of ties. Cells compare as
numbers when both parse as numbers (within the relative or absolute tolerance, since
engines sum floating point in different orders), as booleans when both are
true/false/1/0 spellings, and as exact strings otherwise; an empty cell equals an empty
cell or NULL. Header names are compared case-insensitively but only warned about.
Exit status 0 when the answers agree, 1 when they differ (the first differences are
printed), 2 on a usage or read error.
"""
import csv
import math
import sys

BOOLS = {"true": True, "false": False, "t": True, "f": False}


def number(s):
    try:
        v = float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def norm(cell):
    c = cell.strip()
    if c.lower() in ("", "null"):
        return ("", None)
    if c.lower() in BOOLS:
        return ("b", BOOLS[c.lower()])
    v = number(c)
    if v is not None:
        return ("n", v)
    return ("s", c)


def sort_key(row):
    # Numbers are rounded for sorting only, so that two engines' sums that differ in
    # the last bits still sort to the same place.
    out = []
    for kind, v in row:
        if kind == "n":
            out.append((1, float("%.6g" % v), ""))
        elif kind == "b":
            out.append((1, float(v), ""))
        else:
            out.append((2, 0.0, "" if v is None else v))
    return out


def cell_eq(a, b, rel, abs_):
    (ka, va), (kb, vb) = a, b
    if ka == "b" and kb == "n" or ka == "n" and kb == "b":
        return float(va) == float(vb)
    if ka != kb:
        return False
    if ka == "n":
        return abs(va - vb) <= max(abs_, rel * max(abs(va), abs(vb)))
    return va == vb


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError("%s: empty file (no header)" % path)
    return rows[0], [[norm(c) for c in r] for r in rows[1:]]


def main(argv):
    args, rel, abs_ = [], 1e-6, 1e-9
    i = 1
    while i < len(argv):
        if argv[i] == "--rel":
            rel = float(argv[i + 1]); i += 2
        elif argv[i] == "--abs":
            abs_ = float(argv[i + 1]); i += 2
        else:
            args.append(argv[i]); i += 1
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        (hg, got), (hw, want) = read(args[0]), read(args[1])
    except (OSError, ValueError) as e:
        print("compare: %s" % e, file=sys.stderr)
        return 2
    if [h.lower() for h in hg] != [h.lower() for h in hw]:
        print("compare: warning: headers differ: %s vs %s" % (",".join(hg), ",".join(hw)))
    problems = []
    if len(hg) != len(hw):
        problems.append("%d columns, want %d" % (len(hg), len(hw)))
    if len(got) != len(want):
        problems.append("%d rows, want %d" % (len(got), len(want)))
    if not problems:
        got.sort(key=sort_key)
        want.sort(key=sort_key)
        for n, (g, w) in enumerate(zip(got, want)):
            if len(g) != len(w) or not all(cell_eq(a, b, rel, abs_) for a, b in zip(g, w)):
                show = lambda r: ",".join("" if v is None else str(v) for _, v in r)
                problems.append("sorted row %d: got %s, want %s" % (n + 1, show(g), show(w)))
                if len(problems) >= 5:
                    break
    for p in problems:
        print("compare: %s" % p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
