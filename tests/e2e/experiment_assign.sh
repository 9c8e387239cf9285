#!/usr/bin/env bash
# tests/e2e/experiment_assign.sh — assignment by the hash, independently of everything
# but the salt and the unit's name: the same arms in two databases that hold the same
# members in different orders (other dictionary ids), in separate processes, after
# `shoal rebuild`; the arms are XXH3_64(salt ‖ 0 ‖ name) mod Σweights, checked against
# the xxhsum tool (another build of xxHash); the observed split matches the weights
# (Pearson's chi-square, computed here in Python); and arm(name, member) given before
# any exposure is the arm the evaluation puts the member in once exposed.
. "$(dirname "$0")/../lib.sh"

N=3000
python3 - "$T" $N <<'PY'
import json, random, sys
d, n = sys.argv[1], int(sys.argv[2])
names = ["u-%d" % i for i in range(n)] + ["ü-%d" % i for i in range(20)] + ["名-%d" % i for i in range(20)]
ev = [{"ts": "2025-03-01T00:%02d:%02dZ" % (i // 60 % 60, i % 60), "member": m, "type": "join", "group": "g-%d" % (i % 40)}
      for i, m in enumerate(names)]
# the event types the definitions name, by a member outside the split (no join)
ev += [{"ts": "2025-02-01T00:00:00Z", "member": "zz", "type": "exposure", "experiment": "other"},
       {"ts": "2025-02-01T00:00:01Z", "member": "zz", "type": "post"}]
with open(d + "/a.ndjson", "w") as f:
    for e in ev: f.write(json.dumps(e, ensure_ascii=False) + "\n")
random.Random(7).shuffle(ev)
with open(d + "/b.ndjson", "w") as f:
    for e in ev: f.write(json.dumps(e, ensure_ascii=False) + "\n")
PY
DEF="CREATE EXPERIMENT three ARMS (a 1, b 1, c 2) SALT 'x' METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure;
CREATE EXPERIMENT tilt ARMS (control 20, ritual 80) METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure;
CREATE EXPERIMENT grp ARMS (a 1, b 1) SALT 'g' UNIT group METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure"
ARMS="SELECT member, arm('three', member), arm('tilt', member), arm('grp', group) FROM events WHERE type = 'join' ORDER BY member"
for db in a b; do
    export SHOAL_DB="$T/$db"
    "$SHOAL" ingest -q "$T/$db.ndjson" && "$SHOAL" query "$DEF" >/dev/null || fail "experiment assign: setup $db"
done
export SHOAL_DB="$T/a"
a1=$("$SHOAL" query --format csv "$ARMS" 2>&1)
SHOAL_DB="$T/b" b1=$(SHOAL_DB="$T/b" "$SHOAL" query --format csv "$ARMS" 2>&1)
check_grep "experiment assign: arm() for members and groups" '^u-0,(a|b|c),(control|ritual),(a|b)$' "$a1"
check_eq "experiment assign: the same arms from another database, the members ingested in another order" "$a1" "$b1"
a2=$("$SHOAL" query --format csv "$ARMS" 2>&1)
check_eq "experiment assign: the same arms in another process" "$a1" "$a2"

# the hash, by another implementation: xxhsum -H3 of salt, a 0 byte, the name
if command -v xxhsum >/dev/null; then
    bad=0
    while IFS=, read -r m three tilt grp; do
        h=$(printf '%s\0%s' x "$m" | xxhsum -H3 | sed 's/.* = //')
        t=$(printf '%s\0%s' tilt "$m" | xxhsum -H3 | sed 's/.* = //')
        want=$(python3 -c "h, t = int('$h', 16) % 4, int('$t', 16) % 100; print('abcc'[h] + ',' + ('control' if t < 20 else 'ritual'))")
        [ "$three,$tilt" = "$want" ] || { bad=$((bad + 1)); echo "  $m: $three,$tilt want $want"; }
    done < <(printf '%s\n' "$a1" | tail -n +2 | awk 'NR % 60 == 1 || /^[^u]/')
    check_eq "experiment assign: arm() is XXH3_64(salt, 0, name) mod the weights (xxhsum), unicode names too" "$bad" 0
    g=$(printf '%s\n' "$a1" | grep '^u-7,' | cut -d, -f4)
    h=$(printf '%s\0%s' g g-7 | xxhsum -H3 | sed 's/.* = //')
    check_eq "experiment assign: a group's arm is its name's hash (xxhsum)" "$g" "$(python3 -c "print('ab'[int('$h', 16) % 2])")"
else
    skip "experiment assign: xxhsum is not installed (apt-get install xxhash)"
fi

# the split against the weights: Pearson's chi-square (df 2: p = exp(-X²/2); df 1: p =
# erfc(sqrt(X²/2)))
got=$(printf '%s\n' "$a1" | tail -n +2 | python3 -c '
import math, sys
rows = [l.strip().split(",") for l in sys.stdin]
n = len(rows)
def x2(obs, w):
    return sum((obs[k] - n * w[k]) ** 2 / (n * w[k]) for k in w)
t = {k: sum(r[1] == k for r in rows) for k in "abc"}
r = {k: sum(r[2] == k for r in rows) for k in ("control", "ritual")}
p3 = math.exp(-x2(t, {"a": .25, "b": .25, "c": .5}) / 2)
p2 = math.erfc(math.sqrt(x2(r, {"control": .2, "ritual": .8}) / 2))
print("ok" if p3 > 0.001 and p2 > 0.001 else "p %g %g %s %s" % (p3, p2, t, r))')
check_eq "experiment assign: the observed splits match 1:1:2 and 20:80 (chi-square p > 0.001)" "$got" ok

# before exposure: arm() now, then exposures without an arm and a post by each member
# arm() put in c: the evaluation finds every post in c (mean 1) and none in a or b
printf '%s\n' "$a1" | tail -n +2 | python3 -c '
import json, sys
for l in sys.stdin:
    m, three = l.strip().split(",")[:2]
    print(json.dumps({"ts": "2025-03-02T00:00:00Z", "member": m, "type": "exposure", "experiment": "three"}, ensure_ascii=False))
    if three == "c":
        print(json.dumps({"ts": "2025-03-02T01:00:00Z", "member": m, "type": "post"}, ensure_ascii=False))
' > "$T/x.ndjson"
"$SHOAL" ingest -q "$T/x.ndjson"
want=$(printf '%s\n' "$a1" | tail -n +2 | cut -d, -f2 | sort | uniq -c | awk '{ printf "%s,%s,%s ", $2, $1, ($2 == "c") ? 1 : 0 }')
got=$("$SHOAL" query --format csv "SELECT arm, units, mean FROM experiment(three)" | tail -n +2 | tr '\n' ' ')
check_eq "experiment assign: arm() before exposure is the arm the evaluation assigns" "$got" "$want"
e1=$("$SHOAL" query --format csv "EVALUATE EXPERIMENT three" 2>&1)
"$SHOAL" rebuild >/dev/null 2>&1
check_eq "experiment assign: the same arms after shoal rebuild" "$("$SHOAL" query --format csv "$ARMS" 2>&1)" "$a1"
e2=$("$SHOAL" query --format csv "EVALUATE EXPERIMENT three" 2>&1)
check_eq "experiment assign: the same evaluation after shoal rebuild" "$e2" "$e1"
e3=$("$SHOAL" query --format csv "SET VIEWS = off; EVALUATE EXPERIMENT three" 2>&1 | tail -n +1)
check_eq "experiment assign: the same evaluation from the log (views off)" "$e3" "$e1"
