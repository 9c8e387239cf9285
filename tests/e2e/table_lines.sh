# table_lines.sh — the table's lines written from a template (format.c, shoal_fmt_end:
# a row of plain cells is a copy of the line's spaces and separators with each cell's
# text put at its place): 3000 members with names of 1 to 40 bytes, some holding a
# byte the table escapes (a control, '|') or a wide letter (those rows go the general
# way), counts of 1 to 3 digits; more than one 64 KB output block. Four shapes: the
# name first and a count last (right-aligned, ending the line), the count first and
# the name last (left-aligned, the line ending at its text: no trailing spaces), three
# columns with the count between two names, and the count alone; each against the
# table's rules written in Python, byte for byte.
. "$SHOAL_TESTS/lib.sh"

python3 - "$T/ev.ndjson" "$T/want.json" <<'X'
import json, random, sys
rnd = random.Random(11)
names = set()
while len(names) < 3000:
    n = rnd.randint(1, 40)
    s = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789-_ ") for _ in range(n))
    r = rnd.random()
    if r < 0.03: s = s[: n // 2] + "\x01" + s[n // 2:]
    elif r < 0.06: s = s[: n // 2] + "|" + s[n // 2:]
    elif r < 0.09: s = s[: n // 2] + "界" + s[n // 2:]
    names.add(s)
out = open(sys.argv[1], "w")
want = {}
t = 1700000000000
for i, m in enumerate(sorted(names)):
    n = 1 + (i * 7919) % 150
    want[m] = n
    for k in range(n):
        t += 1000
        out.write(json.dumps({"ts": t, "member": m, "type": "post"}) + "\n")
json.dump(want, open(sys.argv[2], "w"))
X
"$SHOAL" ingest -q "$T/ev.ndjson" 2>"$T/err"
check_eq "ingests" "$?" 0
i=0
for q in "SELECT member, count(post) AS n FROM members ORDER BY member;" \
         "SELECT count(post) AS n, member FROM members ORDER BY member;" \
         "SELECT member AS a, count(post) AS n, member AS b FROM members ORDER BY member;" \
         "SELECT count(post) AS n FROM members ORDER BY member;"; do
    i=$((i + 1))
    "$SHOAL" query --format table "$q" > "$T/out.$i" 2>"$T/err.$i"
    check_eq "shape $i: runs" "$?:$(cat "$T/err.$i")" "0:"
done
check "the output is more than one 64 KB block" test "$(wc -c < "$T/out.1")" -gt 65536

python3 - "$T" <<'X' > "$T/verdict"
import io, json, sys
T = sys.argv[1]
want = json.load(open(T + "/want.json"))
order = sorted(want, key=lambda s: s.encode())

def esc(s):
    o = []
    for ch in s:
        cp = ord(ch)
        if cp < 0x20 or cp == 0x7f: o.append("\\x%02x" % cp)
        else: o.append(ch)
    return "".join(o)

def wid(s):
    return sum(2 if ch == "界" else 1 for ch in s)

shapes = {1: [("member", "s"), ("n", "n")], 2: [("n", "n"), ("member", "s")],
          3: [("a", "s"), ("n", "n"), ("b", "s")], 4: [("n", "n")]}
for k, cols in shapes.items():
    rows = [[esc(m) if t == "s" else str(want[m]) for _, t in cols] for m in order]
    w = [max([wid(h)] + [wid(r[i]) for r in rows]) for i, (h, _) in enumerate(cols)]
    def line(cells, head):
        o = ""
        for i, c in enumerate(cells):
            if i: o += " | "
            right = cols[i][1] == "n" and not head
            if right: o += " " * (w[i] - wid(c)) + c
            else: o += c + (" " * (w[i] - wid(c)) if i < len(cells) - 1 else "")
        return o
    lines = [line([h for h, _ in cols], 1), "-+-".join("-" * x for x in w)]
    lines += [line(r, 0) for r in rows]
    lines.append("(%d rows)" % len(rows))
    exp = "\n".join(lines) + "\n"
    got = io.open(T + "/out.%d" % k, encoding="utf-8", newline="").read()
    if got == exp: print(k, "ok")
    else:
        g, e = got.split("\n"), exp.split("\n")
        j = next((i for i in range(min(len(g), len(e))) if g[i] != e[i]), min(len(g), len(e)))
        print(k, "bad at line %d: got %r want %r" % (j, g[j] if j < len(g) else None, e[j] if j < len(e) else None))
X
check_eq "name then count: every line as the rules write it" "$(sed -n 's/^1 //p' "$T/verdict")" ok
check_eq "count then name: the name ends the line, no trailing spaces" "$(sed -n 's/^2 //p' "$T/verdict")" ok
check_eq "name, count, name: every line as the rules write it" "$(sed -n 's/^3 //p' "$T/verdict")" ok
check_eq "the count alone: every line as the rules write it" "$(sed -n 's/^4 //p' "$T/verdict")" ok
