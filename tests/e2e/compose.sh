#!/usr/bin/env bash
# tests/e2e/compose.sh — composition (query/subquery.c): WITH queries, derived tables,
# subqueries as values and after IN, and SELECT … PER DAY|WEEK|MONTH. Every answer is
# checked against sqlite3 over the same events (as oracle.sh does), with views and with
# SET VIEWS = off; EXPLAIN shows the inner plans and their views; errors point at the
# construct.
. "$(dirname "$0")/../lib.sh"

if ! command -v sqlite3 >/dev/null; then
    fail compose "sqlite3 is not installed (apt-get install sqlite3)"
    exit 0
fi
"$SHOAL" gen --events 30000 --seed 11 > "$T/ev.ndjson" 2>/dev/null || { fail compose-gen "shoal gen failed"; exit 0; }
"$SHOAL" ingest "$T/ev.ndjson" >/dev/null 2>&1 || { fail compose-ingest; exit 0; }
"$SHOAL" query "CREATE COUNTERS activity AS count(post), count(post WHERE original), count(essence), count(*);
                CREATE SCORE engagement AS 1*like + 3*comment + 5*post + 20*essence HALF_LIFE 30 DAYS" >/dev/null 2>&1 ||
    { fail compose-views; exit 0; }

oracle_load "$T/ev.ndjson" <<'SQL' || { fail compose-load; exit 0; }
CREATE VIEW ev AS SELECT rowid AS seq, json_extract(j, '$.ts') AS ts, json_extract(j, '$.member') AS member,
    json_extract(j, '$.type') AS type, json_extract(j, '$.group') AS grp,
    json_extract(j, '$.original') AS original FROM raw;
SQL

NOW="SET NOW = '2025-06-30T23:59:59.999Z';"

# same NAME SHOAL-STATEMENTS SQLITE-SELECT: shoal's rows (csv, header dropped) equal
# sqlite3's, numbers within 1e-9 relative; and again with SET VIEWS = off.
same() {
    local name=$1 q=$2 sql=$3 a b c
    a=$("$SHOAL" query --format csv "$q" 2>&1 | tail -n +2)
    c=$("$SHOAL" query --format csv "SET VIEWS = off; $q" 2>&1 | tail -n +2)
    b=$(sqlite3 -csv "$T/oracle.db" "$sql" 2>&1)
    if [ -z "$b" ]; then fail "$name" "the oracle returned nothing: $sql"; return; fi
    if rows_close "$a" "$b"; then ok "$name"; else fail "$name" "shoal:" "$(printf '%s\n' "$a" | head -5)" "sqlite:" "$(printf '%s\n' "$b" | head -5)"; fi
    check_eq "$name: views off" "$c" "$a"
}

# ---------------------------------------------------------------- derived tables, WITH

# A histogram of members by the number of groups they spoke in: a derived table.
same compose-groups-histogram \
    "SELECT groups, count(*) AS members FROM (SELECT member, count(DISTINCT group) AS groups FROM events WHERE group IS NOT NULL GROUP BY member) AS g GROUP BY groups ORDER BY groups" \
    "SELECT groups, count(*) FROM (SELECT member, count(DISTINCT grp) AS groups FROM ev WHERE grp IS NOT NULL GROUP BY member) GROUP BY groups ORDER BY groups"

# A WITH query read twice, once by a scalar subquery.
same compose-with-max \
    "WITH p AS (SELECT member, count(post) AS n FROM members) SELECT member, n FROM p WHERE n >= (SELECT max(n) FROM p) - 2 ORDER BY n DESC, member" \
    "WITH p AS (SELECT member, sum(type = 'post') AS n FROM ev GROUP BY member) SELECT member, n FROM p WHERE n >= (SELECT max(n) FROM p) - 2 ORDER BY n DESC, member"

# WITH queries that read each other, then filtered, grouped and cut outside.
same compose-with-chain \
    "WITH a AS (SELECT member, count(comment) AS c, count(post) AS p FROM members), b AS (SELECT member, c + p AS spoke FROM a WHERE c > 0) SELECT spoke, count(*) AS members FROM b GROUP BY spoke HAVING count(*) > 1 ORDER BY members DESC, spoke LIMIT 5" \
    "WITH a AS (SELECT member, sum(type = 'comment') AS c, sum(type = 'post') AS p FROM ev GROUP BY member), b AS (SELECT member, c + p AS spoke FROM a WHERE c > 0) SELECT spoke, count(*) AS members FROM b GROUP BY spoke HAVING count(*) > 1 ORDER BY members DESC, spoke LIMIT 5"

# The view-backed core creators, inside a WITH and sorted outside; t.column names.
same compose-core-creator-with \
    "$NOW WITH cc AS (SELECT member, count(post WHERE original) DURING this_month AS originals, count(essence) AS essence FROM members WHERE count(post WHERE original) DURING this_month >= 3 OR count(essence) >= 5) SELECT t.member, t.originals FROM cc AS t ORDER BY t.originals DESC, t.member" \
    "SELECT member, sum(type = 'post' AND original = 1 AND ts >= '2025-06-01') AS o FROM ev GROUP BY member HAVING o >= 3 OR sum(type = 'essence') >= 5 ORDER BY o DESC, member"

# A SELECT that only passes a subquery's rows on runs the subquery's plan: same rows.
same compose-pass-through \
    "$NOW WITH cc AS (SELECT member, count(essence) AS essence FROM members WHERE count(essence) >= 5 ORDER BY member) SELECT * FROM cc" \
    "SELECT member, count(*) FROM ev WHERE type = 'essence' GROUP BY member HAVING count(*) >= 5 ORDER BY member"

# LIMIT and OFFSET outside stop the subquery early (as a LIMIT inside would): same rows.
same compose-limit-outside \
    "SELECT seq, member FROM (SELECT seq, member, type FROM events WHERE type = post) AS p LIMIT 5 OFFSET 2" \
    "SELECT seq, member FROM ev WHERE type = 'post' ORDER BY seq LIMIT 5 OFFSET 2"
same compose-nested-three \
    "SELECT count(*) AS n, max(k) AS most FROM (SELECT member, n AS k FROM (SELECT member, count(*) AS n FROM events GROUP BY member) AS a WHERE n > 30) AS b" \
    "SELECT count(*), max(n) FROM (SELECT member, count(*) AS n FROM ev GROUP BY member HAVING n > 30)"

# ---------------------------------------------------------------- IN (SELECT …), values

same compose-in-members \
    "SELECT type, count(*) FROM events WHERE member IN (SELECT member FROM members WHERE count(essence) >= 3) GROUP BY type ORDER BY type" \
    "SELECT type, count(*) FROM ev WHERE member IN (SELECT member FROM ev WHERE type = 'essence' GROUP BY member HAVING count(*) >= 3) GROUP BY type ORDER BY type"

same compose-not-in-members \
    "SELECT count(*) AS n FROM members WHERE member NOT IN (SELECT member FROM events WHERE type = post) AND count(comment) > 2" \
    "SELECT count(*) FROM (SELECT member FROM ev GROUP BY member HAVING sum(type = 'post') = 0 AND sum(type = 'comment') > 2)"

same compose-in-text \
    "SELECT count(*) FROM events WHERE group IN (SELECT group FROM events WHERE type = essence GROUP BY group HAVING count(*) > 40)" \
    "SELECT count(*) FROM ev WHERE grp IN (SELECT grp FROM ev WHERE type = 'essence' GROUP BY grp HAVING count(*) > 40)"

# A count compared with a subquery's value (run first, then a constant: bits over the view).
same compose-value-threshold \
    "SELECT member, count(post) AS posts FROM members WHERE count(post) >= (SELECT max(count(post)) FROM members) - 3 ORDER BY posts DESC, member" \
    "WITH p AS (SELECT member, sum(type = 'post') AS n FROM ev GROUP BY member) SELECT member, n FROM p WHERE n >= (SELECT max(n) FROM p) - 3 ORDER BY n DESC, member"

same compose-values-in-items \
    "SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM members) AS members, (SELECT min(ts) FROM events WHERE type = join) AS first_join" \
    "SELECT count(*), count(DISTINCT member), (SELECT min(ts) FROM ev WHERE type = 'join') FROM ev"

# member IN layer over rows that are not members': the layer's members as a set.
"$SHOAL" query "CREATE LAYER writers AS count(post) >= 20" >/dev/null 2>&1 || fail compose-layer-create
same compose-layer-over-events \
    "SELECT type, count(*) FROM events WHERE member IN writers GROUP BY type ORDER BY type" \
    "SELECT type, count(*) FROM ev WHERE member IN (SELECT member FROM ev WHERE type = 'post' GROUP BY member HAVING count(*) >= 20) GROUP BY type ORDER BY type"
same compose-layer-over-derived \
    "SELECT comments, count(*) FROM (SELECT member, count(comment) AS comments FROM members) AS t WHERE member NOT IN writers GROUP BY comments ORDER BY comments DESC LIMIT 5" \
    "SELECT c, count(*) FROM (SELECT member, sum(type = 'comment') AS c FROM ev GROUP BY member HAVING sum(type = 'post') < 20) GROUP BY c ORDER BY c DESC LIMIT 5"

# ---------------------------------------------------------------- PER

# Core creators per month, empty months present as zeros (no event before July 2024).
same compose-per-month-zeros \
    "$NOW SELECT period, count(*) AS creators FROM members PER MONTH WHERE count(post WHERE original) >= 3 DURING BETWEEN '2024-05-01' AND '2025-06-30'" \
    "WITH RECURSIVE m(d) AS (SELECT '2024-05-01' UNION ALL SELECT date(d, '+1 month') FROM m WHERE d < '2025-06-01')
     SELECT strftime('%Y-%m', d), (SELECT count(*) FROM (SELECT member FROM ev WHERE type = 'post' AND original = 1 AND strftime('%Y-%m', ts) = strftime('%Y-%m', d) GROUP BY member HAVING count(*) >= 3)) FROM m"

# Core creators per month as the bench asks it: this month's originals or every essence
# up to the period's end (a narrow count DURING all_time, each period's days kept for the
# next: exec_views.c, read_sat_cum), at the day's end and at noon (the hours around the
# days added to the last period's), each against sqlite3 and views off.
for end in '2025-06-30T23:59:59.999Z' '2025-06-30T12:00:00.000Z'; do
    cut=$(python3 -c "import sys; s=sys.argv[1]; print(s[:20] + '%03dZ' % (int(s[20:23]) + 1) if s[20:23] != '999' else '2025-07-01')" "$end")
    same "compose-per-month-all-time $end" \
        "SET NOW = '$end'; SELECT period, count(*) AS creators FROM members PER MONTH
         WHERE count(post WHERE original) >= 3 OR count(essence) DURING all_time >= 2 ORDER BY period" \
        "WITH RECURSIVE m(d) AS (SELECT '2024-07-01' UNION ALL SELECT date(d, '+1 month') FROM m WHERE d < '2025-06-01')
         SELECT strftime('%Y-%m', d), (SELECT count(*) FROM (SELECT member FROM ev WHERE ts < min(date(d, '+1 month'), '$cut')
           GROUP BY member HAVING sum(type = 'post' AND original = 1 AND ts >= d) >= 3 OR sum(type = 'essence') >= 2)) FROM m"
done

# ... and a count that crosses its threshold only in the hours of the last day: K is
# the posts before 20:00 of a member who posted that day (under 200, so that it is read
# narrow, a byte a member), so the last period, as of 19:59:59.999 (its end on the hour:
# whole hours from the view, no edge from the log), holds that member only with them.
k=$(sqlite3 "$T/oracle.db" "SELECT count(*) FROM ev WHERE type = 'post' AND ts < '2025-06-30T20:00:00.000Z' GROUP BY member
    HAVING sum(ts >= '2025-06-30') > 0 AND count(*) < 200 ORDER BY 1 DESC LIMIT 1")
same "compose-per-month-all-time-hours (K=$k)" \
    "SET NOW = '2025-06-30T19:59:59.999Z'; SELECT period, count(*) AS n FROM members PER MONTH
     WHERE count(post) DURING all_time >= $k ORDER BY period" \
    "WITH RECURSIVE m(d) AS (SELECT '2024-07-01' UNION ALL SELECT date(d, '+1 month') FROM m WHERE d < '2025-06-01')
     SELECT strftime('%Y-%m', d), (SELECT count(*) FROM (SELECT member FROM ev
       WHERE type = 'post' AND ts < min(date(d, '+1 month'), '2025-06-30T20:00:00.000Z') GROUP BY member HAVING count(*) >= $k)) FROM m"

# The busiest month's core creators, one statement.
same compose-busiest-month \
    "$NOW WITH busiest AS (SELECT month(ts) AS m FROM events GROUP BY m ORDER BY count(*) DESC, m LIMIT 1)
     SELECT member FROM (SELECT period, member FROM members PER MONTH WHERE count(post WHERE original) >= 3) AS c
     WHERE period = (SELECT m FROM busiest) ORDER BY member" \
    "WITH busiest AS (SELECT strftime('%Y-%m', ts) AS m FROM ev GROUP BY m ORDER BY count(*) DESC, m LIMIT 1)
     SELECT member FROM ev WHERE type = 'post' AND original = 1 AND strftime('%Y-%m', ts) = (SELECT m FROM busiest) GROUP BY member HAVING count(*) >= 3 ORDER BY member"

# DAU/MAU stickiness of June: the mean daily actives (every day, an empty one as 0) over
# the month's actives.
same compose-stickiness \
    "$NOW WITH daily AS (SELECT period, count(*) AS dau FROM members PER DAY WHERE count(*) DURING period > 0 DURING this_month)
     SELECT avg(dau) / (SELECT count(*) FROM members WHERE count(*) DURING this_month > 0) AS stickiness FROM daily" \
    "WITH RECURSIVE d(day) AS (SELECT '2025-06-01' UNION ALL SELECT date(day, '+1 day') FROM d WHERE day < '2025-06-30')
     SELECT (SELECT avg(n) FROM (SELECT (SELECT count(DISTINCT member) FROM ev WHERE date(ts) = day) AS n FROM d)) * 1.0
          / (SELECT count(DISTINCT member) FROM ev WHERE ts >= '2025-06-01')"

# Members per week by how much they posted that week, a row per (week, bucket).
same compose-per-week-grouped \
    "$NOW SELECT period, CASE WHEN count(post) >= 2 THEN 'many' ELSE 'one' END AS k, count(*) AS n FROM members PER WEEK WHERE count(post) > 0 DURING BETWEEN '2025-05-05' AND '2025-06-29' GROUP BY k ORDER BY period, k" \
    "SELECT w, CASE WHEN c >= 2 THEN 'many' ELSE 'one' END AS k, count(*) FROM (SELECT date(ts, '-6 days', 'weekday 1') AS w, member, count(*) AS c FROM ev WHERE type = 'post' AND ts >= '2025-05-05' AND ts < '2025-06-30' GROUP BY w, member) GROUP BY w, k ORDER BY w, k"

# PER over a derived table, and the period column it adds.
same compose-per-derived \
    "$NOW SELECT period, n FROM (SELECT count(*) AS n FROM events WHERE type = essence) PER WEEK DURING BETWEEN '2025-06-02' AND '2025-06-29'" \
    "SELECT date(ts, '-6 days', 'weekday 1') AS w, count(*) FROM ev WHERE type = 'essence' AND ts >= '2025-06-02' AND ts < '2025-06-30' GROUP BY w ORDER BY w"

# Members per tier per week: each week's rows are those of the tiers AS OF the week's end.
"$SHOAL" query "CREATE TIERS lvl (core WHEN count(post) DURING this_week >= 3, active WHEN count(*) DURING this_week >= 1, idle OTHERWISE)" >/dev/null 2>&1 ||
    fail compose-tiers-create
per=$("$SHOAL" query --format csv "$NOW SELECT period, tier, count(*) AS n FROM tiers(lvl) PER WEEK DURING BETWEEN '2025-06-02' AND '2025-06-22' GROUP BY tier ORDER BY period, tier" 2>&1 | tail -n +2)
each=""
for w in 2025-06-02:2025-06-08 2025-06-09:2025-06-15 2025-06-16:2025-06-22; do
    each+=$("$SHOAL" query --format csv "SELECT tier, count(*) AS n FROM tiers(lvl) GROUP BY tier ORDER BY tier AS OF '${w#*:}'" 2>&1 | tail -n +2 | sed "s/^/${w%:*},/")$'\n'
done
check_eq compose-tiers-per-week "$per" "$(printf '%s' "$each" | sed '/^$/d')"

# ---------------------------------------------------------------- EXPLAIN

out=$("$SHOAL" query --format table "$NOW EXPLAIN WITH cc AS (SELECT member FROM members WHERE count(essence) >= 5) SELECT count(*) FROM cc WHERE member IN (SELECT member FROM members WHERE count(post) > 3)" 2>&1)
check_grep compose-explain-with 'rows of WITH query "cc", run once' "$out"
check_grep compose-explain-in 'subquery 1 \(a set: IN its rows. values\), run first' "$out"
check_grep compose-explain-views '#1 count\(essence\): counters activity' "$out"
check_grep compose-explain-in-views '#1 count\(post\): counters activity' "$out"
out=$("$SHOAL" query --format table "$NOW EXPLAIN SELECT period, count(*) FROM members PER MONTH WHERE count(post) > 3 DURING this_year" 2>&1)
check_grep compose-explain-per 'PER MONTH: 6 periods, 2025-01 .. 2025-06, each one evaluation' "$out"
check_grep compose-explain-per-views 'views: every per-member aggregate is read from a view' "$out"
check_grep compose-explain-per-window '#1 count\(post\): counters activity, series 1, days 2025-06-01..2025-06-30' "$out"
# WHERE's count(post) > 3 keeps only members with an event by then: no count(*) for who
# the members were (views.c where_implies_event)
check_grep compose-explain-per-members 'per-member aggregates: 1, .*' "$out"

# ---------------------------------------------------------------- merged (query/merge.c)

# A SELECT over a WITH query or derived table that only projects and filters its source
# is planned as the flat statement: EXPLAIN says merged, and the views answer.
out=$("$SHOAL" query --format table "$NOW EXPLAIN WITH t AS (SELECT member, count(post) AS n, count(essence) AS e FROM members) SELECT n, count(*) AS members FROM t WHERE e >= 1 GROUP BY n ORDER BY n" 2>&1)
check_grep compose-merged-explain 'WITH query "t" merged into this SELECT' "$out"
check_grep compose-merged-explain-views 'views: every per-member aggregate is read from a view, no log scan' "$out"
# … and the rest of its plan is the flat statement's, line for line
flat=$("$SHOAL" query --format csv "$NOW EXPLAIN SELECT count(post) AS n, count(*) AS members FROM members WHERE count(essence) >= 1 GROUP BY count(post) ORDER BY n" 2>&1)
merged=$("$SHOAL" query --format csv "$NOW EXPLAIN WITH t AS (SELECT member, count(post) AS n, count(essence) AS e FROM members) SELECT n, count(*) AS members FROM t WHERE e >= 1 GROUP BY n ORDER BY n" 2>&1 | grep -v 'merged into')
check_eq compose-merged-explain-flat "$merged" "$flat"
out=$("$SHOAL" query --format table "EXPLAIN SELECT k, count(*) FROM (SELECT type AS k, member FROM events WHERE type != like) AS d GROUP BY k" 2>&1)
check_grep compose-merged-explain-events 'subquery "d" merged into this SELECT' "$out"
check_grep compose-merged-explain-scan 'scan log' "$out"
same compose-merged-histogram \
    "$NOW WITH t AS (SELECT member, count(post) AS n, count(essence) AS e FROM members) SELECT n, count(*) AS members FROM t WHERE e >= 1 GROUP BY n ORDER BY n" \
    "SELECT n, count(*) FROM (SELECT sum(type = 'post') AS n FROM ev GROUP BY member HAVING sum(type = 'essence') >= 1) GROUP BY n ORDER BY n"
same compose-merged-events \
    "SELECT k, count(*) AS n, count(DISTINCT m) AS d FROM (SELECT type AS k, member AS m FROM events WHERE type != like) AS t WHERE m LIKE 'm-1%' GROUP BY k ORDER BY k" \
    "SELECT type, count(*), count(DISTINCT member) FROM ev WHERE type != 'like' AND member LIKE 'm-1%' GROUP BY type ORDER BY type"
# the outer name of an inner expression stays the column's name
check_eq compose-merged-names "$("$SHOAL" query --format csv "WITH t AS (SELECT member, count(post) AS n FROM members) SELECT n, t.member FROM t WHERE n > 1000")" "n,member"

# Refused, and then streamed as before (each checked against sqlite3 in sqlite_diff.sh):
# a LIMIT, a window function or an aggregate over rows inside, an outer alias after
# grouping that is also an inner column, and a SELECT that is a subquery of another.
notmerged() {
    local name=$1 q=$2 why=$3 out
    out=$("$SHOAL" query --format table "$NOW EXPLAIN $q" 2>&1)
    check_grep "compose-not-merged: $name" "not merged: $why" "$out"
}
notmerged limit "WITH t AS (SELECT member, count(post) AS n FROM members ORDER BY member LIMIT 10) SELECT n, count(*) FROM t GROUP BY n" \
    'it has GROUP BY, HAVING, ORDER BY, LIMIT or WINDOW'
notmerged window "SELECT r, count(*) FROM (SELECT member, rank() OVER (ORDER BY count(post)) AS r FROM members) AS t GROUP BY r" \
    'it has a window function'
notmerged aggregate "SELECT n + 1 FROM (SELECT count(*) AS n FROM events) AS t" 'it aggregates its rows'
notmerged grouped "SELECT n FROM (SELECT type, count(*) AS n FROM events GROUP BY type) AS t" 'it has GROUP BY'
notmerged alias "SELECT e AS n, count(*) FROM (SELECT member, count(post) AS n, count(essence) AS e FROM members) AS t GROUP BY e HAVING n > 1" \
    '"n" is an outer alias and one of its columns'
notmerged correlated "SELECT member FROM members WHERE count(post) > (SELECT avg(n) FROM (SELECT member, count(post) AS n FROM members) AS t)" \
    'the SELECT around it is itself a subquery'
# over members count(tier) would count a member's events of type tier: outside, rows
"$SHOAL" query "CREATE TIERS lv (hi WHEN count(post) >= 5, lo OTHERWISE)" >/dev/null 2>&1 || fail compose-tiers
notmerged per-aggregate "SELECT count(tier) FROM (SELECT member, tier FROM tiers(lv)) AS t" 'an outer aggregate would read events'
check_eq compose-not-merged-count "$("$SHOAL" query --format csv "SELECT count(tier) AS n FROM (SELECT member, tier FROM tiers(lv)) AS t")" \
    "$(printf 'n\n%s' "$(sqlite3 "$T/oracle.db" "SELECT count(DISTINCT member) FROM ev")")"
same compose-merged-tiers \
    "WITH t AS (SELECT member, tier FROM tiers(lv)) SELECT tier, count(*) AS n FROM t GROUP BY tier ORDER BY tier" \
    "SELECT t, count(*) FROM (SELECT CASE WHEN sum(type = 'post') >= 5 THEN 'hi' ELSE 'lo' END AS t FROM ev GROUP BY member) GROUP BY t ORDER BY t"
same compose-not-merged-alias \
    "SELECT e AS n, count(*) FROM (SELECT member, count(post) AS n, count(essence) AS e FROM members) AS t GROUP BY e HAVING n > 1 ORDER BY 1" \
    "SELECT e, count(*) FROM (SELECT sum(type = 'essence') AS e FROM ev GROUP BY member) GROUP BY e HAVING e > 1 ORDER BY 1"

# ---------------------------------------------------------------- errors

err() {
    local name=$1 q=$2 want=$3 got
    got=$("$SHOAL" query "$q" 2>&1)
    check_eq "compose: error: $name" "$got" "$want"
}
err correlated "SELECT member FROM (SELECT member, count(post) AS n FROM members) t WHERE n > (SELECT max(count(post)) FROM members WHERE count(post) < n)" \
'query:1:137: error: "n" is a column of the statement around this subquery: a subquery reads the statement around it only through comparisons in its WHERE (inner = outer.column, inner < outer.column)
SELECT member FROM (SELECT member, count(post) AS n FROM members) t WHERE n > (SELECT max(count(post)) FROM members WHERE count(post) < n)
                                                                                                                                        ^'
err correlated-dot "SELECT member FROM (SELECT member, count(post) AS n FROM members) t WHERE member IN (SELECT member FROM events WHERE seq > t.n AND words < t.n)" \
'query:1:132: error: this condition reads the statement around the subquery, which a correlated subquery does through equalities (inner = outer.column) and comparisons of one inner value (<, <=, >, >=, <>, BETWEEN): test it in the outer WHERE, or join
SELECT member FROM (SELECT member, count(post) AS n FROM members) t WHERE member IN (SELECT member FROM events WHERE seq > t.n AND words < t.n)
                                                                                                                                   ^~~~~~~~~~~'
err recursive "WITH a AS (SELECT * FROM a) SELECT * FROM a" \
'query:1:26: error: a WITH query reads only the WITH queries written before it, not "a" (recursive WITH is not supported yet)
WITH a AS (SELECT * FROM a) SELECT * FROM a
                         ^'
err twice "WITH a AS (SELECT 1 AS x), a AS (SELECT 2 AS x) SELECT * FROM a" \
'query:1:28: error: WITH query "a" is defined twice
WITH a AS (SELECT 1 AS x), a AS (SELECT 2 AS x) SELECT * FROM a
                           ^'
err many-rows "SELECT member FROM members WHERE count(post) > (SELECT count(post) FROM members)" \
'query:1:48: error: the subquery gives more than one row, and a value is one: add an aggregate, a WHERE or LIMIT 1
SELECT member FROM members WHERE count(post) > (SELECT count(post) FROM members)
                                               ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~'
err two-columns "SELECT count(*) FROM events WHERE member IN (SELECT member, type FROM events)" \
'query:1:46: error: a subquery after IN selects one column, not 2
SELECT count(*) FROM events WHERE member IN (SELECT member, type FROM events)
                                             ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~'
err in-types "SELECT count(*) FROM events WHERE ts IN (SELECT member FROM events)" \
'query:1:35: error: cannot compare ts (a time) with member (text)
SELECT count(*) FROM events WHERE ts IN (SELECT member FROM events)
                                  ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~' 
err per-order "SELECT count(*) FROM members PER WEEK ORDER BY count(*) + 1" \
'query:1:48: error: ORDER BY of a statement PER period sorts by a select item: name its alias or position, or write the item itself
SELECT count(*) FROM members PER WEEK ORDER BY count(*) + 1
                                               ^~~~~~~~~~~~'
err per-asof "SELECT period FROM (SELECT member FROM members AS OF '2025-03-01') PER WEEK" \
'query:1:48: error: a SELECT evaluated PER period is as of each period'"'"'s end: AS OF goes after the PER statement
SELECT period FROM (SELECT member FROM members AS OF '"'"'2025-03-01'"'"') PER WEEK
                                               ^~~~~~~~~~~~~~~~~~'
err period-outside "SELECT member FROM members WHERE count(post) DURING period > 0" \
'query:1:53: error: the window period is a period of a statement PER DAY, WEEK or MONTH
SELECT member FROM members WHERE count(post) DURING period > 0
                                                    ^~~~~~'
err asof-not-last "SELECT count(*) FROM events AS OF '2025-03-05' WHERE seq > 1" \
'query:1:29: error: AS OF comes last in a SELECT, after its other clauses
SELECT count(*) FROM events AS OF '"'"'2025-03-05'"'"' WHERE seq > 1
                            ^~~~~~~~~~~~~~~~~~'
err join "SELECT count(*) FROM events JOIN members" \
'query:1:29: error: a join is written `[LEFT] JOIN source [AS] name ON condition` (source: a name, tiers(name) or (SELECT …)); only JOIN, INNER JOIN and LEFT [OUTER] JOIN are supported
SELECT count(*) FROM events JOIN members
                            ^~~~'
err unknown-column "SELECT x FROM (SELECT member, count(post) AS n FROM members) AS t" \
'query:1:8: error: unknown column "x" (t has: member, n)
SELECT x FROM (SELECT member, count(post) AS n FROM members) AS t
       ^'
err in-layer-correlated "CREATE LAYER l AS member IN (SELECT e.member FROM events AS e WHERE e.to = members.member)" \
'query:1:76: error: a subquery in a layer'"'"'s or tiers'"'"' condition runs once for the whole statement, so it cannot read the member being tested (a correlated subquery): select the members instead, member IN (SELECT member FROM …)
CREATE LAYER l AS member IN (SELECT e.member FROM events AS e WHERE e.to = members.member)
                                                                           ^~~~~~~~~~~~~~'
