#!/usr/bin/env bash
# tests/e2e/retention.sh — CREATE RETENTION and FROM retention(name), checked against
# sqlite3 over the same events (cohort_data.py: joins that arrive late in the log,
# members with several joins or none, activity before the join, times near a Shanghai
# midnight): per day, week and month, bounded and unbounded, AT LEAST n, a filter on
# the cohort's event and on the activity, AS OF a date, in UTC and in Asia/Shanghai;
# the errors at their positions; SHOW VIEWS and DROP. Every answer twice: from the
# retention views (created over the first part of the log and kept by the ingest of the
# rest, which holds the late joins) and with SET VIEWS = off, from the log.
. "$(dirname "$0")/../lib.sh"

if ! command -v sqlite3 >/dev/null; then
    fail retention "sqlite3 is not installed (apt-get install sqlite3)"
    exit 0
fi
python3 "$SHOAL_TESTS/e2e/cohort_data.py" 11 600 > "$T/ev.ndjson" || { fail retention-gen; exit 0; }
# the first part now, the rest (late joins at its end) once the views exist
head -n 2500 "$T/ev.ndjson" > "$T/head.ndjson"
"$SHOAL" ingest -q "$T/head.ndjson" || { fail retention-ingest; exit 0; }
oracle_load "$T/ev.ndjson" <<'SQL' || { fail retention-oracle-load; exit 0; }
CREATE VIEW ev AS SELECT rowid AS seq, json_extract(j, '$.ts') AS ts, json_extract(j, '$.member') AS member,
    json_extract(j, '$.type') AS type, json_extract(j, '$.group') AS grp, json_extract(j, '$.words') AS words FROM raw;
SQL

# The oracle's SQL for a retention. Times in the data all read YYYY-MM-DDTHH:MM:SS.sssZ,
# so they compare as text.
#   ret_sql UNIT OFFSET COHORT-WHERE TYPES ACTIVE-WHERE MODE LEAST NOW CUT [each]
# UNIT day|week|month; OFFSET the zone's ('+8 hours'); MODE = (bounded) or >= (unbounded);
# NOW the instant now is; CUT the last instant seen (now: it hides what comes after); each: a cohort for every
# period with a join (COHORT BY each(join)), else the first join's.
ret_sql() {
    local unit=$1 off=$2 cw=$3 types=$4 aw=$5 op=$6 least=$7 now=$8 cut=$9 each=${10:-}
    pexpr() {
        case $unit in
        day) echo "date($1, '$off')" ;;
        week) echo "date($1, '$off', '-6 days', 'weekday 1')" ;;
        month) echo "strftime('%Y-%m', $1, '$off')" ;;
        esac
    }
    pnext() {
        case $unit in
        day) echo "date($1, '+' || $2 || ' days')" ;;
        week) echo "date($1, '+' || (7 * $2) || ' days')" ;;
        month) echo "strftime('%Y-%m', $1 || '-01', '+' || $2 || ' months')" ;;
        esac
    }
    local nowp jsql
    nowp=$(pexpr "'$now'")
    jsql="SELECT member, $(pexpr 'min(ts)') AS c FROM e WHERE type = 'join' AND ($cw) GROUP BY member"
    [ "$each" = each ] && jsql="SELECT DISTINCT member, $(pexpr ts) AS c FROM e WHERE type = 'join' AND ($cw)"
    cat <<SQL
WITH RECURSIVE ks(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM ks WHERE k < 1000),
e AS (SELECT * FROM ev WHERE ts <= '$cut'),
j AS ($jsql),
a AS (SELECT member, $(pexpr ts) AS p FROM e WHERE type IN ($types) AND ($aw) GROUP BY member, p
      HAVING count(*) >= $least AND p <= $nowp),
sz AS (SELECT c, count(*) AS n FROM j WHERE c <= $nowp GROUP BY c),
g AS (SELECT c, n, k, $(pnext c k) AS p FROM sz, ks WHERE $(pnext c k) <= $nowp)
SELECT c, n, k, (SELECT count(*) FROM j WHERE j.c = g.c AND EXISTS (SELECT 1 FROM a WHERE a.member = j.member AND a.p $op g.p)) AS act,
       (SELECT count(*) FROM j WHERE j.c = g.c AND EXISTS (SELECT 1 FROM a WHERE a.member = j.member AND a.p $op g.p)) * 1.0 / n
FROM g ORDER BY c, k
SQL
}

# same NAME SHOAL-STATEMENTS SQLITE-SELECT (rows without shoal's header, non-empty):
# with views (as the statements are) and without (SET VIEWS = off first)
same() {
    local name=$1 q=$2 sql=$3 a b c
    a=$("$SHOAL" query --format csv "$q" 2>&1 | tail -n +2)
    c=$("$SHOAL" query --format csv "SET VIEWS = off; $q" 2>&1 | tail -n +2)
    b=$(sqlite3 -csv "$T/oracle.db" "$sql" 2>&1)
    if [ -z "$b" ]; then fail "$name" "the oracle returned nothing: $sql"; return; fi
    if rows_close "$a" "$b"; then ok "$name"; else fail "$name" "shoal:" "$(printf '%s\n' "$a" | head -5)" "sqlite:" "$(printf '%s\n' "$b" | head -5)"; fi
    if [ "$a" = "$c" ]; then ok "$name (views on and off)"; else fail "$name (views on and off)" "on:" "$(printf '%s\n' "$a" | head -5)" "off:" "$(printf '%s\n' "$c" | head -5)"; fi
}

# answered NAME STATEMENT PATTERN: EXPLAIN of the statement matches the pattern
answered() { check_grep "$1" "$3" "$("$SHOAL" query "EXPLAIN $2" 2>&1)"; }

check "retention: CREATE RETENTION, every form" "$SHOAL" query "
  CREATE RETENTION daily COHORT BY first(join) PER DAY ACTIVE ON post, comment;
  CREATE RETENTION weekly COHORT BY first(join) PER WEEK ACTIVE ON post, comment, like;
  CREATE RETENTION monthly COHORT BY first(join) PER MONTH ACTIVE ON post;
  CREATE RETENTION weekly_unbounded COHORT BY first(join) PER WEEK ACTIVE ON post, comment UNBOUNDED;
  CREATE RETENTION weekly_2 COHORT BY first(join WHERE group = 'g-1') PER WEEK ACTIVE ON post, like AT LEAST 2 WHERE member != 'm-3';
  CREATE RETENTION monthly_u2 COHORT BY first(join) PER MONTH ACTIVE ON like, comment UNBOUNDED AT LEAST 3;
  CREATE RETENTION weekly_each COHORT BY each(join) PER WEEK ACTIVE ON post, comment;
  CREATE RETENTION daily_each_u COHORT BY each(join WHERE group != 'g-2') PER DAY ACTIVE ON like UNBOUNDED;
  CREATE RETENTION posting_again COHORT BY each(post) PER WEEK ACTIVE ON post;
  SET TIMEZONE = 'Asia/Shanghai';
  CREATE RETENTION daily_sh COHORT BY first(join) PER DAY ACTIVE ON post, comment;
  CREATE RETENTION weekly_sh COHORT BY each(join) PER WEEK ACTIVE ON post, comment, like AT LEAST 2;
  SET TIMEZONE = 'UTC'"
show=$("$SHOAL" query --format csv "SHOW VIEWS")
check_grep "retention: kept as views (SHOW VIEWS: kind, bytes, none behind)" '^weekly_each,retention,"CREATE RETENTION weekly_each COHORT BY each\(join\) PER WEEK ACTIVE ON post, comment",[1-9][0-9]*,[0-9.]*,[0-9]*,0$' "$show"
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail retention-ingest; exit 0; }
check "retention: shoal check after the ingest (late joins kept incrementally)" "$SHOAL" check

NOW=2025-03-20T10:00:00.000Z
ALL="1 = 1"
same "retention: per day, UTC" \
    "SET NOW = '$NOW'; SELECT * FROM retention(daily) ORDER BY cohort, k" \
    "$(ret_sql day '+0 hours' "$ALL" "'post', 'comment'" "$ALL" = 1 $NOW $NOW)"
same "retention: per week, UTC" \
    "SET NOW = '$NOW'; SELECT * FROM retention(weekly) ORDER BY cohort, k" \
    "$(ret_sql week '+0 hours' "$ALL" "'post', 'comment', 'like'" "$ALL" = 1 $NOW $NOW)"
same "retention: per month, UTC" \
    "SET NOW = '$NOW'; SELECT * FROM retention(monthly) ORDER BY cohort, k" \
    "$(ret_sql month '+0 hours' "$ALL" "'post'" "$ALL" = 1 $NOW $NOW)"
same "retention: unbounded (in period k or later)" \
    "SET NOW = '$NOW'; SELECT * FROM retention(weekly_unbounded) ORDER BY cohort, k" \
    "$(ret_sql week '+0 hours' "$ALL" "'post', 'comment'" "$ALL" '>=' 1 $NOW $NOW)"
same "retention: AT LEAST 2, filters on the cohort's event and on the activity" \
    "SET NOW = '$NOW'; SELECT * FROM retention(weekly_2) ORDER BY cohort, k" \
    "$(ret_sql week '+0 hours' "grp = 'g-1'" "'post', 'like'" "member != 'm-3'" = 2 $NOW $NOW)"
same "retention: unbounded AT LEAST 3" \
    "SET NOW = '$NOW'; SELECT * FROM retention(monthly_u2) ORDER BY cohort, k" \
    "$(ret_sql month '+0 hours' "$ALL" "'like', 'comment'" "$ALL" '>=' 3 $NOW $NOW)"
same "retention: recurring cohorts, each(join)" \
    "SET NOW = '$NOW'; SELECT * FROM retention(weekly_each) ORDER BY cohort, k" \
    "$(ret_sql week '+0 hours' "$ALL" "'post', 'comment'" "$ALL" = 1 $NOW $NOW each)"
same "retention: recurring cohorts per day, unbounded, with a filter, in Asia/Shanghai" \
    "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$NOW'; SELECT * FROM retention(daily_each_u) ORDER BY cohort, k; SET TIMEZONE = 'UTC'" \
    "$(ret_sql day '+8 hours' "grp != 'g-2'" "'like'" "$ALL" '>=' 1 $NOW $NOW each)"
# the same events start the cohorts and make them active (one aggregate in the plan)
same "retention: recurring cohorts of posters, active on post" \
    "SET NOW = '$NOW'; SELECT * FROM retention(posting_again) ORDER BY cohort, k" \
    "$(ret_sql week '+0 hours' "$ALL" "'post'" "$ALL" = 1 $NOW $NOW each | sed "s/type = 'join'/type = 'post'/")"
CUT=2025-02-10T23:00:00.000Z
same "retention: AS OF a date (later joins and activity unseen, periods up to its own)" \
    "SELECT * FROM retention(weekly) ORDER BY cohort, k AS OF '$CUT'" \
    "$(ret_sql week '+0 hours' "$ALL" "'post', 'comment', 'like'" "$ALL" = 1 $CUT $CUT)"
# SET NOW before the latest event hides the later ones as AS OF does (the plan then
# holds one more aggregate, who the members were at now)
check "retention: CREATE under SET NOW before the latest event, with a view keeping count(*)" "$SHOAL" query \
    "CREATE COUNTERS all_events AS count(*); SET NOW = '$CUT'; CREATE RETENTION weekly_cut COHORT BY first(join) PER WEEK ACTIVE ON post, comment, like"
same "retention: SET NOW before the latest event, as AS OF" \
    "SET NOW = '$CUT'; SELECT * FROM retention(weekly_cut) ORDER BY cohort, k" \
    "$(ret_sql week '+0 hours' "$ALL" "'post', 'comment', 'like'" "$ALL" = 1 $CUT $CUT)"
same "retention: DURING keeps the cohorts whose period meets the window" \
    "SET NOW = '$NOW'; SELECT * FROM retention(weekly) DURING BETWEEN '2025-01-15' AND '2025-02-03' ORDER BY cohort, k" \
    "SELECT * FROM ($(ret_sql week '+0 hours' "$ALL" "'post', 'comment', 'like'" "$ALL" = 1 $NOW $NOW)) WHERE c BETWEEN '2025-01-13' AND '2025-02-03'"
# AS OF SEQ: the records after it are not seen (the late joins are at the end)
SEQ=$(( $(wc -l < "$T/ev.ndjson") - 60 ))
same "retention: AS OF SEQ (the last late joins unseen)" \
    "SET NOW = '$NOW'; SELECT * FROM retention(weekly) ORDER BY cohort, k AS OF SEQ $SEQ" \
    "$(ret_sql week '+0 hours' "seq <= $SEQ" "'post', 'comment', 'like'" "seq <= $SEQ" = 1 $NOW $NOW)"
same "retention: WHERE, grouping and ordering over the rows" \
    "SET NOW = '$NOW'; SELECT k, sum(active) AS a, sum(cohort_size) AS n FROM retention(weekly) WHERE cohort >= '2025-01-13' AND k <= 4 GROUP BY k ORDER BY k" \
    "SELECT k, sum(act), sum(n) FROM ($(ret_sql week '+0 hours' "$ALL" "'post', 'comment', 'like'" "$ALL" = 1 $NOW $NOW)) WHERE c >= '2025-01-13' AND k <= 4 GROUP BY k ORDER BY k"

# Asia/Shanghai: local days and weeks (the data has joins at 15:59:59.999Z and 16:00Z)
same "retention: per day in Asia/Shanghai" \
    "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$NOW'; SELECT * FROM retention(daily) ORDER BY cohort, k" \
    "$(ret_sql day '+8 hours' "$ALL" "'post', 'comment'" "$ALL" = 1 $NOW $NOW)"
same "retention: per week in Asia/Shanghai" \
    "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$NOW'; SELECT * FROM retention(weekly) ORDER BY cohort, k" \
    "$(ret_sql week '+8 hours' "$ALL" "'post', 'comment', 'like'" "$ALL" = 1 $NOW $NOW)"
"$SHOAL" query "SET TIMEZONE = 'UTC'" >/dev/null

# views in Asia/Shanghai: their local days and weeks (joins at 15:59:59.999Z and 16:00Z)
same "retention: a view kept in Asia/Shanghai, per day" \
    "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$NOW'; SELECT * FROM retention(daily_sh) ORDER BY cohort, k" \
    "$(ret_sql day '+8 hours' "$ALL" "'post', 'comment'" "$ALL" = 1 $NOW $NOW)"
same "retention: a view kept in Asia/Shanghai, recurring weekly cohorts, AT LEAST 2" \
    "SET TIMEZONE = 'Asia/Shanghai'; SELECT * FROM retention(weekly_sh) ORDER BY cohort, k AS OF '$CUT'" \
    "$(ret_sql week '+8 hours' "$ALL" "'post', 'comment', 'like'" "$ALL" = 2 $CUT $CUT each)"
"$SHOAL" query "SET TIMEZONE = 'UTC'" >/dev/null
# AS OF the last instant of a week: the view whole, no log (later events exist)
WEEK_END=2025-02-09T23:59:59.999Z
same "retention: AS OF the end of a week" \
    "SELECT * FROM retention(weekly_each) ORDER BY cohort, k AS OF '$WEEK_END'" \
    "$(ret_sql week '+0 hours' "$ALL" "'post', 'comment'" "$ALL" = 1 $WEEK_END $WEEK_END each)"

# now after the latest event (the wall clock's case): every view answers from its
# per-cohort counts, kept at ingest (the late joins at the log's end moved members
# between cohorts after their activity was counted), in UTC and in Asia/Shanghai
explained() { check_grep "$1" "$3" "$("$SHOAL" query "$2" 2>&1)"; }
LATE=2025-08-04T12:00:00.000Z
KW="k <= 12"
late() {   # late NAME VIEW UNIT OFFSET COHORT-WHERE TYPES ACTIVE-WHERE MODE LEAST [each] [zone]
    local name=$1 view=$2 zone=${11:-UTC}
    same "retention: after the latest event, from the counts: $name" \
        "SET TIMEZONE = '$zone'; SET NOW = '$LATE'; SELECT * FROM retention($view) WHERE $KW ORDER BY cohort, k; SET TIMEZONE = 'UTC'" \
        "SELECT * FROM ($(ret_sql "$3" "$4" "$5" "$6" "$7" "$8" "$9" $LATE $LATE "${10:-}")) WHERE $KW"
    explained "retention: EXPLAIN, after the latest event the counts answer: $name" \
        "SET TIMEZONE = '$zone'; SET NOW = '$LATE'; EXPLAIN SELECT * FROM retention($view)" "read view $view .*its per-cohort counts"
}
late "per day" daily day '+0 hours' "$ALL" "'post', 'comment'" "$ALL" = 1
late "per week" weekly week '+0 hours' "$ALL" "'post', 'comment', 'like'" "$ALL" = 1
late "per month" monthly month '+0 hours' "$ALL" "'post'" "$ALL" = 1
late "unbounded" weekly_unbounded week '+0 hours' "$ALL" "'post', 'comment'" "$ALL" '>=' 1
late "AT LEAST 2 with filters" weekly_2 week '+0 hours' "grp = 'g-1'" "'post', 'like'" "member != 'm-3'" = 2
late "unbounded AT LEAST 3" monthly_u2 month '+0 hours' "$ALL" "'like', 'comment'" "$ALL" '>=' 3
late "recurring" weekly_each week '+0 hours' "$ALL" "'post', 'comment'" "$ALL" = 1 each
late "recurring per day, unbounded, with a filter" daily_each_u day '+0 hours' "grp != 'g-2'" "'like'" "$ALL" '>=' 1 each
late "per day, Asia/Shanghai" daily_sh day '+8 hours' "$ALL" "'post', 'comment'" "$ALL" = 1 "" Asia/Shanghai
late "recurring AT LEAST 2, Asia/Shanghai" weekly_sh week '+8 hours' "$ALL" "'post', 'comment', 'like'" "$ALL" = 2 each Asia/Shanghai
# mid-period (later events exist): bounded first(…) cohorts read the counts and now's
# period from the log; unbounded and recurring ones walk the members
explained "retention: EXPLAIN, mid-week bounded: the counts and now's week from the log" \
    "SET NOW = '$NOW'; EXPLAIN SELECT * FROM retention(weekly)" "its per-cohort counts"
explained "retention: EXPLAIN, mid-day in Asia/Shanghai: the counts and now's day from the log" \
    "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$NOW'; EXPLAIN SELECT * FROM retention(daily_sh)" "its members' cohorts from the view"
explained "retention: EXPLAIN, mid-week unbounded: the members" \
    "SET NOW = '$NOW'; EXPLAIN SELECT * FROM retention(weekly_unbounded)" "each member's earliest cohort event and active periods"
explained "retention: EXPLAIN, a condition on members: the members" \
    "SET NOW = '$LATE'; EXPLAIN SELECT * FROM retention(weekly) WHERE member IN (SELECT member FROM members WHERE count(post) > 2)" "each member's earliest cohort event and active periods"
"$SHOAL" query "SET TIMEZONE = 'UTC'" >/dev/null

# which path answers (EXPLAIN)
answered() { check_grep "$1" "$3" "$("$SHOAL" query "$2" 2>&1)"; }
answered "retention: EXPLAIN, the view answers" "SET NOW = '$NOW'; EXPLAIN SELECT * FROM retention(weekly)" \
    "read view weekly .*kept at ingest"
answered "retention: EXPLAIN, now's week from the log (events after now)" "SET NOW = '$NOW'; EXPLAIN SELECT * FROM retention(weekly)" \
    "now's period from the log, 2025-03-17T00:00:00Z to 2025-03-20T10:00:00Z"
plan=$("$SHOAL" query "EXPLAIN SELECT * FROM retention(weekly_each) AS OF '$WEEK_END'")
check_grep "retention: EXPLAIN, AS OF a week's end reads the view" "read view weekly_each" "$plan"
if printf '%s' "$plan" | grep -q "from the log"; then fail "retention: EXPLAIN, AS OF a week's end reads no log" "$plan"; else ok "retention: EXPLAIN, AS OF a week's end reads no log"; fi
answered "retention: EXPLAIN, views off" "SET VIEWS = off; EXPLAIN SELECT * FROM retention(weekly)" "not from a view: views are off"
answered "retention: EXPLAIN, AS OF SEQ reads the log" "EXPLAIN SELECT * FROM retention(weekly) AS OF SEQ 100" "not from a view: AS OF SEQ"
answered "retention: EXPLAIN, another zone reads the log" "EXPLAIN SELECT * FROM retention(daily_sh)" \
    "not from a view: the view's periods are in Asia/Shanghai, the statement's in UTC"
# a filter no view keeps (an event's time): kept as its text, read from the log
created=$("$SHOAL" query --format table "CREATE RETENTION late_cohorts COHORT BY first(join WHERE ts >= '2025-02-01T00:00:00.000Z') PER WEEK ACTIVE ON post" 2>&1)
check_grep "retention: a filter on ts is kept as text" "kept as its text, read from the log" "$created"
answered "retention: EXPLAIN, kept as text" "EXPLAIN SELECT * FROM retention(late_cohorts)" "not from a view: kept as its text"
same "retention: kept as text, from the log" \
    "SET NOW = '$NOW'; SELECT * FROM retention(late_cohorts) ORDER BY cohort, k" \
    "$(ret_sql week '+0 hours' "ts >= '2025-02-01T00:00:00.000Z'" "'post'" "$ALL" = 1 $NOW $NOW)"
# rebuild refills the views: the same answers, and check passes
before=$("$SHOAL" query --format csv "SET NOW = '$NOW'; SELECT * FROM retention(weekly_2) ORDER BY cohort, k")
check "retention: shoal rebuild" "$SHOAL" rebuild
after=$("$SHOAL" query --format csv "SET NOW = '$NOW'; SELECT * FROM retention(weekly_2) ORDER BY cohort, k")
check_eq "retention: the same answer after rebuild" "$after" "$before"
check "retention: shoal check after rebuild" "$SHOAL" check

# WHERE's conditions on members restrict the cohorts (a layer, an aggregate); the rest
# filter the rows
check "retention: a layer" "$SHOAL" query "CREATE LAYER talkers AS count(comment, like) >= 3"
TALKERS="member IN (SELECT member FROM ev WHERE type IN ('comment', 'like') AND ts <= '$NOW' GROUP BY member HAVING count(*) >= 3)"
same "retention: cohorts of the members in a layer" \
    "SET NOW = '$NOW'; SELECT * FROM retention(weekly) WHERE member IN talkers AND k <= 3 ORDER BY cohort, k" \
    "SELECT * FROM ($(ret_sql week '+0 hours' "$TALKERS" "'post', 'comment', 'like'" "$ALL" = 1 $NOW $NOW)) WHERE k <= 3"
same "retention: cohorts of the members outside a layer, by an aggregate, AS OF" \
    "SELECT * FROM retention(weekly) WHERE k <= 3 AND member NOT IN talkers AND count(post) DURING all_time >= 1 ORDER BY cohort, k AS OF '$CUT'" \
    "SELECT * FROM ($(ret_sql week '+0 hours' "member NOT IN (SELECT member FROM e WHERE type IN ('comment', 'like') GROUP BY member HAVING count(*) >= 3)
       AND member IN (SELECT member FROM e WHERE type = 'post')" "'post', 'comment', 'like'" "$ALL" = 1 $CUT $CUT)) WHERE k <= 3"
plan=$("$SHOAL" query "EXPLAIN SELECT * FROM retention(weekly) WHERE member IN talkers AND k <= 3")
check_grep "retention: EXPLAIN shows the members' query" 'cohorts only of the members for whom member IN talkers holds' "$plan"

# the late joins are in the data, and move members: the answer without them differs
lates=$(sqlite3 "$T/oracle.db" "SELECT count(*) FROM ev WHERE type = 'join' AND seq > (SELECT max(seq) FROM ev WHERE type != 'join')")
if [ "$lates" -gt 20 ]; then ok "retention: the data has late joins ($lates)"; else fail "retention: the data has late joins" "$lates"; fi
several=$(sqlite3 "$T/oracle.db" "SELECT count(*) FROM (SELECT member FROM ev WHERE type = 'join' GROUP BY member HAVING count(*) > 1)")
none=$(sqlite3 "$T/oracle.db" "SELECT count(DISTINCT member) FROM ev WHERE member NOT IN (SELECT member FROM ev WHERE type = 'join')")
if [ "$several" -gt 10 ] && [ "$none" -gt 10 ]; then ok "retention: members with several joins ($several) and none ($none)"
else fail "retention: members with several joins and none" "$several $none"; fi
total=$("$SHOAL" query --format csv "SET NOW = '2025-12-31'; SELECT sum(cohort_size) FROM retention(daily) WHERE k = 0" | tail -1)
joined=$(sqlite3 "$T/oracle.db" "SELECT count(DISTINCT member) FROM ev WHERE type = 'join'")
check_eq "retention: every member with a join is in exactly one cohort" "$total" "$joined"

show=$("$SHOAL" query --format csv "SHOW VIEWS")
check_grep "retention: SHOW VIEWS lists it" '^weekly,retention,"CREATE RETENTION weekly COHORT BY first\(join\) PER WEEK ACTIVE ON post, comment, like",' "$show"
plan=$("$SHOAL" query "EXPLAIN SELECT * FROM retention(weekly_2)")
check_grep "retention: EXPLAIN says what it reads" 'retention weekly_2 PER WEEK: .* cohorts by first\(join WHERE group = .g-1.\), active on post, like WHERE member != .m-3., at least n actions a period' "$plan"

err() {
    local name=$1 q=$2 want=$3 got
    got=$("$SHOAL" query "$q" 2>&1)
    check_eq "$name" "$got" "$want"
}
err "retention: COHORT BY takes first()" "CREATE RETENTION r COHORT BY last(join) PER WEEK ACTIVE ON post" \
'query:1:30: error: a cohort is made by first(TYPE [WHERE …]) or each(TYPE [WHERE …]), e.g. COHORT BY first(join)
CREATE RETENTION r COHORT BY last(join) PER WEEK ACTIVE ON post
                             ^~~~~~~~~~'
err "retention: the unit" "CREATE RETENTION r COHORT BY first(join) PER YEAR ACTIVE ON post" \
'query:1:46: error: unknown period "YEAR" (expected DAY, WEEK or MONTH)
CREATE RETENTION r COHORT BY first(join) PER YEAR ACTIVE ON post
                                             ^~~~'
err "retention: the words" "CREATE RETENTION r COHORT BY first(join) PER WEEK ACTIVE AT post" \
'query:1:58: error: expected ON but found "AT"
CREATE RETENTION r COHORT BY first(join) PER WEEK ACTIVE AT post
                                                         ^~'
err "retention: a type no event has yet is a warning" "CREATE RETENTION r COHORT BY first(join) PER WEEK ACTIVE ON pots; DROP RETENTION r" \
'warning: retention r names what no event has yet: pots'" (misspelt? it counts once such events are ingested)"
err "retention: an option" "CREATE RETENTION r COHORT BY first(join) PER WEEK ACTIVE ON post ROLLING" \
'query:1:66: error: expected BOUNDED, UNBOUNDED or AT LEAST n but found "ROLLING"
CREATE RETENTION r COHORT BY first(join) PER WEEK ACTIVE ON post ROLLING
                                                                 ^~~~~~~'
err "retention: unknown" "SELECT * FROM retention(nope)" \
'query:1:25: error: unknown retention "nope"
SELECT * FROM retention(nope)
                        ^~~~'
check "retention: a layer to confuse with" "$SHOAL" query "CREATE LAYER posters AS count(post) > 0"
err "retention: a layer is not a retention" "SELECT * FROM retention(posters)" \
'query:1:25: error: "posters" is a layer, not a retention
SELECT * FROM retention(posters)
                        ^~~~~~~'
err "retention: no PER in the SELECT" "SELECT * FROM retention(weekly) PER DAY" \
'query:1:37: error: retention(name) has its period in its definition: no PER here
SELECT * FROM retention(weekly) PER DAY
                                    ^~~'
err "retention: the name is taken" "CREATE RETENTION posters COHORT BY first(join) PER WEEK ACTIVE ON post" \
'query:1:18: error: a layer "posters" already exists
CREATE RETENTION posters COHORT BY first(join) PER WEEK ACTIVE ON post
                 ^~~~~~~'
err "retention: DROP LAYER of a retention" "DROP LAYER weekly" \
'query:1:12: error: "weekly" is a retention, not a layer
DROP LAYER weekly
           ^~~~~~'
check "retention: CREATE OR REPLACE RETENTION" "$SHOAL" query "CREATE OR REPLACE RETENTION weekly_2 COHORT BY first(join) PER MONTH ACTIVE ON post"
same "retention: the replaced definition answers" \
    "SET NOW = '$NOW'; SELECT * FROM retention(weekly_2) ORDER BY cohort, k" \
    "$(ret_sql month '+0 hours' "$ALL" "'post'" "$ALL" = 1 $NOW $NOW)"
check "retention: DROP RETENTION IF EXISTS of none" "$SHOAL" query "DROP RETENTION IF EXISTS nothing_here"
check "retention: DROP RETENTION" "$SHOAL" query "DROP RETENTION weekly"
err "retention: dropped (the closest left named)" "SELECT * FROM retention(weekly)" \
'query:1:25: error: unknown retention "weekly" (did you mean "weekly_2"?)
SELECT * FROM retention(weekly)
                        ^~~~~~'
