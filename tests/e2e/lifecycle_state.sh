#!/usr/bin/env bash
# tests/e2e/lifecycle_state.sh — lifecycle_state(activity, unit [, n]), each member's
# lifecycle state now or AS OF a date (new, returning, resurrecting, dormant, churned
# after n idle periods), checked against sqlite3 over the same events (cohort_data.py)
# in a time zone other than UTC (local weeks and months): in SELECT, GROUP BY, WHERE, a
# layer and tiers, with views on and off; the errors at their positions.
. "$(dirname "$0")/../lib.sh"

if ! command -v sqlite3 >/dev/null; then
    fail lifecycle_state "sqlite3 is not installed (apt-get install sqlite3)"
    exit 0
fi
python3 "$SHOAL_TESTS/e2e/cohort_data.py" 5 400 > "$T/ev.ndjson" || { fail lifecycle_state-gen; exit 0; }
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail lifecycle_state-ingest; exit 0; }
"$SHOAL" query -q "SET DATABASE TIMEZONE = 'Asia/Shanghai'; CREATE ACTIVITY speaking ON post, comment" >/dev/null ||
    { fail lifecycle_state-create; exit 0; }

oracle_load "$T/ev.ndjson" <<'SQL' || { fail lifecycle_state-oracle-load; exit 0; }
CREATE VIEW ev AS SELECT rowid AS seq,
    CAST(round((julianday(json_extract(j, '$.ts')) - 2440587.5) * 86400000) AS INTEGER) AS ms,
    json_extract(j, '$.member') AS member, json_extract(j, '$.type') AS type FROM raw;
SQL

same() {
    local name=$1 q=$2 sql=$3 a b
    a=$("$SHOAL" query --format csv "$q" 2>&1 | tail -n +2)
    b=$(sqlite3 -csv "$T/oracle.db" "$sql" 2>&1)
    if [ -z "$b" ]; then fail "$name" "the oracle returned nothing: $sql"; return; fi
    if [ "$a" == "$b" ]; then ok "$name"; else fail "$name" "shoal:" "$(printf '%s\n' "$a" | head -8)" "sqlite:" "$(printf '%s\n' "$b" | head -8)"; fi
}
ms_of() { sqlite3 "$T/oracle.db" "SELECT CAST(round((julianday('$1') - 2440587.5) * 86400000) AS INTEGER)"; }
LOCAL="datetime(ms / 1000, 'unixepoch', '+8 hours')"   # Asia/Shanghai: UTC+8, no DST
# oracle STATE-SQL for unit (week|month), now (ms), churn n (0: none)
states() {
    local unit=$1 now=$2 k=$3 per pnow pprev idle
    if [ "$unit" = day ]; then
        per="date($LOCAL)"
        pnow=$(sqlite3 "$T/oracle.db" "SELECT date(datetime($now / 1000, 'unixepoch', '+8 hours'))")
        pprev=$(sqlite3 "$T/oracle.db" "SELECT date('$pnow', '-1 days')")
        idle="CAST(round(julianday('$pnow') - julianday(s.l)) AS INTEGER)"
    elif [ "$unit" = week ]; then
        per="date($LOCAL, '-6 days', 'weekday 1')"
        pnow=$(sqlite3 "$T/oracle.db" "SELECT date(datetime($now / 1000, 'unixepoch', '+8 hours'), '-6 days', 'weekday 1')")
        pprev=$(sqlite3 "$T/oracle.db" "SELECT date('$pnow', '-7 days')")
        idle="CAST(round(julianday('$pnow') - julianday(s.l)) AS INTEGER) / 7"
    else
        per="strftime('%Y-%m', $LOCAL)"
        pnow=$(sqlite3 "$T/oracle.db" "SELECT strftime('%Y-%m', datetime($now / 1000, 'unixepoch', '+8 hours'))")
        pprev=$(sqlite3 "$T/oracle.db" "SELECT strftime('%Y-%m', date('$pnow-01', '-1 month'))")
        idle="((CAST(substr('$pnow', 1, 4) AS INTEGER) * 12 + CAST(substr('$pnow', 6, 2) AS INTEGER))
               - (CAST(substr(s.l, 1, 4) AS INTEGER) * 12 + CAST(substr(s.l, 6, 2) AS INTEGER)))"
    fi
    echo "WITH a AS (SELECT member, $per AS q FROM ev WHERE type IN ('post', 'comment') AND ms <= $now),
      s AS (SELECT member, min(q) AS f, max(q) AS l, max(q = '$pprev') AS p FROM a GROUP BY member),
      m AS (SELECT DISTINCT member FROM ev WHERE ms <= $now)
      SELECT m.member, CASE WHEN s.member IS NULL THEN NULL
        WHEN s.l = '$pnow' THEN CASE WHEN s.f = '$pnow' THEN 'new' WHEN s.p THEN 'returning' ELSE 'resurrecting' END
        WHEN $k > 0 AND $idle >= $k THEN 'churned' ELSE 'dormant' END AS st
      FROM m LEFT JOIN s USING (member)"
}
NOW="2025-03-20T12:00:00Z"
NOWMS=$(ms_of 2025-03-20T12:00:00)
same "lifecycle_state: per member, weekly, churned after 3 idle weeks" \
    "SET NOW = '$NOW'; SELECT member, lifecycle_state(speaking, WEEK, 3) AS s FROM members ORDER BY member" \
    "$(states week "$NOWMS" 3) ORDER BY member"
same "lifecycle_state: weekly without churn (dormant however long)" \
    "SET NOW = '$NOW'; SELECT member, lifecycle_state(speaking, week) AS s FROM members ORDER BY member" \
    "$(states week "$NOWMS" 0) ORDER BY member"
same "lifecycle_state: monthly, churned after 2 idle months, grouped" \
    "SET NOW = '$NOW'; SELECT lifecycle_state(speaking, MONTH, 2) AS s, count(*) AS n FROM members GROUP BY s ORDER BY s" \
    "SELECT st, count(*) FROM ($(states month "$NOWMS" 2)) GROUP BY st ORDER BY st"
same "lifecycle_state: with views on (a counters view keeping count(*))" \
    "CREATE COUNTERS c AS count(*), count(post); SET NOW = '$NOW';
     SELECT member, count(post) AS posts, lifecycle_state(speaking, WEEK, 3) AS s FROM members ORDER BY member; DROP COUNTERS c" \
    "SELECT member, (SELECT count(*) FROM ev e WHERE e.member = o.member AND type = 'post' AND ms <= $NOWMS), st
     FROM ($(states week "$NOWMS" 3)) o ORDER BY member"
same "lifecycle_state: in WHERE" \
    "SET NOW = '$NOW'; SELECT member FROM members WHERE lifecycle_state(speaking, WEEK, 3) IN ('churned', 'resurrecting') ORDER BY member" \
    "SELECT member FROM ($(states week "$NOWMS" 3)) WHERE st IN ('churned', 'resurrecting') ORDER BY member"
CUT="2025-02-10T03:00:00Z"
CUTMS=$(ms_of 2025-02-10T03:00:00)
same "lifecycle_state: AS OF a date" \
    "SELECT member, lifecycle_state(speaking, WEEK, 2) AS s FROM members ORDER BY member AS OF '$CUT'" \
    "$(states week "$CUTMS" 2) ORDER BY member"
check "lifecycle_state: a layer and tiers over it" "$SHOAL" query \
    "CREATE LAYER lapsed AS lifecycle_state(speaking, WEEK, 3) = 'churned';
     CREATE TIERS lc (fresh WHEN lifecycle_state(speaking, WEEK, 3) IN ('new', 'returning'),
                      back WHEN lifecycle_state(speaking, WEEK, 3) = 'resurrecting',
                      gone WHEN member IN lapsed, other OTHERWISE)"
same "lifecycle_state: member IN a layer" \
    "SET NOW = '$NOW'; SELECT count(*) FROM members WHERE member IN lapsed" \
    "SELECT count(*) FROM ($(states week "$NOWMS" 3)) WHERE st = 'churned'"
same "lifecycle_state: tiers" \
    "SET NOW = '$NOW'; SELECT tier, count(*) FROM tiers(lc) GROUP BY tier ORDER BY tier" \
    "SELECT CASE WHEN st IN ('new', 'returning') THEN 'fresh' WHEN st = 'resurrecting' THEN 'back' WHEN st = 'churned' THEN 'gone'
            ELSE 'other' END AS t, count(*) FROM ($(states week "$NOWMS" 3)) GROUP BY t ORDER BY t"
# from the activity view (kept in Asia/Shanghai) and from the log: the same states, at
# a mid-day now (now's day from the log), at a day's end, AS OF, and with views off
for now in "2025-03-20T12:00:00Z" "2025-03-20T15:59:59.999Z" "2025-02-28T16:00:00Z"; do
    nms=$(ms_of "$(echo "$now" | sed 's/Z$//; s/T/ /')")
    for v in on off; do
        same "lifecycle_state: views $v, now $now" \
            "SET VIEWS = $v; SET NOW = '$now'; SELECT member, lifecycle_state(speaking, WEEK, 2) AS w, lifecycle_state(speaking, MONTH) AS m,
                    lifecycle_state(speaking, DAY, 5) AS d FROM members ORDER BY member" \
            "SELECT w.member, w.st, m.st, d.st FROM ($(states week "$nms" 2)) w JOIN ($(states month "$nms" 0)) m USING (member)
               JOIN ($(states day "$nms" 5)) d USING (member) ORDER BY w.member"
    done
done
plan=$("$SHOAL" query "SET NOW = '$NOW'; EXPLAIN SELECT lifecycle_state(speaking, WEEK) AS s, count(*) FROM members GROUP BY s")
check_grep "lifecycle_state: EXPLAIN, from the activity view, now's day from the log" \
    "lifecycle_state\(speaking, WEEK\): activity view speaking, each member's active days; now's day from the log up to now" "$plan"
plan=$("$SHOAL" query "SET NOW = '2025-03-20T15:59:59.999Z'; EXPLAIN SELECT lifecycle_state(speaking, WEEK) AS s FROM members")
check_grep "lifecycle_state: EXPLAIN at a local day's end, the view alone" "activity view speaking, each member's active days\"?$" "$plan"
plan=$("$SHOAL" query "SET VIEWS = off; EXPLAIN SELECT lifecycle_state(speaking, WEEK) AS s FROM members")
check_grep "lifecycle_state: EXPLAIN with views off" "lifecycle_state\(speaking, WEEK\): one pass over the log: views are off" "$plan"
# every state occurs in this data, so each branch above was compared
got=$("$SHOAL" query --format csv "SET NOW = '$NOW'; SELECT lifecycle_state(speaking, WEEK, 3) AS s FROM members GROUP BY s ORDER BY s" 2>&1 | tr '\n' ' ')
check_eq "lifecycle_state: every state occurs" "$got" "s  churned dormant new resurrecting returning "

# FROM lifecycle(name, n): per week, the members whose n-th idle week in a row it is
# (active n weeks before, and in none since); the other columns as without n
churned() {
    local k=$1 now=$2 pnow
    pnow=$(sqlite3 "$T/oracle.db" "SELECT date(datetime($now / 1000, 'unixepoch', '+8 hours'), '-6 days', 'weekday 1')")
    echo "WITH a AS (SELECT DISTINCT member, date($LOCAL, '-6 days', 'weekday 1') AS w FROM ev
                     WHERE type IN ('post', 'comment') AND ms <= $now)
          SELECT date(a.w, '+$((7 * k)) days') AS p, count(*) FROM a
          WHERE date(a.w, '+$((7 * k)) days') <= '$pnow'
            AND NOT EXISTS (SELECT 1 FROM a b WHERE b.member = a.member AND b.w > a.w AND b.w <= date(a.w, '+$((7 * k)) days'))
          GROUP BY p ORDER BY p"
}
for k in 1 3; do
    same "lifecycle: FROM lifecycle(name, $k) PER WEEK, churned per week" \
        "SET NOW = '$NOW'; SELECT period, churned FROM lifecycle(speaking, $k) PER WEEK WHERE churned > 0" \
        "$(churned $k "$NOWMS")"
done
a6=$("$SHOAL" query --format csv "SET NOW = '$NOW'; SELECT period, active, new, returning, resurrecting, dormant FROM lifecycle(speaking) PER WEEK" 2>&1)
a7=$("$SHOAL" query --format csv "SET NOW = '$NOW'; SELECT period, active, new, returning, resurrecting, dormant FROM lifecycle(speaking, 2) PER WEEK" 2>&1)
check_eq "lifecycle: with n, the other columns unchanged" "$a7" "$a6"
err2=$("$SHOAL" query "SELECT * FROM activity(speaking, 2)" 2>&1)
check_eq "lifecycle: only lifecycle() takes n" "$err2" 'query:1:34: error: only lifecycle(name, n) takes a number (churned after n idle periods)
SELECT * FROM activity(speaking, 2)
                                 ^'

err() {
    local name=$1 q=$2 want=$3 got
    got=$("$SHOAL" query "$q" 2>&1)
    check_eq "$name" "$got" "$want"
}
err "lifecycle_state: the unit" "SELECT lifecycle_state(speaking, fortnight) FROM members" \
'query:1:34: error: unknown period "fortnight" (expected DAY, WEEK or MONTH)
SELECT lifecycle_state(speaking, fortnight) FROM members
                                 ^~~~~~~~~'
err "lifecycle_state: the churn count" "SELECT lifecycle_state(speaking, week, 0) FROM members" \
'query:1:40: error: expected the number of idle periods after which a member is churned, from 1
SELECT lifecycle_state(speaking, week, 0) FROM members
                                       ^'
err "lifecycle_state: an unknown activity" "SELECT lifecycle_state(talking, week) FROM members" \
'query:1:24: error: unknown activity "talking"
SELECT lifecycle_state(talking, week) FROM members
                       ^~~~~~~'
err "lifecycle_state: over members only" "SELECT lifecycle_state(speaking, week) FROM events" \
'query:1:8: error: lifecycle_state() is a member'"'"'s: use it over members (FROM members, layers, tiers)
SELECT lifecycle_state(speaking, week) FROM events
       ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~'
