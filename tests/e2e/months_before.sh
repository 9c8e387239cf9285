#!/usr/bin/env bash
# tests/e2e/months_before.sh — a counters view's months before (issue 17): per series
# that sums nothing, key [series | 0x80][0x00] holds the entries of every month before
# the latest day's month, kept by each batch (late events into earlier months added,
# the old month's bucket added when the latest day moves into a later month, the months
# between from the batch's own events) and by a build, and read in place of those month
# buckets by a window that starts at the first event (all-time counts: full, capped in
# classes, who existed). Events arrive in parts whose latest day crosses three month
# turns (one of them over a month without events), 8% late; after each part, at nows
# inside the latest day, at its end and in an earlier month, views equal the scan and
# `shoal check` is clean. Then: damaged behind shoal's back (dbpoke), check names it and
# the answer moves (it is read); without its mark (a table made before it) or with a
# stale stamp (appended to by a shoal that keeps none) it is not read, check is clean,
# and the answers are the scan's; a rebuild keeps it again.
. "$(dirname "$0")/../lib.sh"

POKE=${UNIT_DIR:-}/dbpoke
[ -x "$POKE" ] || POKE=$(dirname "$SHOAL")/tests/dbpoke
[ -x "$POKE" ] || { fail "months before: dbpoke (make build/release/tests/dbpoke)"; exit 0; }

"$SHOAL" gen --events 30000 --seed 29 --late 0.08 --start 2025-02-20 --days 110 > "$T/ev.ndjson" 2>/dev/null ||
    fail months-before-gen
# the parts: up to each cut (file order), so that the latest day is Feb 27, Mar 1, Mar 30,
# Apr 2, then (a part of nothing but late events and May's) May 3, then the rest; part 4
# holds no April event after its first days, so the latest day jumps from April 2 into May
python3 - "$T" <<'PY'
import json, sys
d = sys.argv[1]
lines = open(d + '/ev.ndjson').read().splitlines()
cuts = ['2025-02-27T10:00', '2025-03-01T05:00', '2025-03-30T13:00', '2025-04-02T08:00', '2025-05-03T00:00', '9999']
ev = [json.loads(l) for l in lines]
i, k = 0, 0
for c in cuts:
    with open('%s/part%d.ndjson' % (d, k), 'w') as f:
        while i < len(lines) and ev[i]['ts'] < c:
            # part 4: April's in-order events after April 2 left out (a month with no
            # new event: the months between); late ones kept
            if not (k == 4 and '2025-04-03' <= ev[i]['ts'][:10] <= '2025-04-30' and (i == 0 or ev[i]['ts'] >= ev[i - 1]['ts'])):
                f.write(lines[i] + '\n')
            i += 1
    k += 1
PY
DEF="CREATE COUNTERS act AS count(*), count(post), sum(post.words), count(comment, reply);
CREATE TIERS t (top WHEN count(post) >= 40, talk WHEN count(comment, reply) >= 25, some WHEN count(*) DURING all_time >= 1, quiet OTHERWISE)"
"$SHOAL" --db "$T/hot" ingest -q /dev/null && "$SHOAL" --db "$T/hot" query "$DEF" > /dev/null || fail months-before-define
# all-time counts: capped (the tiers), full with a WHERE and without, the sum beside them
# (its series keeps none), who existed as of an earlier month
Q="SELECT tier, count(*) AS n FROM tiers(t) GROUP BY tier ORDER BY tier"
R="SELECT member, count(*) DURING all_time AS n, count(post) AS p, count(comment, reply) DURING all_time AS c, sum(post.words) DURING all_time AS w FROM members WHERE count(post) >= 2 OR count(comment, reply) >= 3 ORDER BY member"
S="SELECT count(*) AS n FROM members WHERE count(*) DURING all_time >= 1"
A="SELECT member, count(*) DURING all_time AS n FROM members ORDER BY member"
nows() {   # nows DB: inside the latest event's day, its end, and a noon of the month before
    local end
    end=$("$SHOAL" --db "$1" query --format csv "SELECT max(ts) AS t FROM events" | tail -1)
    python3 - "$end" <<'PY'
import datetime, sys
e = datetime.datetime.fromisoformat(sys.argv[1].replace('Z', '+00:00'))
d = e.replace(hour=0, minute=0, second=0, microsecond=0)
f = lambda t: t.isoformat(timespec='milliseconds').replace('+00:00', 'Z')
for t in [d + datetime.timedelta(hours=12), e, d + datetime.timedelta(days=1) - datetime.timedelta(milliseconds=1),
          d.replace(day=1) - datetime.timedelta(days=3, hours=12)]:
    print(f(t))
PY
}
same_all() {   # same_all DB LABEL: views == scan at every now of nows
    local now
    for now in $(nows "$1"); do
        for q in "$Q" "$R" "$S" "$A"; do
            check_eq "months before: $2, now $now, views == scan (${q:7:20})" \
                "$("$SHOAL" --db "$1" query --format csv "SET NOW = '$now'; $q")" \
                "$("$SHOAL" --db "$1" query --format csv "SET NOW = '$now'; SET VIEWS = off; $q")"
        done
    done
}
for k in 0 1 2 3 4 5; do
    "$SHOAL" --db "$T/hot" ingest -q --batch 500 "$T/part$k.ndjson" || fail "months before: ingest part $k"
    check "months before: part $k, check" "$SHOAL" --db "$T/hot" check
    same_all "$T/hot" "part $k"
done
"$SHOAL" --db "$T/hot" query --format csv "SELECT max(ts) AS t FROM events" | tail -1 > "$T/end"
check_grep "months before: the latest day is in June" '^2025-06-' "$(cat "$T/end")"
cat "$T"/part*.ndjson > "$T/all.ndjson"
"$SHOAL" --db "$T/built" ingest -q "$T/all.ndjson" && "$SHOAL" --db "$T/built" query "$DEF" > /dev/null ||
    fail months-before-built
check "months before: built, check" "$SHOAL" --db "$T/built" check
same_all "$T/built" "built"
"$POKE" "$T/hot" v.act 0x8000 get > /dev/null 2>&1 || fail "months before: kept (key [0x80][0x00])"

end=$(cat "$T/end")
noon=${end:0:10}T12:00:00.000Z
check_grep "months before: EXPLAIN names it" "count\(\*\) DURING all_time: counters act, series 1, .*\(the months to 2025-05 as one\)" \
    "$("$SHOAL" --db "$T/hot" query --format csv "SET NOW = '$noon'; EXPLAIN $R")"
check_grep "months before: not for a series that sums" "sum\(post.words\) DURING all_time: counters act, series [0-9], [^(]*$" \
    "$("$SHOAL" --db "$T/hot" query --format csv "SET NOW = '$noon'; EXPLAIN $R")"
# Damaged behind shoal's back: the count(*) series' first entry's count raised: check
# names it, and the answer moves (it is what is read)
poked_moves "months before" "$T/hot" v.act 0x8000 "series 0, the months before day [0-9-]+'s month differ from a rebuild's" "SET NOW = '$noon'; $A"
# a table without the mark (as made before it): the old way, and check is clean of it
cp -r "$T/hot" "$T/old"
"$POKE" "$T/old" v.act 0xf9 del && "$POKE" "$T/old" v.act 0x8000 del && "$POKE" "$T/old" v.act 0x8200 del ||
    fail "months before: dbpoke del"
check "months before: without them, check" "$SHOAL" --db "$T/old" check
check_grep "months before: without them, EXPLAIN says none" "count\(\*\) DURING all_time: counters act, series 1, .*the month so far\)\"$" \
    "$("$SHOAL" --db "$T/old" query --format csv "SET NOW = '$noon'; EXPLAIN $R")"
same_all "$T/old" "without them"
printf '{"id":"late-x","ts":"2025-03-03T01:02:03.000Z","member":"m-5","type":"post"}\n' > "$T/one.ndjson"
"$SHOAL" --db "$T/old" ingest -q "$T/one.ndjson" || fail "months before: ingest one"
"$POKE" "$T/old" v.act 0xf9 get > /dev/null 2>&1 && fail "months before: an append to a table without them made them"
same_all "$T/old" "without them, appended"
"$SHOAL" --db "$T/old" rebuild act > /dev/null || fail "months before: rebuild"
"$POKE" "$T/old" v.act 0x8000 get > /dev/null 2>&1 || fail "months before: rebuilt, kept again"
check "months before: rebuilt, check" "$SHOAL" --db "$T/old" check
same_all "$T/old" "rebuilt"
# a stale stamp (a shoal that keeps none appended since): a damaged bucket is not read
cp -r "$T/hot" "$T/stale"
"$POKE" "$T/stale" v.act 0x8000 xor 2 0x02 && "$POKE" "$T/stale" v.act 0xf9 xor -1 0x01 || fail "months before: dbpoke stale"
check "months before: a stale stamp, check" "$SHOAL" --db "$T/stale" check
same_all "$T/stale" "a stale stamp"
# a late event into an earlier month, appended to the kept table: added to it
printf '{"id":"late-y","ts":"2025-03-03T01:02:03.000Z","member":"m-7","type":"post"}\n' > "$T/two.ndjson"
"$SHOAL" --db "$T/hot" ingest -q "$T/two.ndjson" || fail "months before: ingest a late one"
check "months before: a late one, check" "$SHOAL" --db "$T/hot" check
same_all "$T/hot" "a late one"
