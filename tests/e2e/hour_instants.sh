#!/usr/bin/env bash
# tests/e2e/hour_instants.sh — a counters view's instants on the hour (issue 17): the
# kept hours whose first instant holds an event of a series. A window that starts or
# ends on an hour (a now at noon) reads the hour around that instant whole, or leaves
# the instant out, by them where it probed the log. Events on such instants, on time and
# late, the kept hours moving past some: views equal the scan (SET VIEWS = off) and
# `shoal check` is clean; the stored instants damaged behind shoal's back (dbpoke):
# check names them and the answer moves; without them (a table made before them) the
# log is probed again.
. "$(dirname "$0")/../lib.sh"

POKE=${UNIT_DIR:-}/dbpoke
[ -x "$POKE" ] || POKE=$(dirname "$SHOAL")/tests/dbpoke
[ -x "$POKE" ] || { fail "hour instants: dbpoke (make build/release/tests/dbpoke)"; exit 0; }

"$SHOAL" gen --events 20000 --seed 5 --late 0.03 --start 2025-05-01 --days 45 > "$T/ev.ndjson" 2>/dev/null || fail hour-instants-gen
end=$("$SHOAL" --db "$T/probe" ingest -q "$T/ev.ndjson" && "$SHOAL" --db "$T/probe" query --format csv "SELECT max(ts) AS t FROM events" | tail -1)
noon=${end:0:10}T12:00:00.000Z
# on the instants the noon now's windows turn on: noon itself (in them), the start of
# last 7 days and of last 2 days (out of them); and, in a second part, late ones on
# them again and on an hour 40 days back (before the kept hours: not kept)
python3 - "$noon" "$T" <<'PY'
import datetime, sys
n = datetime.datetime.fromisoformat(sys.argv[1].replace('Z', '+00:00'))
f = lambda t: t.isoformat(timespec='milliseconds').replace('+00:00', 'Z')
with open(sys.argv[2] + '/on.ndjson', 'w') as o:
    for i, (d, ty) in enumerate([(0, 'comment'), (7, 'checkin'), (2, 'reply')]):
        print('{"id":"on-%d","ts":"%s","member":"m-%d","type":"%s"}' % (i, f(n - datetime.timedelta(days=d)), 7 + i, ty), file=o)
with open(sys.argv[2] + '/late.ndjson', 'w') as o:
    for i, (d, h, ty) in enumerate([(0, 0, 'post'), (7, 0, 'post'), (40, 0, 'post'), (1, 5, 'comment')]):
        print('{"id":"late-%d","ts":"%s","member":"m-%d","type":"%s"}' % (i, f(n - datetime.timedelta(days=d, hours=h)), 11 + i, ty), file=o)
PY
DEF="CREATE COUNTERS act AS count(*), count(post), count(comment, reply)"
"$SHOAL" --db "$T/hot" ingest -q /dev/null && "$SHOAL" --db "$T/hot" query "$DEF" > /dev/null &&
    "$SHOAL" --db "$T/hot" ingest -q --batch 900 "$T/ev.ndjson" || fail hour-instants-hot
Q="SELECT member, count(*) DURING last 7 days AS w, count(comment, reply) DURING last 2 days AS t, count(post) DURING last 30 days AS p FROM members ORDER BY member"
same() {   # same DB LABEL
    local now
    for now in "$noon" "${noon:0:10}T05:00:00.000Z" "${noon:0:10}T12:00:00.001Z"; do
        check_eq "hour instants: $2, now $now, views == scan" \
            "$("$SHOAL" --db "$1" query --format csv "SET NOW = '$now'; $Q")" \
            "$("$SHOAL" --db "$1" query --format csv "SET NOW = '$now'; SET VIEWS = off; $Q")"
    done
}
check_grep "hour instants: none on the edges, no log" "every per-member aggregate is read from a view, no log scan" \
    "$("$SHOAL" --db "$T/hot" query --format csv "SET NOW = '$noon'; EXPLAIN $Q")"
same "$T/hot" "none on them"
"$SHOAL" --db "$T/hot" ingest -q "$T/on.ndjson" || fail hour-instants-on
check_grep "hour instants: events on the edges, the log for them" "the log for the rest of the window" \
    "$("$SHOAL" --db "$T/hot" query --format csv "SET NOW = '$noon'; EXPLAIN $Q")"
check "hour instants: on them, check" "$SHOAL" --db "$T/hot" check
same "$T/hot" "on them"
"$SHOAL" --db "$T/hot" ingest -q "$T/late.ndjson" || fail hour-instants-late
check "hour instants: late ones, check" "$SHOAL" --db "$T/hot" check
same "$T/hot" "late ones"
"$SHOAL" --db "$T/built" ingest -q "$T/ev.ndjson" && "$SHOAL" --db "$T/built" ingest -q "$T/on.ndjson" &&
    "$SHOAL" --db "$T/built" ingest -q "$T/late.ndjson" && "$SHOAL" --db "$T/built" query "$DEF" > /dev/null ||
    fail hour-instants-built
check_eq "hour instants: kept alike by batches and by a build" "$("$POKE" "$T/hot" v.act 0xfa get | cut -c17-)" \
    "$("$POKE" "$T/built" v.act 0xfa get | cut -c17-)"
check_grep "hour instants: four kept (noon, 7 and 2 days back, the day before's 07:00)" '^[0-9a-f]{32}$' \
    "$("$POKE" "$T/built" v.act 0xfa get | cut -c17-)"
same "$T/built" "built"

# damaged: the stored instants emptied (the stamp kept): check names them, and the
# answer moves (the hours around the edges are read whole: the event on last 7 days'
# first instant, out of the window, counted)
cp -r "$T/hot" "$T/poke"
stamp=$("$POKE" "$T/poke" v.act 0xfa get | cut -c1-16)
"$POKE" "$T/poke" v.act 0xfa put "0x$stamp" || fail "hour instants: dbpoke"
check_grep "hour instants: check names emptied ones" "the instants on the hour that hold an event differ from a rebuild's" \
    "$("$SHOAL" --db "$T/poke" check 2>&1)"
check_eq "hour instants: emptied ones are read (the answer moves)" "moved" \
    "$([ "$("$SHOAL" --db "$T/poke" query --format csv "SET NOW = '$noon'; $Q")" != \
         "$("$SHOAL" --db "$T/poke" query --format csv "SET NOW = '$noon'; SET VIEWS = off; $Q")" ] && echo moved)"
# without them (as made before them): the log probed, the same answers, check clean
cp -r "$T/hot" "$T/old"
"$POKE" "$T/old" v.act 0xfa del || fail "hour instants: dbpoke del"
check "hour instants: without them, check" "$SHOAL" --db "$T/old" check
same "$T/old" "without them"
