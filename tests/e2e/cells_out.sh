# cells_out.sh — the writers' cells byte by byte: member names holding a byte CSV must
# quote (, " \n \r), a byte a table escapes (controls, DEL, a C1 control) or that
# markdown escapes (|), or none (space, ~, é, a wide 界) at every position of names of
# 1 to 26 bytes (so at each place of a word of 8, and in the short tail), with counts
# of one to three digits; 800-odd rows sorted by name, more than the table's first
# cell arrays hold. CSV read back by Python's csv module must give every name and
# count; the table and markdown must equal what their rules write (python below).
. "$SHOAL_TESTS/lib.sh"

python3 - "$T/ev.ndjson" "$T/want.json" <<'X'
import json, sys
specials = [",", '"', "\n", "\r", "\t", "\x01", "\x1f", " ", "~", "\x7f", "|", "\u0085", "é", "界", "\\", "a"]
names = []
for s in specials:
    for pos in range(17):
        for tail in (0, 3, 9):
            names.append("x" * pos + s + "y" * tail)
out = open(sys.argv[1], "w")
want = {}
t = 1700000000000
for i, m in enumerate(names):
    n = 1 + (i * 37) % 130
    want[m] = n
    for k in range(n):
        t += 1000
        out.write(json.dumps({"ts": t, "member": m, "type": "post"}) + "\n")
json.dump(want, open(sys.argv[2], "w"))
X
"$SHOAL" ingest -q "$T/ev.ndjson" 2>"$T/err"
check_eq "ingests" "$?" 0
q="SELECT member, count(post) AS n FROM members ORDER BY member;"
for fmt in csv table markdown; do
    "$SHOAL" query --format $fmt "$q" > "$T/out.$fmt" 2>"$T/err.$fmt"
    check_eq "$fmt: runs" "$?:$(cat "$T/err.$fmt")" "0:"
done

python3 - "$T" <<'X' > "$T/verdict"
import csv, io, json, sys
T = sys.argv[1]
want = json.load(open(T + "/want.json"))
order = sorted(want, key=lambda s: s.encode())
# CSV: read back, every name and count, in byte order
try:
    rows = list(csv.reader(io.open(T + "/out.csv", newline="", encoding="utf-8")))
    got = [(r[0], int(r[1])) for r in rows[1:]]
    print("csv", "ok" if rows[0] == ["member", "n"] and got == [(m, want[m]) for m in order] else "bad")
except Exception as e:
    print("csv bad: %r" % e)

def esc(s, md):
    o = []
    for ch in s:
        cp = ord(ch)
        if ch == "\n": o.append("<br>" if md else "\\n")
        elif ch == "|": o.append("\\|" if md else "|")
        elif ch == "\r": o.append("\\r")
        elif ch == "\t": o.append("\\t")
        elif cp < 0x20 or cp == 0x7f: o.append("\\x%02x" % cp)
        elif 0x80 <= cp < 0xa0: o.append("\\u00%02x" % cp)
        else: o.append(ch)
    return "".join(o)

def wid(s):
    return sum(2 if ch == "界" else 1 for ch in s)

for md in (0, 1):
    cells = [(esc(m, md), str(want[m])) for m in order]
    w0 = max([wid("member")] + [wid(c[0]) for c in cells])
    w1 = max([1] + [len(c[1]) for c in cells])
    if md: w0, w1 = max(w0, 3), max(w1, 3)
    lines = []
    if md:
        lines.append("| member" + " " * (w0 - 6) + " | " + "n" + " " * (w1 - 1) + " |")
        lines.append("| " + "-" * w0 + " | " + "-" * (w1 - 1) + ": |")
        for a, b in cells: lines.append("| " + a + " " * (w0 - wid(a)) + " | " + " " * (w1 - len(b)) + b + " |")
    else:
        lines.append("member" + " " * (w0 - 6) + " | n")
        lines.append("-" * w0 + "-+-" + "-" * w1)
        for a, b in cells: lines.append(a + " " * (w0 - wid(a)) + " | " + " " * (w1 - len(b)) + b)
        lines.append("(%d rows)" % len(cells))
    got = io.open(T + ("/out.markdown" if md else "/out.table"), encoding="utf-8", newline="").read()
    exp = "\n".join(lines) + "\n"
    if got == exp: print("md" if md else "table", "ok")
    else:
        g, e = got.split("\n"), exp.split("\n")
        k = next((i for i in range(min(len(g), len(e))) if g[i] != e[i]), min(len(g), len(e)))
        print("md" if md else "table", "bad at line %d: got %r want %r" % (k, g[k] if k < len(g) else None, e[k] if k < len(e) else None))
X
check_eq "csv: every name and count read back, in byte order" "$(sed -n 's/^csv //p' "$T/verdict")" ok
check_eq "table: every cell escaped, padded and aligned" "$(sed -n 's/^table //p' "$T/verdict")" ok
check_eq "markdown: every cell escaped, padded and aligned" "$(sed -n 's/^md //p' "$T/verdict")" ok
