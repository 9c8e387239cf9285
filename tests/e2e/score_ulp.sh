#!/usr/bin/env bash
# tests/e2e/score_ulp.sh — a score compared with thresholds, read narrow (a byte per
# member: its cell among the cuts, exec_views.c to_cells), decides the members near the
# cell of 0 by their raw sums against raw bounds (raw_bounds: the least raw sum whose
# decayed value fl(r·f) reaches the cut, found one ulp at a time from cut / f, which
# rounds either way). A cut exactly at a member's score, one ulp below and one above,
# for members all over the words of 64: the members at or above, and above, counted
# by classes, equal the count of the printed scores (round-trip doubles) at or above
# and above it; with views on, and with views off (the scan's sums, added in another
# order, may differ from the view's in the last bits: each is held to its own). The
# counts are FILTERs, whose thresholds set members apart from the empty one too (they
# were left out: with views on no member was counted).
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 20000 --members 700 --days 60 --seed 3 > "$T/ev.ndjson" 2>/dev/null || fail score-ulp-gen
"$SHOAL" ingest -q "$T/ev.ndjson" && "$SHOAL" query -q "
CREATE SCORE eng AS 1*comment + 3*post + 0.7*like HALF_LIFE 7 DAYS;
CREATE COUNTERS act AS count(*)" || fail score-ulp-ingest
# after the last event: no tail, every member read through to_cells' words
NOW="SET NOW = '2025-07-01T12:00:00Z'"
q() { "$SHOAL" query --format csv "$NOW; $1" | tail -n +2; }
check_grep "score ulp: the score is read narrow" "a score's cell among them" \
    "$(q "EXPLAIN SELECT eng >= 1 AS a, count(*) AS n FROM members GROUP BY a")"

for views in on off; do
    off=; [ $views = off ] && off="SET VIEWS = off;"
    q "$off SELECT eng FROM members ORDER BY member" > "$T/scores"
    # cuts: 25 members' scores spread over the words of members, each one ulp down and up
    python3 - "$T/scores" > "$T/cuts" <<'PY'
import math, sys
s = [float(l) for l in open(sys.argv[1]) if l.strip()]
pos = sorted(v for v in s if v > 0)
for v in pos[:: max(1, len(pos) // 25)]:
    for c in (math.nextafter(v, -math.inf), v, math.nextafter(v, math.inf)):
        ge = sum(1 for x in s if x >= c)
        gt = sum(1 for x in s if x > c)
        print(repr(c), ge, gt)
PY
    bad=0 n=0
    while read -r c ge gt; do
        n=$((n + 1))
        got=$(q "$off SELECT count(*) FILTER (WHERE eng >= $c) AS ge, count(*) FILTER (WHERE eng > $c) AS gt FROM members" 2>&1)
        if [ "$got" != "$ge,$gt" ]; then
            bad=$((bad + 1)); [ $bad -le 3 ] && echo "  cut $c: got $got, want $ge,$gt"
        fi
    done < "$T/cuts"
    [ "$n" -ge 60 ] && [ $bad -eq 0 ] && ok "score ulp: views $views: $n cuts at, below and above scores" ||
        fail "score ulp: views $views: $n cuts at, below and above scores" "$bad wrong"
done

for f in "count(*) FILTER (WHERE eng >= 1) AS a, count(*) FILTER (WHERE eng > 2.5) AS b FROM members" \
         "sum(1) FILTER (WHERE eng >= 1 AND eng < 5) AS a FROM members" \
         "eng >= 100 AS k, count(*) FILTER (WHERE eng >= 1) AS a, count(*) AS n FROM members GROUP BY k ORDER BY k"; do
    on=$(q "SELECT $f")
    off=$(q "SET VIEWS = off; SELECT $f")
    [ "$on" == "$off" ] && [ -n "$on" ] && [ "${on:0:1}" != 0 ] && ok "score ulp: $f: views == scan" ||
        fail "score ulp: $f: views == scan" "views: $on" "scan: $off"
done
