#!/usr/bin/env bash
# tests/e2e/month_so_far.sh — a counters view's month so far (issue 17): per series that
# sums nothing, the days from the start of the latest day's month to that day, kept by
# each batch (and by a build) and read as one bucket where a window's days end at the
# latest day (a now inside it). Events arrive in parts whose latest day moves within a
# month, onto a month's first day and past it, late events among them; after each part,
# at nows inside the latest day and at its edges, views equal the scan (SET VIEWS =
# off) and `shoal check` is clean. Then the stored bucket is damaged behind shoal's
# back (dbpoke): check names it and the answer moves with it; without its mark (a table
# made before it) or with a stale stamp (appended to by a shoal that keeps none) it is
# not read, and the answers are the scan's again.
. "$(dirname "$0")/../lib.sh"

POKE=${UNIT_DIR:-}/dbpoke
[ -x "$POKE" ] || POKE=$(dirname "$SHOAL")/tests/dbpoke
[ -x "$POKE" ] || { fail "month so far: dbpoke (make build/release/tests/dbpoke)"; exit 0; }

"$SHOAL" gen --events 24000 --seed 17 --late 0.05 --start 2025-05-22 --days 16 > "$T/ev.ndjson" 2>/dev/null ||
    fail month-so-far-gen
# the parts: the events (in file order) up to the first in-order one at or after each
# instant, so that the latest day is May 30, May 31, June 1 (a month's first day: the
# month so far is empty), June 1 again, June 2 (a day's turn inside June), June 5
python3 - "$T" <<'PY'
import json, sys
d = sys.argv[1]
lines = open(d + '/ev.ndjson').read().splitlines()
cuts = ['2025-05-30T09:00', '2025-05-31T20:00', '2025-06-01T00:40', '2025-06-01T13:00', '2025-06-02T03:00',
        '2025-06-05T11:00', '9999']
i, k = 0, 0
for c in cuts:
    with open('%s/part%d.ndjson' % (d, k), 'w') as f:
        while i < len(lines) and json.loads(lines[i])['ts'] < c:
            f.write(lines[i] + '\n')
            i += 1
    k += 1
PY
DEF="CREATE COUNTERS act AS count(*), count(post), sum(post.words), count(comment, reply);
CREATE SCORE eng AS 1*checkin + 2*like + 3*comment + 4*reply + 5*post + 20*essence HALF_LIFE 30 DAYS;
CREATE TIERS t (top WHEN eng >= 40 OR count(post) DURING this_month >= 6, talk WHEN count(comment, reply) DURING last 2 days >= 3, busy WHEN count(*) DURING last 7 days >= 9, some WHEN count(*) DURING this_month >= 1, quiet OTHERWISE)"
"$SHOAL" --db "$T/hot" ingest -q /dev/null && "$SHOAL" --db "$T/hot" query "$DEF" > /dev/null || fail month-so-far-define
# counts that stop at thresholds (the tiers, who existed), full counts of every member,
# and a sum beside them (its series keeps no month so far)
Q="SELECT tier, count(*) AS n FROM tiers(t) GROUP BY tier ORDER BY tier"
R="SELECT member, count(*) DURING this_month AS a, count(comment, reply) DURING last 3 days AS c, count(post) DURING this_month AS p, sum(post.words) DURING this_month AS w, count(*) DURING all_time AS n FROM members ORDER BY member"
nows() {   # nows DB: instants inside the latest event's day and at its edges
    local end
    end=$("$SHOAL" --db "$1" query --format csv "SELECT max(ts) AS t FROM events" | tail -1)
    python3 - "$end" <<'PY'
import datetime, sys
e = datetime.datetime.fromisoformat(sys.argv[1].replace('Z', '+00:00'))
d = e.replace(hour=0, minute=0, second=0, microsecond=0)
f = lambda t: t.isoformat(timespec='milliseconds').replace('+00:00', 'Z')
for t in [d, d + datetime.timedelta(milliseconds=1), d + datetime.timedelta(hours=12), e - datetime.timedelta(minutes=97),
          e, d + datetime.timedelta(days=1) - datetime.timedelta(milliseconds=1), d - datetime.timedelta(hours=5)]:
    if t <= e + datetime.timedelta(days=1): print(f(t))
PY
}
same_all() {   # same_all DB LABEL: views == scan at every now of nows
    local now
    for now in $(nows "$1"); do
        for q in "$Q" "$R"; do
            check_eq "month so far: $2, now $now, views == scan (${q:7:20})" \
                "$("$SHOAL" --db "$1" query --format csv "SET NOW = '$now'; $q")" \
                "$("$SHOAL" --db "$1" query --format csv "SET NOW = '$now'; SET VIEWS = off; $q")"
        done
    done
}
for k in 0 1 2 3 4 5 6; do
    "$SHOAL" --db "$T/hot" ingest -q --batch 700 "$T/part$k.ndjson" || fail "month so far: ingest part $k"
    check "month so far: part $k, check" "$SHOAL" --db "$T/hot" check
    same_all "$T/hot" "part $k"
done
"$SHOAL" --db "$T/built" ingest -q "$T/ev.ndjson" && "$SHOAL" --db "$T/built" query "$DEF" > /dev/null ||
    fail month-so-far-built
check "month so far: built, check" "$SHOAL" --db "$T/built" check
same_all "$T/built" "built"

end=$("$SHOAL" --db "$T/hot" query --format csv "SELECT max(ts) AS t FROM events" | tail -1)
noon=${end:0:10}T12:00:00.000Z
check_eq "month so far: the latest day" "2025-06-06" "${end:0:10}"
plan=$("$SHOAL" --db "$T/hot" query --format csv "SET NOW = '$noon'; EXPLAIN $Q")
check_grep "month so far: EXPLAIN names it" "days 2025-06-01\.\.2025-06-05, .*\(2025-06-01\.\.05 the month so far\)" "$plan"
check_grep "month so far: full counts read it" "count\(\*\) DURING this_month: counters act, series 1, days 2025-06-01\.\.2025-06-05, hours .*the month so far" \
    "$("$SHOAL" --db "$T/hot" query --format csv "SET NOW = '$noon'; EXPLAIN $R")"
check_grep "month so far: every member's row" '^[6-9][0-9][0-9]$' \
    "$("$SHOAL" --db "$T/hot" query --format csv "SET NOW = '$noon'; $R" | wc -l)"
check_grep "month so far: not for a series that sums" "sum\(post.words\) DURING this_month: counters act, series 2, days 2025-06-01\.\.2025-06-05, hours [^(]*$" \
    "$("$SHOAL" --db "$T/hot" query --format csv "SET NOW = '$noon'; EXPLAIN $R")"

# Damaged behind shoal's back: the count(*) series' (its key [0][0]) first entry's count
# raised, and an entry's member moved: check fails naming it, and the answers move
poked_moves "month so far" "$T/hot" v.act 0x0000 "series 0, the month so far \(to day [0-9]+\) differs from a rebuild's" "SET NOW = '$noon'; $R"
# a table without the mark (as made before it): the old way, and check is clean of it
cp -r "$T/hot" "$T/old"
"$POKE" "$T/old" v.act 0xfb del && "$POKE" "$T/old" v.act 0x0000 del && "$POKE" "$T/old" v.act 0x0200 del ||
    fail "month so far: dbpoke del"
check "month so far: without them, check" "$SHOAL" --db "$T/old" check
check_grep "month so far: without them, EXPLAIN says none" "series 1, days 2025-06-01\.\.2025-06-05, hours [^(]*$" \
    "$("$SHOAL" --db "$T/old" query --format csv "SET NOW = '$noon'; EXPLAIN $Q")"
"$POKE" "$T/old" v.act 0xfb get > /dev/null 2>&1 && fail "month so far: the mark is gone"
same_all "$T/old" "without them"
# an appended table keeps reading the old way until a rebuild
printf '{"id":"late-x","ts":"%s","member":"m-5","type":"post"}\n' "${end:0:10}T01:02:03.000Z" > "$T/one.ndjson"
"$SHOAL" --db "$T/old" ingest -q "$T/one.ndjson" || fail "month so far: ingest one"
"$POKE" "$T/old" v.act 0xfb get > /dev/null 2>&1 && fail "month so far: an append to a table without them made them"
same_all "$T/old" "without them, appended"
"$SHOAL" --db "$T/old" rebuild act > /dev/null || fail "month so far: rebuild"
check_grep "month so far: rebuilt, kept again" "\(2025-06-01\.\.05 the month so far\)" \
    "$("$SHOAL" --db "$T/old" query --format csv "SET NOW = '$noon'; EXPLAIN $Q")"
check "month so far: rebuilt, check" "$SHOAL" --db "$T/old" check
same_all "$T/old" "rebuilt"
# a stale stamp (a shoal that keeps none appended since): a damaged bucket is not read
cp -r "$T/hot" "$T/stale"
"$POKE" "$T/stale" v.act 0x0000 xor 2 0x02 && "$POKE" "$T/stale" v.act 0xfb xor -1 0x01 || fail "month so far: dbpoke stale"
check "month so far: a stale stamp, check" "$SHOAL" --db "$T/stale" check
same_all "$T/stale" "a stale stamp"
