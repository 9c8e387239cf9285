#!/usr/bin/env bash
# tests/e2e/firstlast.sh — the first/last view kind (CREATE FIRSTLAST): each member's
# earliest and latest event per series, back-filled over part of the log and kept by
# ingest for the rest (joins that arrive late, members with several joins or none:
# cohort_data.py), checked against sqlite3 over the same events and against the log
# scan (views off); AS OF a date (first() stays on the view, last() reads the log, and
# EXPLAIN says which); check, rebuild, duplicates; the errors at their positions.
. "$(dirname "$0")/../lib.sh"

if ! command -v sqlite3 >/dev/null; then
    fail firstlast "sqlite3 is not installed (apt-get install sqlite3)"
    exit 0
fi
python3 "$SHOAL_TESTS/e2e/cohort_data.py" 11 400 > "$T/ev.ndjson" || { fail firstlast-gen; exit 0; }
n=$(wc -l < "$T/ev.ndjson")
head -n $((n / 2)) "$T/ev.ndjson" > "$T/a.ndjson"
tail -n +$((n / 2 + 1)) "$T/ev.ndjson" > "$T/b.ndjson"
"$SHOAL" ingest -q "$T/a.ndjson" || { fail firstlast-ingest; exit 0; }
check "firstlast: CREATE FIRSTLAST back-fills" "$SHOAL" query \
    "CREATE FIRSTLAST seen AS first(join), last(join), first(post), last(post), first(comment, like WHERE to IS NOT NULL), last(join, post, comment, like)"
# the second half (the late joins are at its end) is kept by ingest
"$SHOAL" ingest -q "$T/b.ndjson" || { fail firstlast-ingest2; exit 0; }

oracle_load "$T/ev.ndjson" <<'SQL' || { fail firstlast-oracle-load; exit 0; }
CREATE VIEW ev AS SELECT rowid AS seq,
    CAST(round((julianday(json_extract(j, '$.ts')) - 2440587.5) * 86400000) AS INTEGER) AS ms,
    json_extract(j, '$.member') AS member, json_extract(j, '$.type') AS type,
    json_extract(j, '$.to') AS "to" FROM raw;
SQL

# times as shoal prints them (milliseconds when not whole seconds)
same() {
    local name=$1 q=$2 sql=$3 a b
    a=$("$SHOAL" query --format csv "$q" 2>&1 | tail -n +2 | sed 's/\.000Z/Z/g')
    b=$(sqlite3 -csv "$T/oracle.db" "$sql" 2>&1 | sed 's/\.000Z/Z/g')
    if [ -z "$b" ]; then fail "$name" "the oracle returned nothing: $sql"; return; fi
    if rows_close "$a" "$b"; then ok "$name"; else fail "$name" "shoal:" "$(printf '%s\n' "$a" | head -5)" "sqlite:" "$(printf '%s\n' "$b" | head -5)"; fi
}
iso() { printf "strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', %s / 1000.0, 'unixepoch')" "$1"; }
COLS="first(join) AS j1, last(join) AS jn, first(post) AS p1, last(post) AS pn,
  first(comment, like WHERE to IS NOT NULL) AS c1, last(join, post, comment, like) AS an"
# the oracle's columns, up to the instant (ms) $1
ocols() {
    local c=$1
    echo "$(iso "(SELECT min(ms) FROM ev e WHERE e.member = m.member AND type = 'join' AND ms <= $c)"),
  $(iso "(SELECT max(ms) FROM ev e WHERE e.member = m.member AND type = 'join' AND ms <= $c)"),
  $(iso "(SELECT min(ms) FROM ev e WHERE e.member = m.member AND type = 'post' AND ms <= $c)"),
  $(iso "(SELECT max(ms) FROM ev e WHERE e.member = m.member AND type = 'post' AND ms <= $c)"),
  $(iso "(SELECT min(ms) FROM ev e WHERE e.member = m.member AND type IN ('comment', 'like') AND \"to\" IS NOT NULL AND ms <= $c)"),
  $(iso "(SELECT max(ms) FROM ev e WHERE e.member = m.member AND ms <= $c)")"
}
ALL=9223372036854775807
same "firstlast: per member, from the view, against sqlite (late joins kept by ingest)" \
    "SELECT member, $COLS FROM members ORDER BY member" \
    "SELECT member, $(ocols $ALL) FROM (SELECT DISTINCT member FROM ev) m ORDER BY member"
same "firstlast: the same from the log (views off)" \
    "SET VIEWS = off; SELECT member, $COLS FROM members ORDER BY member" \
    "SELECT member, $(ocols $ALL) FROM (SELECT DISTINCT member FROM ev) m ORDER BY member"
plan=$("$SHOAL" query "EXPLAIN SELECT member, $COLS FROM members")
check_grep "firstlast: EXPLAIN, every aggregate from the view" "views: every per-member aggregate is read from a view, no log scan" "$plan"
check_grep "firstlast: EXPLAIN names the view and the series" "first\(join\): firstlast seen, series 1, each member's earliest event" "$plan"
check_grep "firstlast: last() of another series" "last\(join, post, comment, like\): firstlast seen, series 4, each member's latest event" "$plan"

# AS OF a date: first() is exact from the view (a first after the date means none by
# then); last() needs the events the view does not keep, and reads the log
CUT="2025-02-20T00:00:00.000Z"
CUTMS=$(sqlite3 "$T/oracle.db" "SELECT CAST(round((julianday('$CUT') - 2440587.5) * 86400000) AS INTEGER)")
same "firstlast: AS OF a date" \
    "SELECT member, $COLS FROM members ORDER BY member AS OF '$CUT'" \
    "SELECT member, $(ocols $CUTMS) FROM (SELECT DISTINCT member FROM ev WHERE ms <= $CUTMS) m ORDER BY member"
plan=$("$SHOAL" query "EXPLAIN SELECT member, first(post) AS p1, last(post) AS pn FROM members AS OF '$CUT'")
check_grep "firstlast: EXPLAIN AS OF, first() from the view" "first\(post\): firstlast seen, series 2, each member's earliest event \(none when at or after the window's end\)" "$plan"
check_grep "firstlast: EXPLAIN AS OF, last() from the log, and why" "last\(post\): its window ends before view seen's latest event, which keeps only each member's latest" "$plan"
same "firstlast: SET NOW in the past is AS OF" \
    "SET NOW = '$CUT'; SELECT member, first(post) AS p1, last(post) AS pn FROM members WHERE first(post) IS NOT NULL ORDER BY member" \
    "SELECT member, $(iso "(SELECT min(ms) FROM ev e WHERE e.member = m.member AND type = 'post' AND ms <= $CUTMS)"),
            $(iso "(SELECT max(ms) FROM ev e WHERE e.member = m.member AND type = 'post' AND ms <= $CUTMS)")
     FROM (SELECT DISTINCT member FROM ev WHERE type = 'post' AND ms <= $CUTMS) m ORDER BY member"

# windows: DURING all_time is the view's; a window that starts later reads the log
NOWMS=$(sqlite3 "$T/oracle.db" "SELECT CAST(round((julianday('2025-04-30T12:00:00') - 2440587.5) * 86400000) AS INTEGER)")
MAR=$(sqlite3 "$T/oracle.db" "SELECT CAST(round((julianday('2025-03-01') - 2440587.5) * 86400000) AS INTEGER)")
APR=$(sqlite3 "$T/oracle.db" "SELECT CAST(round((julianday('2025-04-01') - 2440587.5) * 86400000) AS INTEGER)")
same "firstlast: DURING windows, view and log together" \
    "SET NOW = '2025-04-30T12:00:00Z'; SELECT member, first(post) DURING all_time AS a, first(post) DURING last_month AS b,
            last(post) DURING this_month AS c FROM members ORDER BY member" \
    "SELECT member, $(iso "(SELECT min(ms) FROM ev e WHERE e.member = m.member AND type = 'post' AND ms <= $NOWMS)"),
            $(iso "(SELECT min(ms) FROM ev e WHERE e.member = m.member AND type = 'post' AND ms >= $MAR AND ms < $APR)"),
            $(iso "(SELECT max(ms) FROM ev e WHERE e.member = m.member AND type = 'post' AND ms >= $APR AND ms <= $NOWMS)")
     FROM (SELECT DISTINCT member FROM ev WHERE ms <= $NOWMS) m ORDER BY member"

# the newcomers' question, from the view: per month of joining, members, those who posted
# after joining and the median days from the join to the first post
same "firstlast: newcomers per join month, from the view" \
    "SELECT month(first(join)) AS cohort, count(*) AS joined,
            sum(CASE WHEN first(post) >= first(join) THEN 1 ELSE 0 END) AS posters,
            median(CASE WHEN first(post) >= first(join) THEN (first(post) - first(join)) / 1 DAYS END) AS median_days
     FROM members WHERE first(join) IS NOT NULL GROUP BY cohort ORDER BY cohort" \
    "WITH m AS (SELECT member, min(CASE WHEN type = 'join' THEN ms END) AS j, min(CASE WHEN type = 'post' THEN ms END) AS p
                FROM ev GROUP BY member),
          d AS (SELECT strftime('%Y-%m', j / 1000, 'unixepoch') AS c, CASE WHEN p >= j THEN (p - j) / 86400000.0 END AS dd FROM m WHERE j IS NOT NULL),
          r AS (SELECT c, dd, row_number() OVER (PARTITION BY c ORDER BY dd) AS i, count(*) OVER (PARTITION BY c) AS n FROM d WHERE dd IS NOT NULL),
          med AS (SELECT c, avg(dd) AS md FROM r WHERE i IN ((n + 1) / 2, (n + 2) / 2) GROUP BY c)
     SELECT d.c, count(*), sum(dd IS NOT NULL), (SELECT md FROM med WHERE med.c = d.c) FROM d GROUP BY d.c ORDER BY d.c"
plan=$("$SHOAL" query "EXPLAIN SELECT month(first(join)) AS c, count(*) FROM members WHERE first(join) IS NOT NULL GROUP BY c")
check_grep "firstlast: the newcomers' question reads no log" "views: every per-member aggregate is read from a view, no log scan" "$plan"

# check, rebuild, duplicates
check "firstlast: check after ingests" "$SHOAL" check
"$SHOAL" ingest -q "$T/ev.ndjson" 2>/dev/null
check "firstlast: check after a duplicate ingest" "$SHOAL" check
check "firstlast: rebuild" "$SHOAL" rebuild seen
check "firstlast: check after rebuild" "$SHOAL" check
shown=$("$SHOAL" query --format csv "SHOW VIEWS")
check_grep "firstlast: SHOW VIEWS lists the kind" "^seen,firstlast," "$shown"

err() {
    local name=$1 q=$2 want=$3 got
    got=$("$SHOAL" query "$q" 2>&1)
    check_eq "$name" "$got" "$want"
}
err "firstlast: only first() and last()" "CREATE FIRSTLAST bad AS first(join), count(post)" \
'query:1:38: error: a first/last view keeps first(TYPE, … [WHERE …]) and last(…)
CREATE FIRSTLAST bad AS first(join), count(post)
                                     ^~~~~~~~~~~'
err "firstlast: no window" "CREATE FIRSTLAST bad AS first(join) DURING this_month" \
'query:1:44: error: a first/last view keeps the whole log: give the window in the query, not here
CREATE FIRSTLAST bad AS first(join) DURING this_month
                                           ^~~~~~~~~~'
err "firstlast: counters keep no first()" "CREATE COUNTERS bad AS count(post), first(join)" \
'query:1:37: error: a counters view keeps count, sum and avg: first and last are kept by CREATE FIRSTLAST
CREATE COUNTERS bad AS count(post), first(join)
                                    ^~~~~~~~~~~'
err "firstlast: DROP of the wrong kind" "DROP COUNTERS seen" \
'query:1:15: error: "seen" is not a counters view
DROP COUNTERS seen
              ^~~~'
err "firstlast: first(*) is not kept" "CREATE FIRSTLAST bad AS last(*)" \
'query:1:25: error: first() and last() over members take event types: last(post, comment)
CREATE FIRSTLAST bad AS last(*)
                        ^~~~~~~'
check "firstlast: DROP FIRSTLAST" "$SHOAL" query "DROP FIRSTLAST seen"
