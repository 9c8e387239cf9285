#!/usr/bin/env bash
# tests/e2e/activity.sh — CREATE ACTIVITY and FROM activity(name) PER DAY|WEEK|MONTH
# (members active per period, DAU, WAU, MAU, stickiness), checked against sqlite3 over
# the same events (cohort_data.py: late events, times near a Shanghai midnight), in UTC
# and in Asia/Shanghai, AS OF a date, with DURING; the errors at their positions. Every
# answer twice: from the activity views (created over the first part of the log and
# kept by the ingest of the rest) and with SET VIEWS = off, from the log.
. "$(dirname "$0")/../lib.sh"

if ! command -v sqlite3 >/dev/null; then
    fail activity "sqlite3 is not installed (apt-get install sqlite3)"
    exit 0
fi
python3 "$SHOAL_TESTS/e2e/cohort_data.py" 5 400 > "$T/ev.ndjson" || { fail activity-gen; exit 0; }
head -n 1500 "$T/ev.ndjson" > "$T/head.ndjson"
"$SHOAL" ingest -q "$T/head.ndjson" || { fail activity-ingest; exit 0; }
oracle_load "$T/ev.ndjson" <<'SQL' || { fail activity-oracle-load; exit 0; }
CREATE VIEW ev AS SELECT rowid AS seq, json_extract(j, '$.ts') AS ts, json_extract(j, '$.member') AS member,
    json_extract(j, '$.type') AS type, json_extract(j, '$.words') AS words FROM raw;
SQL

# act_sql UNIT OFFSET TYPES ACTIVE-WHERE NOW CUT: the oracle's rows (times in the data all
# read YYYY-MM-DDTHH:MM:SS.sssZ, so they compare as text)
act_sql() {
    local unit=$1 off=$2 types=$3 aw=$4 now=$5 cut=$6 pd first
    case $unit in
    day) pd() { echo "$1"; }; first="date(min(ts), '$off')" ;;
    week) pd() { echo "date($1, '-6 days', 'weekday 1')"; }; first="date(min(ts), '$off', '-6 days', 'weekday 1')" ;;
    month) pd() { echo "strftime('%Y-%m', $1)"; }; first="date(min(ts), '$off', 'start of month')" ;;
    esac
    cat <<SQL
WITH RECURSIVE
f AS (SELECT $first AS d0, date('$now', '$off') AS dn FROM ev),
days(d) AS (SELECT d0 FROM f UNION ALL SELECT date(d, '+1 day') FROM days, f WHERE d < f.dn),
a AS (SELECT DISTINCT member, date(ts, '$off') AS d FROM ev WHERE type IN ($types) AND ($aw) AND ts <= '$cut'),
daily AS (SELECT d, $(pd d) AS p,
    (SELECT count(*) FROM a WHERE a.d = days.d) AS dau,
    (SELECT count(DISTINCT member) FROM a WHERE a.d BETWEEN date(days.d, '-6 days') AND days.d) AS wau,
    (SELECT count(DISTINCT member) FROM a WHERE a.d BETWEEN date(days.d, '-29 days') AND days.d) AS mau FROM days)
SELECT p AS period, (SELECT count(DISTINCT member) FROM a, f WHERE $(pd a.d) = daily.p AND a.d <= f.dn) AS active,
       avg(dau), avg(wau), avg(mau), CASE WHEN sum(mau) > 0 THEN sum(dau) * 1.0 / sum(mau) END AS stick
FROM daily GROUP BY p ORDER BY p
SQL
}

# lc_sql UNIT OFFSET TYPES NOW CUT [MEMBER-WHERE]: the oracle's lifecycle rows
lc_sql() {
    local unit=$1 off=$2 types=$3 now=$4 cut=$5 mw=${6:-1 = 1} pd first
    case $unit in
    day) pd() { echo "$1"; }; first="date(min(ts), '$off')" ;;
    week) pd() { echo "date($1, '-6 days', 'weekday 1')"; }; first="date(min(ts), '$off', '-6 days', 'weekday 1')" ;;
    month) pd() { echo "strftime('%Y-%m', $1)"; }; first="date(min(ts), '$off', 'start of month')" ;;
    esac
    cat <<SQL
WITH RECURSIVE
f AS (SELECT $first AS d0, date('$now', '$off') AS dn FROM ev),
days(d) AS (SELECT d0 FROM f UNION ALL SELECT date(d, '+1 day') FROM days, f WHERE d < f.dn),
ps AS (SELECT DISTINCT $(pd d) AS p FROM days),
pr AS (SELECT p, (SELECT max(q.p) FROM ps q WHERE q.p < ps.p) AS pp FROM ps),
a AS (SELECT DISTINCT member, $(pd "date(ts, '$off')") AS p FROM ev, f WHERE type IN ($types) AND ts <= '$cut' AND date(ts, '$off') <= f.dn AND ($mw))
SELECT p,
  (SELECT count(*) FROM a WHERE a.p = pr.p),
  (SELECT count(*) FROM a WHERE a.p = pr.p AND NOT EXISTS (SELECT 1 FROM a b WHERE b.member = a.member AND b.p < pr.p)),
  (SELECT count(*) FROM a WHERE a.p = pr.p AND EXISTS (SELECT 1 FROM a b WHERE b.member = a.member AND b.p = pr.pp)),
  (SELECT count(*) FROM a WHERE a.p = pr.p AND NOT EXISTS (SELECT 1 FROM a b WHERE b.member = a.member AND b.p = pr.pp)
     AND EXISTS (SELECT 1 FROM a b WHERE b.member = a.member AND b.p < pr.p)),
  (SELECT count(*) FROM a WHERE a.p = pr.pp AND NOT EXISTS (SELECT 1 FROM a b WHERE b.member = a.member AND b.p = pr.p))
FROM pr ORDER BY p
SQL
}

same() {
    local name=$1 q=$2 sql=$3 a b c
    a=$("$SHOAL" query --format csv "$q" 2>&1 | tail -n +2)
    c=$("$SHOAL" query --format csv "SET VIEWS = off; $q" 2>&1 | tail -n +2)
    b=$(sqlite3 -csv "$T/oracle.db" "$sql" 2>&1)
    if [ -z "$b" ]; then fail "$name" "the oracle returned nothing: $sql"; return; fi
    if rows_close "$a" "$b"; then ok "$name"; else fail "$name" "shoal:" "$(printf '%s\n' "$a" | head -5)" "sqlite:" "$(printf '%s\n' "$b" | head -5)"; fi
    if [ "$a" = "$c" ]; then ok "$name (views on and off)"; else fail "$name (views on and off)" "on:" "$(printf '%s\n' "$a" | head -5)" "off:" "$(printf '%s\n' "$c" | head -5)"; fi
}

check "activity: CREATE ACTIVITY" "$SHOAL" query "CREATE ACTIVITY speaking ON post, comment;
  CREATE ACTIVITY any_long ON post, comment, like WHERE words IS NULL OR words > 100;
  SET TIMEZONE = 'Asia/Shanghai'; CREATE ACTIVITY speaking_sh ON post, comment; SET TIMEZONE = 'UTC'"
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail activity-ingest; exit 0; }
check "activity: shoal check after the ingest (kept incrementally)" "$SHOAL" check
NOW=2025-04-20T10:00:00.000Z
same "activity: per day, UTC" \
    "SET NOW = '$NOW'; SELECT * FROM activity(speaking) PER DAY" \
    "$(act_sql day '+0 hours' "'post', 'comment'" "1 = 1" $NOW $NOW)"
same "activity: per week, UTC, with a filter" \
    "SET NOW = '$NOW'; SELECT * FROM activity(any_long) PER WEEK" \
    "$(act_sql week '+0 hours' "'post', 'comment', 'like'" "words IS NULL OR words > 100" $NOW $NOW)"
same "activity: per month, UTC" \
    "SET NOW = '$NOW'; SELECT * FROM activity(speaking) PER MONTH" \
    "$(act_sql month '+0 hours' "'post', 'comment'" "1 = 1" $NOW $NOW)"
same "activity: per week in Asia/Shanghai" \
    "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$NOW'; SELECT * FROM activity(speaking) PER WEEK; SET TIMEZONE = 'UTC'" \
    "$(act_sql week '+8 hours' "'post', 'comment'" "1 = 1" $NOW $NOW)"
same "activity: per day in Asia/Shanghai" \
    "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$NOW'; SELECT * FROM activity(any_long); SET TIMEZONE = 'UTC'" \
    "$(act_sql day '+8 hours' "'post', 'comment', 'like'" "words IS NULL OR words > 100" $NOW $NOW)"
CUT=2025-02-10T23:00:00.000Z
same "activity: AS OF a date" \
    "SELECT * FROM activity(speaking) PER WEEK AS OF '$CUT'" \
    "$(act_sql week '+0 hours' "'post', 'comment'" "1 = 1" $CUT $CUT)"
check "activity: CREATE under SET NOW before the latest event, with a view keeping count(*)" "$SHOAL" query \
    "CREATE COUNTERS all_events AS count(*); SET NOW = '$CUT'; CREATE ACTIVITY speaking_cut ON post, comment"
same "activity: SET NOW before the latest event, as AS OF" \
    "SET NOW = '$CUT'; SELECT * FROM activity(speaking_cut) PER WEEK" \
    "$(act_sql week '+0 hours' "'post', 'comment'" "1 = 1" $CUT $CUT)"
same "activity: DURING, WHERE and ORDER BY over the rows" \
    "SET NOW = '$NOW'; SELECT period, active, stickiness FROM activity(speaking) PER DAY WHERE active > 3 DURING BETWEEN '2025-02-01' AND '2025-02-28' ORDER BY stickiness DESC, period" \
    "SELECT period, active, stick FROM ($(act_sql day '+0 hours' "'post', 'comment'" "1 = 1" $NOW $NOW))
     WHERE period BETWEEN '2025-02-01' AND '2025-02-28' AND active > 3 ORDER BY stick DESC, period"

same "lifecycle: per week, UTC" \
    "SET NOW = '$NOW'; SELECT * FROM lifecycle(speaking) PER WEEK" \
    "$(lc_sql week '+0 hours' "'post', 'comment'" $NOW $NOW)"
same "lifecycle: per day in Asia/Shanghai" \
    "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$NOW'; SELECT * FROM lifecycle(speaking); SET TIMEZONE = 'UTC'" \
    "$(lc_sql day '+8 hours' "'post', 'comment'" $NOW $NOW)"
same "lifecycle: per month, AS OF a date" \
    "SELECT * FROM lifecycle(speaking) PER MONTH AS OF '$CUT'" \
    "$(lc_sql month '+0 hours' "'post', 'comment'" $CUT $CUT)"

# a view kept in Asia/Shanghai, read in its zone; its EXPLAIN; now mid-day with later events
same "activity: a view kept in Asia/Shanghai, per week" \
    "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$NOW'; SELECT * FROM activity(speaking_sh) PER WEEK" \
    "$(act_sql week '+8 hours' "'post', 'comment'" "1 = 1" $NOW $NOW)"
same "lifecycle: a view kept in Asia/Shanghai, per day" \
    "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$NOW'; SELECT * FROM lifecycle(speaking_sh)" \
    "$(lc_sql day '+8 hours' "'post', 'comment'" $NOW $NOW)"
# now after the latest event (the clock's case): the view's day counts answer (kept at
# ingest, the late events at the log's end included), per day, week and month, in UTC
# and in Asia/Shanghai
LATE=2025-08-04T12:00:00.000Z
for u in day week month; do
    same "activity: after the latest event, from the day counts, per $u" \
        "SET NOW = '$LATE'; SELECT * FROM activity(speaking) PER $u" \
        "$(act_sql $u '+0 hours' "'post', 'comment'" "1 = 1" $LATE $LATE)"
    same "activity: after the latest event, from the day counts, per $u, Asia/Shanghai" \
        "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$LATE'; SELECT * FROM activity(speaking_sh) PER $u" \
        "$(act_sql $u '+8 hours' "'post', 'comment'" "1 = 1" $LATE $LATE)"
    plan=$("$SHOAL" query "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$LATE'; EXPLAIN SELECT * FROM activity(speaking_sh) PER $u")
    check_grep "activity: after the latest event, EXPLAIN: the day counts, per $u" "local days of counts .* read from view speaking_sh" "$plan"
done
# a mid-day, mid-week now with later events in the log (that day's, the week's and the
# month's): the day counts answer, now's day and period mended by the late members'
# days (late_mend); views on and off, UTC and Asia/Shanghai, against the oracle
MID=2025-04-16T12:30:00.000Z
for u in day week month; do
    same "activity: mid-day now, later events, from the mended day counts, per $u" \
        "SET NOW = '$MID'; SELECT * FROM activity(speaking) PER $u" \
        "$(act_sql $u '+0 hours' "'post', 'comment'" "1 = 1" $MID $MID)"
    same "activity: mid-day now, later events, mended, per $u, Asia/Shanghai" \
        "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$MID'; SELECT * FROM activity(speaking_sh) PER $u" \
        "$(act_sql $u '+8 hours' "'post', 'comment'" "1 = 1" $MID $MID)"
    same "activity: mid-day now, later events, mended, a filter, per $u" \
        "SET TIMEZONE = 'UTC'; SET NOW = '$MID'; SELECT * FROM activity(any_long) PER $u" \
        "$(act_sql $u '+0 hours' "'post', 'comment', 'like'" "words IS NULL OR words > 100" $MID $MID)"
done
# nows within the last two days with an active event (the view's kept days: first active
# time and previous active day per member), later events in the log: mended from them
for now in 2025-06-19T12:00:00.000Z 2025-06-18T05:00:00.000Z 2025-06-18T20:00:00.000Z; do
    for u in day week month; do
        same "activity: a now in the kept days ($now), from the days, per $u" \
            "SET TIMEZONE = 'UTC'; SET NOW = '$now'; SELECT * FROM activity(any_long) PER $u" \
            "$(act_sql $u '+0 hours' "'post', 'comment', 'like'" "words IS NULL OR words > 100" $now $now)"
        same "activity: a now in the kept days ($now), from the days, per $u, Asia/Shanghai" \
            "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$now'; SELECT * FROM activity(speaking_sh) PER $u" \
            "$(act_sql $u '+8 hours' "'post', 'comment'" "1 = 1" $now $now)"
    done
done
plan=$("$SHOAL" query "SET TIMEZONE = 'UTC'; SET NOW = '2025-06-19T12:00:00.000Z'; EXPLAIN SELECT * FROM activity(any_long) PER WEEK")
check_grep "activity: a now in the kept days, EXPLAIN" "mended: .* from the view's kept days" "$plan"
plan=$("$SHOAL" query "SET TIMEZONE = 'UTC'; SET NOW = '$MID'; EXPLAIN SELECT * FROM activity(speaking) PER MONTH")
check_grep "activity: mid-day now, EXPLAIN: now's month mended up to its end" \
    "now's day and period mended: the members active from 2025-04-16T12:30:00.001Z to 2025-04-30T23:59:59.999Z" "$plan"
same "activity: after the latest event, from the day counts, a filter, per week" \
    "SET TIMEZONE = 'UTC'; SET NOW = '$LATE'; SELECT * FROM activity(any_long) PER WEEK" \
    "$(act_sql week '+0 hours' "'post', 'comment', 'like'" "words IS NULL OR words > 100" $LATE $LATE)"
"$SHOAL" query "SET TIMEZONE = 'UTC'" >/dev/null
answered() { check_grep "$1" "$3" "$("$SHOAL" query "$2" 2>&1)"; }
answered "activity: EXPLAIN, the view answers" "SET NOW = '$NOW'; EXPLAIN SELECT * FROM activity(speaking)" "read from view speaking"
answered "activity: EXPLAIN, now's day mended from the log's later events" "SET NOW = '$NOW'; EXPLAIN SELECT * FROM activity(speaking)" \
    "now's day and period mended: the members active from 2025-04-20T10:00:00.001Z to 2025-04-20T23:59:59.999Z"
answered "activity: EXPLAIN, with a condition on members now's day from the log" \
    "SET NOW = '$NOW'; EXPLAIN SELECT * FROM activity(speaking) WHERE member IN (SELECT member FROM events WHERE type = 'like')" \
    "now's day from the log, 2025-04-20T00:00:00Z to 2025-04-20T10:00:00Z"
answered "activity: EXPLAIN, views off" "SET VIEWS = off; EXPLAIN SELECT * FROM stickiness(speaking)" "not from a view: views are off"
answered "activity: EXPLAIN, another zone" "EXPLAIN SELECT * FROM lifecycle(speaking_sh)" \
    "not from a view: the view's days are in Asia/Shanghai, the statement's in UTC"
check "activity: shoal rebuild" "$SHOAL" rebuild
same "activity: after rebuild" \
    "SET NOW = '$NOW'; SELECT * FROM activity(speaking) PER DAY" \
    "$(act_sql day '+0 hours' "'post', 'comment'" "1 = 1" $NOW $NOW)"
check "activity: shoal check after rebuild" "$SHOAL" check

# WHERE's conditions on members: only those members count
LIKERS="member IN (SELECT member FROM ev WHERE type = 'like' AND ts <= '$NOW' GROUP BY member HAVING count(*) >= 3)"
check "activity: a layer" "$SHOAL" query "CREATE LAYER likers AS count(like) >= 3"
same "activity: the members in a layer" \
    "SET NOW = '$NOW'; SELECT * FROM activity(speaking) PER WEEK WHERE member IN likers AND period >= '2025-02-01'" \
    "SELECT * FROM ($(act_sql week '+0 hours' "'post', 'comment'" "$LIKERS" $NOW $NOW)) WHERE period >= '2025-02-01'"
same "lifecycle: the members outside a layer, AS OF a date" \
    "SELECT * FROM lifecycle(speaking) PER WEEK WHERE member NOT IN likers AS OF '$CUT'" \
    "$(lc_sql week '+0 hours' "'post', 'comment'" $CUT $CUT "member NOT IN (SELECT member FROM ev WHERE type = 'like' AND ts <= '$CUT' GROUP BY member HAVING count(*) >= 3)")"
plan=$("$SHOAL" query "EXPLAIN SELECT * FROM lifecycle(speaking) WHERE member IN likers")
check_grep "lifecycle: EXPLAIN shows the members' query" 'counting only of the members for whom member IN likers holds' "$plan"

# stickiness(name): members by number of active days in the period
st_sql() {
    local unit=$1 off=$2 types=$3 now=$4 pd
    case $unit in
    week) pd="date(d, '-6 days', 'weekday 1')" ;;
    month) pd="strftime('%Y-%m', d)" ;;
    esac
    echo "WITH a AS (SELECT DISTINCT member, date(ts, '$off') AS d FROM ev WHERE type IN ($types) AND ts <= '$now'),
          c AS (SELECT member, $pd AS p, count(*) AS k FROM a GROUP BY member, p)
          SELECT p, k, count(*) FROM c GROUP BY p, k ORDER BY p, k"
}
same "stickiness: members by active days per week, in Asia/Shanghai" \
    "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$NOW'; SELECT * FROM stickiness(speaking) PER WEEK WHERE members > 0 ORDER BY period, days; SET TIMEZONE = 'UTC'" \
    "$(st_sql week '+8 hours' "'post', 'comment'" $NOW)"
same "stickiness: per month, every number of days" \
    "SET NOW = '$NOW'; SELECT period, count(*), sum(members), sum(days * members) FROM stickiness(any_long) PER MONTH GROUP BY period ORDER BY period" \
    "WITH a AS (SELECT DISTINCT member, date(ts) AS d FROM ev WHERE type IN ('post', 'comment', 'like') AND (words IS NULL OR words > 100) AND ts <= '$NOW'),
          days(d) AS (SELECT date((SELECT min(ts) FROM ev), 'start of month') UNION ALL SELECT date(d, '+1 day') FROM days WHERE d < date('$NOW'))
     SELECT strftime('%Y-%m', days.d) AS p, count(*), (SELECT count(DISTINCT member) FROM a WHERE strftime('%Y-%m', a.d) = strftime('%Y-%m', days.d)),
            (SELECT count(*) FROM a WHERE strftime('%Y-%m', a.d) = strftime('%Y-%m', days.d)) FROM days GROUP BY p ORDER BY p"

plan=$("$SHOAL" query "EXPLAIN SELECT * FROM activity(any_long) PER WEEK")
check_grep "activity: EXPLAIN says what it reads (the clock's now: the day counts)" 'activity any_long PER WEEK: active on post, comment, like WHERE words IS NULL OR words > 100, [0-9]+ local days of counts' "$plan"
plan=$("$SHOAL" query "SET NOW = '$NOW'; EXPLAIN SELECT * FROM activity(any_long) PER WEEK")
check_grep "activity: EXPLAIN says what it reads (later events: the day counts, now's week mended)" 'activity any_long PER WEEK: active on post, comment, like WHERE words IS NULL OR words > 100, [0-9]+ local days of counts' "$plan"
check_grep "activity: EXPLAIN, now's week mended up to its end" "now's day and period mended: the members active from 2025-04-20T10:00:00.001Z to 2025-04-20T23:59:59.999Z" "$plan"
show=$("$SHOAL" query --format csv "SHOW VIEWS")
check_grep "activity: SHOW VIEWS lists it" '^speaking,activity,"CREATE ACTIVITY speaking ON post, comment",' "$show"

err() {
    local name=$1 q=$2 want=$3 got
    got=$("$SHOAL" query "$q" 2>&1)
    check_eq "$name" "$got" "$want"
}
err "activity: the word ON" "CREATE ACTIVITY a AT post" \
'query:1:19: error: expected ON but found "AT"
CREATE ACTIVITY a AT post
                  ^~'
err "activity: a type no event has yet is a warning" "CREATE ACTIVITY a ON post, pots; DROP ACTIVITY a" \
'warning: activity a names what no event has yet: pots'" (misspelt? it counts once such events are ingested)"
err "activity: the unit" "SELECT * FROM activity(speaking) PER YEAR" \
'query:1:38: error: unknown period "YEAR" (expected DAY, WEEK or MONTH)
SELECT * FROM activity(speaking) PER YEAR'"
                                     ^~~~"
err "activity: a retention is not an activity" "CREATE RETENTION r COHORT BY first(join) PER WEEK ACTIVE ON post; SELECT * FROM activity(r)" \
'query:1:90: error: "r" is a retention, not an activity
CREATE RETENTION r COHORT BY first(join) PER WEEK ACTIVE ON post; SELECT * FROM activity(r)
                                                                                         ^'
check "activity: DROP ACTIVITY" "$SHOAL" query "DROP ACTIVITY speaking"
err "activity: dropped (the closest left named)" "SELECT * FROM activity(speaking)" \
'query:1:24: error: unknown activity "speaking" (did you mean "speaking_cut"?)
SELECT * FROM activity(speaking)
                       ^~~~~~~~'

# A definition damaged into another kind's (behind shoal's back: the stored text of a
# view), named as an activity, a retention or by lifecycle_state: an error at the name,
# never rows
"$SHOAL" query "CREATE ACTIVITY dmg ON post; CREATE RETENTION dmr COHORT BY first(join) PER DAY ACTIVE ON post" > /dev/null ||
    fail "activity: damaged definitions made"
"$DBPOKE" "$SHOAL_DB" meta view.dmg set 7 "CREATE LAYER dmg AS 1=1    " 2>&1 || fail "activity: dbpoke view.dmg"
"$DBPOKE" "$SHOAL_DB" meta view.dmr set 7 "CREATE LAYER dmr AS count(*) >= 1 AND 1 = 1                               " 2>&1 ||
    fail "activity: dbpoke view.dmr"
err "activity: a definition damaged into a layer's" "SELECT * FROM activity(dmg)" \
'query:1:24: error: activity "dmg": its definition is not a CREATE ACTIVITY
SELECT * FROM activity(dmg)
                       ^~~'
err "activity: lifecycle_state over a definition damaged into a layer's" "SELECT lifecycle_state(dmg, DAY) FROM members" \
'query:1:24: error: activity "dmg": its definition is not a CREATE ACTIVITY
SELECT lifecycle_state(dmg, DAY) FROM members
                       ^~~'
err "activity: a retention damaged into a layer's" "SELECT * FROM retention(dmr)" \
'query:1:25: error: retention "dmr": its definition is not a CREATE RETENTION
SELECT * FROM retention(dmr)
                        ^~~'
