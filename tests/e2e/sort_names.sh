# sort_names.sh — rows sorted by a name (the radix sort on its first 8 bytes, exec_sort.c:
# 11-bit digits starting where two keys differ, the prefix read without a call, runs of
# equal prefixes sorted whole): five sets of members, each its own count of posts so
# that WHERE picks one: names of 1 to 12 bytes of a few letters and é; names sharing
# their first 8 bytes (one run, no digit); names that differ only in their first
# byte's bit 5 and their last byte's low bits (two digits far apart); names of 1 to 3
# bytes; names of 4 to 7 bytes. Each set and all of them, ASC and DESC, against
# Python's sort of the names' bytes.
. "$SHOAL_TESTS/lib.sh"

python3 - "$T/ev.ndjson" "$T/sets" <<'X'
import json, random, sys
rnd = random.Random(7)
sets = {1: set(), 2: set(), 3: set(), 4: set(), 5: set()}
while len(sets[1]) < 300:
    sets[1].add("".join(rnd.choice("ab~é") for _ in range(rnd.randint(1, 12))))
while len(sets[2]) < 100:
    sets[2].add("zzzzzzzz" + "".join(rnd.choice("xyz") for _ in range(rnd.randint(0, 6))))
for f in "Aa":
    for c in range(64):
        sets[3].add(f + "mmmmmm" + chr(0x30 + c))
for a in "abcdefghij":
    sets[4].add(a)
    for b in "klmnopq":
        sets[4].add(a + b)
        sets[4].add(a + b + "r")
while len(sets[5]) < 200:
    sets[5].add("".join(rnd.choice("abcdefgh") for _ in range(rnd.randint(4, 7))))
seen = set()
out = open(sys.argv[1], "w")
t = 1700000000000
names = open(sys.argv[2], "w")
for k in sorted(sets):
    for m in sorted(sets[k]):
        if m in seen: continue
        seen.add(m)
        names.write("%d\t%s\n" % (k, m))
        for _ in range(k):
            t += 1000
            out.write(json.dumps({"ts": t, "member": m, "type": "post"}) + "\n")
X
"$SHOAL" ingest -q "$T/ev.ndjson" 2>"$T/err"
check_eq "ingests" "$?" 0
for k in 0 1 2 3 4 5; do
    where=""
    [ "$k" -gt 0 ] && where="WHERE count(post) = $k"
    for dir in ASC DESC; do
        "$SHOAL" query --format csv "SELECT member FROM members $where ORDER BY member $dir;" 2>&1 | tail -n +2 > "$T/got"
        python3 - "$T/sets" "$k" "$dir" <<'X' > "$T/want"
import sys
k, d = int(sys.argv[2]), sys.argv[3]
ms = [l.rstrip("\n").split("\t", 1) for l in open(sys.argv[1], encoding="utf-8")]
ms = [m for s, m in ms if k == 0 or int(s) == k]
for m in sorted(ms, key=lambda s: s.encode(), reverse=(d == "DESC")): print(m)
X
        check "set $k $dir: rows in the names' byte order" cmp "$T/got" "$T/want"
    done
done
