#!/usr/bin/env bash
# tests/e2e/narrow_now.sh — classes of members (layers, tiers) at a mid-day now with
# later events (issue 17): their counts are still read narrow (a byte per member that
# stops at the thresholds) when a view answers all but the window's edges (the scan adds
# the edges to the byte) and when a part of a month is its month bucket less the other
# days (kept first, taken off each member's month entry before the cap); a score is
# still its cell among its thresholds when it has a tail (the events after now, taken
# off the members they touch). At nows all over the last days the tiers equal the
# scan's (SET VIEWS = off), with thresholds low enough that the edges, the days left
# out and the tail change members' tiers.
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 60000 --seed 21 --late 0.05 --days 24 > "$T/ev.ndjson" 2>/dev/null || fail narrow-now-gen
DEF="CREATE COUNTERS act AS count(*), count(post), count(comment, reply);
CREATE SCORE eng AS 1*checkin + 2*like + 3*comment + 4*reply + 5*post + 20*essence HALF_LIFE 30 DAYS;
CREATE TIERS t (top WHEN eng >= 40 OR count(post) DURING this_month >= 6, talk WHEN count(comment, reply) DURING last 2 days >= 3, busy WHEN count(*) DURING last 7 days >= 9, some WHEN count(*) DURING this_month >= 1, quiet OTHERWISE)"
# kept by small batches, and back-filled
"$SHOAL" --db "$T/hot" ingest -q /dev/null && "$SHOAL" --db "$T/hot" query "$DEF" > /dev/null &&
    "$SHOAL" --db "$T/hot" ingest -q --batch 500 "$T/ev.ndjson" || fail narrow-now-ingest-hot
"$SHOAL" --db "$T/built" ingest -q "$T/ev.ndjson" && "$SHOAL" --db "$T/built" query "$DEF" > /dev/null ||
    fail narrow-now-ingest-built

end=$("$SHOAL" --db "$T/hot" query --format csv "SELECT max(ts) AS t FROM events" | tail -1)
at() {   # at MINUTES: that many minutes (and 7 ms each) before the latest event
    python3 -c "import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); print((t-datetime.timedelta(minutes=int(sys.argv[2]), milliseconds=7 * int(sys.argv[2]))).isoformat(timespec='milliseconds').replace('+00:00','Z'))" "$end" "$1"
}
Q="SELECT tier, count(*) AS n FROM tiers(t) GROUP BY tier ORDER BY tier"
# a month's counts alone (first match wins hides them in the tiers): June less its last days
M="SELECT count(*) DURING this_month >= 40 AS busy, count(post) DURING this_month >= 6 AS poster, count(*) AS n FROM members GROUP BY busy, poster ORDER BY busy, poster"
noon=$(python3 -c "import sys; print(sys.argv[1][:10] + 'T12:00:00.000Z')" "$end")
plan=$("$SHOAL" --db "$T/hot" query --format csv "SET NOW = '$noon'; EXPLAIN $Q")
# at noon the windows' edges are instants on the hour that hold no event: the hours
# around them read whole, no log (issue 17); off the hour, the log for the rest
check_grep "narrow now: at noon, no log for the edges" "every per-member aggregate is read from a view, no log scan" "$plan"
check_grep "narrow now: at noon, the start's hour read whole" "count\(\*\) DURING last 7 days: .*, hours [0-9-]+T12\.\.[0-9-]+T23 UTC" "$plan"
check_grep "narrow now: off the hour, the edges from the log" "the log for the rest of the window" \
    "$("$SHOAL" --db "$T/hot" query --format csv "SET NOW = '$(at 43)'; EXPLAIN $Q")"
check_grep "narrow now: at noon, the score less the log's later events" "less the log's later events" "$plan"
check_grep "narrow now: at noon, every aggregate but who existed read narrow" "  5 of the aggregates read as a byte per member" "$plan"
check_grep "narrow now: at noon, this month's counts read narrow" "  2 of the aggregates read as a byte per member" \
    "$("$SHOAL" --db "$T/hot" query --format csv "SET NOW = '$noon'; EXPLAIN $M")"
n_rows=0
for now in "$noon" $(at 0) $(at 1) $(at 43) $(at 317) $(at 731) $(at 1271) $(at 1999); do
    want=$("$SHOAL" --db "$T/hot" query --format csv "SET NOW = '$now'; SET VIEWS = off; $Q")
    want_m=$("$SHOAL" --db "$T/hot" query --format csv "SET NOW = '$now'; SET VIEWS = off; $M")
    for d in hot built; do
        check_eq "narrow now: $d, now $now, views == scan" \
            "$("$SHOAL" --db "$T/$d" query --format csv "SET NOW = '$now'; $Q")" "$want"
        check_eq "narrow now: $d, now $now, this month's counts, views == scan" \
            "$("$SHOAL" --db "$T/$d" query --format csv "SET NOW = '$now'; $M")" "$want_m"
    done
    n_rows=$((n_rows + $(wc -l <<< "$want") - 1))
done
check_grep "narrow now: every tier at those nows ($n_rows rows)" '^(3[2-9]|40)$' "$n_rows"

# Events at the instants the noon now's windows turn on: the start of last 7 days and of
# last 2 days (noon then, out of the window) and noon itself (in it), each on the hour.
# The hours around them are then not read whole (nor the instant left out): the log
# gives them, and the answers equal the scan's.
python3 - "$noon" > "$T/edge.ndjson" <<'PY'
import datetime, sys
n = datetime.datetime.fromisoformat(sys.argv[1].replace('Z', '+00:00'))
for i, (d, ty) in enumerate([(7, 'checkin'), (2, 'comment'), (0, 'post'), (7, 'post'), (2, 'reply'), (0, 'comment')]):
    t = (n - datetime.timedelta(days=d)).isoformat(timespec='milliseconds').replace('+00:00', 'Z')
    for m in range(4):
        print('{"id":"edge-%d-%d","ts":"%s","member":"m-%d","type":"%s"}' % (i, m, t, 3 + 5 * m + i % 2, ty))
PY
cp -r "$T/built" "$T/edge" && "$SHOAL" --db "$T/edge" ingest -q "$T/edge.ndjson" || fail narrow-now-ingest-edge
C="SELECT member, count(*) DURING last 7 days AS w, count(comment, reply) DURING last 2 days AS t, count(post) DURING this_month AS p, count(*) DURING all_time AS n FROM members WHERE member IN ('m-3', 'm-4', 'm-8', 'm-9', 'm-13', 'm-14', 'm-18', 'm-19') ORDER BY member"
plan=$("$SHOAL" --db "$T/edge" query --format csv "SET NOW = '$noon'; EXPLAIN $C")
check_grep "narrow now: events at the edges' instants, the log for them" "the log for the rest of the window" "$plan"
check_grep "narrow now: events at the edges' instants, rows" '^m-19,[0-9]+,[0-9]+,[0-9]+,[0-9]+$' \
    "$("$SHOAL" --db "$T/edge" query --format csv "SET NOW = '$noon'; $C")"
for q in "$C" "$Q"; do
    check_eq "narrow now: events at the edges' instants, views == scan (${q:0:30})" \
        "$("$SHOAL" --db "$T/edge" query --format csv "SET NOW = '$noon'; $q")" \
        "$("$SHOAL" --db "$T/edge" query --format csv "SET NOW = '$noon'; SET VIEWS = off; $q")"
done

# Classes of members with a score that overflows (1e308 a post: two posts before now and
# two after were inf less inf, a NaN cell, in the view): member e, whose bytes gave the
# same code once the NaN's bit was left out, stays in its own tier (failed when the block
# counter used its counts despite the NaN: e counted with a, top 4).
cat > "$T/nan.ndjson" <<'NDJ'
{"id":"n1","ts":"2025-06-10T10:00:00.000Z","member":"a","type":"post"}
{"id":"n2","ts":"2025-06-10T10:30:00.000Z","member":"a","type":"post"}
{"id":"n3","ts":"2025-06-10T14:00:00.000Z","member":"a","type":"post"}
{"id":"n4","ts":"2025-06-10T14:30:00.000Z","member":"a","type":"post"}
{"id":"n5","ts":"2025-06-09T10:00:00.000Z","member":"b","type":"post"}
{"id":"n6","ts":"2025-06-10T09:00:00.000Z","member":"c","type":"comment"}
{"id":"n7","ts":"2025-06-10T09:00:00.000Z","member":"d","type":"comment"}
{"id":"n8","ts":"2025-06-10T09:30:00.000Z","member":"d","type":"post"}
{"id":"n9","ts":"2025-06-09T10:00:00.000Z","member":"e","type":"checkin"}
{"id":"n10","ts":"2025-06-09T11:00:00.000Z","member":"e","type":"checkin"}
NDJ
"$SHOAL" --db "$T/nan" ingest -q "$T/nan.ndjson" && "$SHOAL" --db "$T/nan" query "CREATE COUNTERS act AS count(*), count(post), count(comment);
CREATE SCORE eng AS 1e308*post + 1*comment HALF_LIFE 30 DAYS;
CREATE TIERS t (top WHEN eng >= 40, talk WHEN count(comment) DURING last 2 days >= 1, busy WHEN count(*) DURING last 7 days >= 2, quiet OTHERWISE)" > /dev/null ||
    fail narrow-now-nan-db
N="SELECT tier, count(*) AS n FROM tiers(t) GROUP BY tier ORDER BY tier"
# (since session 15 a weight above 2^400 is scanned, score_exact.sh: the view's cell is
# no longer NaN, and the block counter's NaN guard is not reached from here)
check_grep "narrow now: an overflowing score is scanned" "eng has a weight above 2\^400" \
    "$("$SHOAL" --db "$T/nan" query --format csv "SET NOW = '2025-06-10T12:00:00.000Z'; EXPLAIN $N")"
check_eq "narrow now: a NaN score's cell, its member a class of its own" "$(printf 'tier,n\nbusy,1\ntalk,1\ntop,3')" \
    "$("$SHOAL" --db "$T/nan" query --format csv "SET NOW = '2025-06-10T12:00:00.000Z'; $N")"
check_eq "narrow now: a NaN score's cell, views == scan" \
    "$("$SHOAL" --db "$T/nan" query --format csv "SET NOW = '2025-06-10T12:00:00.000Z'; $N")" \
    "$("$SHOAL" --db "$T/nan" query --format csv "SET NOW = '2025-06-10T12:00:00.000Z'; SET VIEWS = off; $N")"
