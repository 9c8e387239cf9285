#!/usr/bin/env bash
# tests/e2e/views.sh — counters and score views end to end, on generated data with late
# and duplicate events: a view created on a non-empty log is back-filled, then kept by
# several ingests; `shoal check` (incremental == rebuild) passes after each; every
# view-backed query gives the same rows with views off (SET VIEWS = off scans the log);
# answers equal a sqlite3 oracle; EXPLAIN says which path; rebuild, DROP, SHOW VIEWS.
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 40000 --seed 5 --late 0.05 --dup 0.02 > "$T/ev.ndjson" 2>/dev/null || { fail views-gen; exit 0; }
n=$(wc -l < "$T/ev.ndjson")
head -n 15000 "$T/ev.ndjson" > "$T/a.ndjson"
sed -n "15001,30000p" "$T/ev.ndjson" > "$T/b.ndjson"
tail -n +30001 "$T/ev.ndjson" > "$T/c.ndjson"
[ "$(cat "$T/a.ndjson" "$T/b.ndjson" "$T/c.ndjson" | wc -l)" -eq "$n" ] || fail views-split

"$SHOAL" ingest -q "$T/a.ndjson" || fail views-ingest-a

COUNTERS="CREATE COUNTERS activity AS count(post), count(post WHERE original), count(post WHERE NOT original),
  sum(post.words), count(essence), count(*), count(comment, reply), count(like WHERE to IS NOT NULL),
  sum(purchase.amount)"
SCORE="CREATE SCORE engagement AS 1*checkin + 2*like + 3*comment + 4*reply + 5*post + 20*essence HALF_LIFE 30 DAYS"
check "views: create on a non-empty log (back-fill)" "$SHOAL" query "$COUNTERS; $SCORE"
check "views: check after back-fill" "$SHOAL" check
check_status "views: a second view of the same name is refused" 1 "$SHOAL" query "CREATE SCORE engagement AS 1*like HALF_LIFE 1 DAYS"
"$SHOAL" ingest -q "$T/b.ndjson" || fail views-ingest-b
check "views: check after an incremental ingest" "$SHOAL" check
# A view in another time zone, created between two ingests.
check "views: create a Shanghai counters view" "$SHOAL" query "SET TIMEZONE = 'Asia/Shanghai'; CREATE COUNTERS sh AS count(post WHERE original), count(essence); SET TIMEZONE = 'UTC'"
"$SHOAL" ingest -q "$T/c.ndjson" || fail views-ingest-c
"$SHOAL" ingest -q "$T/a.ndjson" || fail views-ingest-a-again   # every line a duplicate
out=$("$SHOAL" check)
check_grep "views: check after late and duplicate events" "3 views" "$out"
check_grep "views: check says ok" "^ok$" "$out"

show=$("$SHOAL" query --format csv "SHOW VIEWS")
check_grep "views: SHOW VIEWS lists each view, its sequence and lag" "^engagement,score,CREATE SCORE engagement AS .*HALF_LIFE 30 DAYS,[0-9]+,[0-9.]+,[0-9]+,0$" "$show"
check_grep "views: SHOW VIEWS lists counters" "^activity,counters," "$show"

# both NAME STATEMENTS [PATTERN]: the same output with views on and off, and EXPLAIN
# says views (or matches PATTERN).
both() {
    local name=$1 q=$2 pat=${3:-"views: every per-member aggregate is read from a view"} a b e
    a=$("$SHOAL" query --format csv "$q" 2>&1)
    b=$("$SHOAL" query --format csv "SET VIEWS = off; $q" 2>&1)
    if [ "$a" == "$b" ] && [ -n "$a" ]; then ok "$name: views == scan"; else fail "$name: views == scan" "views:" "$(printf '%s\n' "$a" | head -5)" "scan:" "$(printf '%s\n' "$b" | head -5)"; fi
    e=$("$SHOAL" query --format csv "${q%%SELECT*}EXPLAIN SELECT${q#*SELECT}" 2>&1)
    check_grep "$name: EXPLAIN reads views" "$pat" "$e"
}

NOW="SET NOW = '2025-06-30T23:59:59.999';"   # no event is later: nothing is hidden
both views-core-creator "$NOW SELECT member, count(post WHERE original) DURING this_month AS originals, count(essence) AS essence FROM members WHERE count(post WHERE original) DURING this_month >= 2 OR count(essence) >= 3 ORDER BY originals DESC, member"
both views-windows "$NOW SELECT member, count(*) DURING today AS d, count(*) DURING this_week AS w, count(*) DURING last_week AS lw, count(*) DURING last_month AS lm, count(*) DURING this_year AS y, count(*) DURING all_time AS n FROM members ORDER BY member"
both views-between "SELECT member, count(comment, reply) DURING BETWEEN '2025-02-01' AND '2025-03-15' AS c FROM members WHERE c > 0 ORDER BY c DESC, member LIMIT 30"
# Sums of non-integral values are added in another order (per day, then the days),
# so they may differ in the last bits: compared to 9 decimals.
both views-sums "SELECT member, count(post) AS p, sum(post.words) AS w, avg(post.words) AS aw, round(sum(purchase.amount), 9) AS amt, round(avg(purchase.amount), 9) AS aamt FROM members ORDER BY member"
both views-filters "SELECT member, count(post WHERE NOT original) AS copies, count(like WHERE to IS NOT NULL) AS directed FROM members ORDER BY member"
both views-where-accepts-empty "$NOW SELECT count(*) AS n, sum(count(post)) AS p FROM members WHERE count(essence) = 0 OR count(post) DURING this_month > 3"
both views-where-avg-null "SELECT member, avg(post.words) AS a FROM members WHERE avg(post.words) IS NULL OR avg(post.words) > 500 ORDER BY member LIMIT 50"
both views-rows-over-members "$NOW SELECT count(post) AS posts, count(*) AS members FROM members GROUP BY posts ORDER BY posts"
both views-score-top "SET NOW = '2025-07-01'; SELECT member, round(engagement, 6) AS e FROM members ORDER BY engagement DESC, member LIMIT 20"
both views-score-where "SET NOW = '2025-07-01'; SELECT count(*) AS n, round(sum(engagement), 4) AS total FROM members WHERE engagement > 1"
# (now hides the later events: who the members were then is count(*) of the UTC view,
# whose day has not ended at Shanghai's midnight: its hours up to 16:00 UTC, and the
# log for the rest, the instant 16:00:00.000, which holds no event, so none is read)
both views-shanghai "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '2025-05-20'; SELECT member, count(post WHERE original) DURING this_month AS o FROM members WHERE o >= 1 ORDER BY o DESC, member; SET TIMEZONE = 'UTC'"
both views-shanghai-mid "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '2025-05-20T00:34:56.789'; SELECT member, count(post WHERE original) DURING this_month AS o FROM members WHERE o >= 1 ORDER BY o DESC, member; SET TIMEZONE = 'UTC'" \
    "scan log: .*outside the whole days that views answer"

# Queries no view covers scan the log and say why.
e=$("$SHOAL" query --format csv "EXPLAIN SELECT member, count(poll_vote) AS v FROM members")
check_grep "views: an uncovered aggregate scans the log" "scan log: .*no counters view has a series for count\(poll_vote\)" "$e"
# A window of partial days: whole days from the view, its edges from the log, which the
# zone map narrows to those hours; the same answers as a scan.
e=$("$SHOAL" query --format csv "SET NOW = '2025-06-15T12:00:00Z'; EXPLAIN SELECT member, count(post) DURING last 7 days AS v FROM members")
check_grep "views: a window of partial days reads whole days from the view" "count\(post\) DURING last 7 days: counters activity, series 1, days 2025-06-09..2025-06-14, " "$e"
# ... and the whole hours of its partial days from the view's hour buckets (kept for the
# recent days): at a now on the hour the window (12:00, 12:00] is the hour of its start
# read whole (its first instant, 12:00:00.000, holds no event) and the hours up to
# 12:00 (the instant 12:00:00.000 holds none either): no log at all
check_grep "views: ... and their whole hours from its hour buckets" "days 2025-06-09..2025-06-14, hours 2025-06-08T12..2025-06-08T23 UTC, hours 2025-06-15T00..2025-06-15T11 UTC\"" "$e"
check_grep "views: ... and no log when its edges hold no event" "every per-member aggregate is read from a view, no log scan" "$e"
# at a now off the hour, less than an hour at each edge from the log
e=$("$SHOAL" query --format csv "SET NOW = '2025-06-15T12:34:56.789Z'; EXPLAIN SELECT member, count(post) DURING last 7 days AS v FROM members")
check_grep "views: ... off the hour, whole hours and the log for the rest" "days 2025-06-09..2025-06-14, hours 2025-06-08T13..2025-06-08T23 UTC, hours 2025-06-15T00..2025-06-15T11 UTC, and the log for the rest" "$e"
check_grep "views: ... and scans only its edges" "zone map: .* 2 time ranges the scan feeds" "$e"
both views-partial-days "SET NOW = '2025-06-15T12:00:00Z'; SELECT member, count(post) DURING last 7 days AS p, count(*) DURING last 10 days AS e, sum(post.words) DURING last 3 days AS w FROM members WHERE p > 0 OR e > 2 ORDER BY member"
both views-partial-days-off-hour "SET NOW = '2025-06-15T12:34:56.789Z'; SELECT member, count(post) DURING last 7 days AS p, count(*) DURING last 10 days AS e, sum(post.words) DURING last 3 days AS w FROM members WHERE p > 0 OR e > 2 ORDER BY member" \
    "scan log: .*outside the whole days that views answer"
both views-partial-days-mixed "SET NOW = '2025-06-15T12:00:00Z'; SELECT member, count(post) DURING last 7 days AS p, count(poll_vote) AS v, count(*) DURING last 36 hours AS h FROM members WHERE p + v + h > 1 ORDER BY member" \
    "scan log: .*views answer the rest; no counters view has a series for count\\(poll_vote\\)"
# AS OF a date from views: who the members were is count(*) up to that date, which the
# views answer too; the edges of a mid-day date come from the log. The same answers as
# a scan, which finds the members by reading the log up to the date.
both views-as-of-date "SELECT member, count(post) AS p, count(*) DURING this_month AS m, sum(post.words) AS w FROM members ORDER BY member AS OF '2025-03-20'"
both views-as-of-date-count "SELECT count(*) AS members, sum(count(essence)) AS e FROM members AS OF '2025-02-10'"
both views-as-of-time "SELECT member, count(post WHERE original) DURING this_week AS o, count(*) DURING all_time AS n FROM members WHERE n > 3 ORDER BY member AS OF '2025-04-02T13:30:00Z'" \
    "scan log: .*outside the whole days that views answer"
both views-as-of-top "SELECT member, count(*) DURING all_time AS n FROM members ORDER BY n DESC, member LIMIT 15 AS OF '2025-05-01'"
e=$("$SHOAL" query --format csv "EXPLAIN SELECT count(*) FROM members AS OF '2025-03-20'")
check_grep "views: AS OF a date reads who the members were from a view" "count\(\*\) as of then \(who the members were\): counters activity" "$e"
check_grep "views: ... and says so" "then rows: .*members with an event by then" "$e"
# A zone that skips midnight (America/Santiago moved its clocks at 24:00 on 2024-09-08:
# 2024-09-08T04:00Z is its first instant, and 03:30Z still 2024-09-07 23:30): the days a
# view answers end exactly where its days change, so the edges read from the log
# neither miss nor repeat an event. A database of its own, in that zone.
cat > "$T/dst.ndjson" <<'EOF'
{"id":"d1","ts":"2024-09-07T12:00:00Z","member":"ana","type":"checkin"}
{"id":"d2","ts":"2024-09-08T03:30:00Z","member":"ana","type":"checkin"}
{"id":"d3","ts":"2024-09-08T04:30:00Z","member":"ana","type":"checkin"}
{"id":"d4","ts":"2024-09-08T03:59:59.999Z","member":"ben","type":"checkin"}
{"id":"d5","ts":"2024-09-08T04:00:00Z","member":"ben","type":"checkin"}
{"id":"d6","ts":"2024-09-09T02:00:00Z","member":"ben","type":"checkin"}
{"id":"d7","ts":"2024-08-10T03:30:00Z","member":"cai","type":"checkin"}
{"id":"d8","ts":"2024-08-10T04:30:00Z","member":"cai","type":"checkin"}
EOF
D="$T/dst.db"
"$SHOAL" --db "$D" ingest -q "$T/dst.ndjson" || fail views-dst-ingest
check "views: a counters view in America/Santiago" "$SHOAL" --db "$D" query "SET TIMEZONE = 'America/Santiago'; CREATE COUNTERS cl AS count(checkin)"
for now in 2024-09-08T03:30:00Z 2024-09-08T15:00:00Z 2024-09-09T03:30:00Z; do
    for w in "last 30 days" "last 36 hours" "today" "yesterday" "BETWEEN '2024-09-07' AND '2024-09-08'"; do
        q="SET NOW = '$now'; SELECT member, count(checkin) DURING $w AS n FROM members ORDER BY member"
        a=$("$SHOAL" --db "$D" query --format csv "$q" 2>&1); b=$("$SHOAL" --db "$D" query --format csv "SET VIEWS = off; $q" 2>&1)
        check_eq "views: Santiago, $w at $now: views == scan" "$a" "$b"
    done
done
e=$("$SHOAL" --db "$D" query --format csv "SET NOW = '2024-09-08T15:00:00Z'; EXPLAIN SELECT member, count(checkin) DURING last 30 days AS n FROM members")
check_grep "views: ... read from the Santiago view" "counters cl, series 1, days 2024-08-10..2024-09-07, hours 2024-08-09T15..2024-08-10T03 UTC, hours 2024-09-08T04..2024-09-08T14 UTC \\(2024-09-01\\.\\.07 the month so far\\)\"" "$e"

# AS OF an instant that is not the end of a view's day: an aggregate without DURING is
# the view's whole days up to the cut plus the log's edge, each event once (it was
# counted twice: the scan skipped the view's days only inside a DURING window).
cat > "$T/two.ndjson" <<'EOF'
{"id":"t1","ts":"2025-06-10T08:00:00Z","member":"alice","type":"post","words":10}
{"id":"t2","ts":"2025-06-12T09:00:00Z","member":"alice","type":"post","words":5}
{"id":"t3","ts":"2025-06-20T09:00:00Z","member":"alice","type":"post","words":7}
EOF
D2="$T/two.db"
"$SHOAL" --db "$D2" ingest -q "$T/two.ndjson" || fail views-two-ingest
check "views: counters for the AS OF edge" "$SHOAL" --db "$D2" query "CREATE COUNTERS c AS count(post), sum(post.words), count(*)"
for at in "2025-06-20T12:00:00Z" "2025-06-20T08:00:00Z" "2025-06-12T09:00:00Z" "2025-06-12"; do
    q="SELECT member, count(post) AS p, sum(post.words) AS w, count(post) DURING this_month AS m FROM members AS OF '$at'"
    a=$("$SHOAL" --db "$D2" query --format csv "$q" 2>&1); b=$("$SHOAL" --db "$D2" query --format csv "SET VIEWS = off; $q" 2>&1)
    check_eq "views: AS OF $at without DURING: views == scan" "$a" "$b"
done
a=$("$SHOAL" --db "$D2" query --format csv "SELECT member, count(post) AS p, sum(post.words) AS w FROM members AS OF '2025-06-20T12:00:00Z'")
check_eq "views: AS OF mid-day counts each event once" "$a" "member,p,w
alice,3,22"
# SET NOW in the past hides the later events from every aggregate, as AS OF does: the
# count beside the score is of the same events (it counted the later ones too).
check "views: a score for SET NOW" "$SHOAL" --db "$D2" query "CREATE SCORE eng AS 1*post HALF_LIFE 7 DAYS"
for v in on off; do
    a=$("$SHOAL" --db "$D2" query --format csv "SET VIEWS = $v; SET NOW = '2025-06-15'; SELECT member, count(post) AS p, sum(post.words) AS w, last(post) AS l, round(eng, 6) AS e FROM members")
    check_eq "views: SET NOW in the past hides later events (views $v)" "$a" "member,p,w,l,e
alice,2,15,2025-06-12T09:00:00Z,1.401066"
    a=$("$SHOAL" --db "$D2" query --format csv "SET VIEWS = $v; SET NOW = '2025-06-09'; SELECT member, count(post) AS p FROM members")
    check_eq "views: SET NOW before a member's first event: no member yet (views $v)" "$a" "member,p"
done
a=$("$SHOAL" --db "$D2" query --format csv "SET NOW = '2025-06-20T12:00:00Z'; SELECT member, count(post) DURING last 2 weeks AS p FROM members")
check_eq "views: last N weeks is a window" "$a" "member,p
alice,3"

# Over members, WHERE and GROUP BY keys made of aggregates, comparisons, AND/OR/NOT,
# IS NULL and CASE are evaluated a block of members at a time; wrapped in a function
# they are evaluated a member at a time. Both give the same rows, NULLs included.
K="CASE WHEN avg(post.words) IS NULL THEN 'none' WHEN avg(post.words) > 300 THEN 'long' WHEN count(like) >= 3 AND NOT count(essence) = 0 THEN 'liker' ELSE 'short' END"
W="avg(post.words) > 100 OR count(like) >= 3 AND NOT (count(comment) < 2) OR avg(purchase.amount) IS NOT NULL"
a=$("$SHOAL" query --format csv "SELECT $K AS k, count(*) AS n, sum(count(post)) AS p FROM members WHERE $W GROUP BY k ORDER BY k")
b=$("$SHOAL" query --format csv "SELECT lower($K) AS k, count(*) AS n, sum(count(post)) AS p FROM members WHERE coalesce($W, FALSE) GROUP BY k ORDER BY k")
check_eq "views: conditions over members in blocks == one member at a time" "$a" "$b"
check_grep "views: ... over several groups" "^short," "$a"
a=$("$SHOAL" query --format csv "SELECT member, $K AS k FROM members WHERE NOT ($W) ORDER BY member")
b=$("$SHOAL" query --format csv "SELECT member, lower($K) AS k FROM members WHERE coalesce(NOT ($W), FALSE) ORDER BY member")
check_eq "views: NOT of a condition with NULLs, in blocks == one at a time" "$a" "$b"
# ORDER BY a count or score LIMIT k reads only the members that can make the cut: the
# rows must be those of the whole sorted list (ties at the cut included), either way.
for q in "count(post) AS c FROM members ORDER BY c, member LIMIT 7 OFFSET 30" \
         "count(post) AS c FROM members ORDER BY count(post) DESC LIMIT 25" \
         "round(engagement, 6) AS e FROM members ORDER BY engagement, member LIMIT 12 OFFSET 5"; do
    body=${q%% LIMIT*}; lim=${q##* LIMIT }; k=${lim%% OFFSET*}; off=0
    [ "$lim" != "$k" ] && off=${lim##*OFFSET }
    want=$("$SHOAL" query --format csv "SET NOW = '2025-07-01'; SELECT member, $body" | tail -n +2 | sed -n "$((off + 1)),$((off + k))p")
    got=$("$SHOAL" query --format csv "SET NOW = '2025-07-01'; SELECT member, $q" | tail -n +2)
    check_eq "views: top k by an aggregate ($q)" "$got" "$want"
done
e=$("$SHOAL" query --format csv "SET NOW = '2025-06-15T12:00:00Z'; EXPLAIN SELECT member, count(post) DURING last 12 hours AS v FROM members")
check_grep "views: a window without a whole day scans the log" "scan log: .*holds no whole day" "$e"
# A score as of a time before later events: the view less those events (zone map).
e=$("$SHOAL" query --format csv "SET NOW = '2025-06-15T23:59:59.999'; EXPLAIN SELECT member, engagement FROM members")
check_grep "views: a score as of a time before later events reads the view less them" "engagement: score engagement as of now, from its view less the log's later events" "$e"
both views-score-past "SET NOW = '2025-06-15T23:59:59.999'; SELECT member, round(engagement, 6) AS e FROM members ORDER BY engagement DESC, member LIMIT 40"
both views-score-as-of "SELECT member, round(engagement, 6) AS e, count(*) DURING all_time AS n FROM members WHERE engagement > 5 ORDER BY member AS OF '2025-04-30'"
e=$("$SHOAL" query --format csv "SET NOW = '2024-01-15'; EXPLAIN SELECT member, engagement FROM members")
check_grep "views: a score long before the latest event scans the log" "scan log: .*more than 10 half-lives before its latest event" "$e"
a=$("$SHOAL" query --format csv "SET NOW = '2025-06-15'; SELECT member, round(engagement, 6) AS e FROM members ORDER BY engagement DESC, member LIMIT 5")
check_grep "views: a score as of a past time" "^m-[0-9]+,[0-9.]+$" "$a"

# The oracle: the same file in sqlite3, first copy of each id only.
if command -v sqlite3 >/dev/null; then
    oracle_load "$T/ev.ndjson" <<'SQL' || fail views-oracle-load
CREATE TABLE ev AS SELECT json_extract(j, '$.ts') AS ts, json_extract(j, '$.member') AS member,
    json_extract(j, '$.type') AS type, json_extract(j, '$.original') AS original,
    json_extract(j, '$.words') AS words FROM raw
    WHERE rowid IN (SELECT min(rowid) FROM raw GROUP BY json_extract(j, '$.id'));
SQL
    oracle views-oracle-core-creator \
        "$NOW SELECT member, count(post WHERE original) DURING this_month AS o, count(essence) AS e FROM members WHERE o >= 2 OR e >= 3 ORDER BY o DESC, member" \
        "SELECT member, sum(type = 'post' AND original = 1 AND ts >= '2025-06-01' AND ts < '2025-07-01') AS o, sum(type = 'essence') AS e FROM ev GROUP BY member HAVING o >= 2 OR e >= 3 ORDER BY o DESC, member"
    oracle views-oracle-words \
        "SELECT member, count(post) AS p, sum(post.words) AS w FROM members WHERE p > 0 ORDER BY member" \
        "SELECT member, count(*), sum(words) FROM ev WHERE type = 'post' GROUP BY member ORDER BY member"
    oracle views-oracle-score \
        "SET NOW = '2025-07-01'; SELECT member, round(engagement, 3) AS e FROM members ORDER BY engagement DESC, member LIMIT 10" \
        "SELECT member, rtrim(rtrim(printf('%.3f', e), '0'), '.') FROM (SELECT member, sum(CASE type WHEN 'checkin' THEN 1 WHEN 'like' THEN 2 WHEN 'comment' THEN 3 WHEN 'reply' THEN 4 WHEN 'post' THEN 5 WHEN 'essence' THEN 20 ELSE 0 END * power(2, (julianday(ts) - julianday('2025-07-01')) / 30)) AS e FROM ev GROUP BY member) ORDER BY e DESC, member LIMIT 10"
else
    fail views-oracle "sqlite3 is not installed (apt-get install sqlite3)"
fi

out=$("$SHOAL" rebuild)
check_grep "views: rebuild every view" "^rebuilt 3 views" "$out"
check "views: check after rebuild" "$SHOAL" check
check "views: rebuild one view" "$SHOAL" rebuild engagement
check_status "views: rebuild an unknown view" 2 "$SHOAL" rebuild nosuch
check_status "views: DROP SCORE of a counters view is refused" 1 "$SHOAL" query "DROP SCORE activity"
e=$("$SHOAL" query "SELECT member FROM members ORDER BY enggement DESC LIMIT 5" 2>&1)
check_grep "views: a misspelt score as a column: did you mean" 'query:1:37: error: unknown column "enggement" \(did you mean "engagement"\?\)' "$e"
check "views: DROP VIEW" "$SHOAL" query "DROP VIEW sh; DROP SCORE engagement"
show=$("$SHOAL" query --format csv 'SHOW VIEWS')
if printf '%s\n' "$show" | grep -q '^activity,' && ! printf '%s\n' "$show" | grep -Eq '^(engagement|sh),'; then ok "views: SHOW VIEWS after DROP"
else fail "views: SHOW VIEWS after DROP" "$show"; fi
e=$("$SHOAL" query --format csv "SET NOW = '2025-06-15'; EXPLAIN SELECT member, engagement FROM members" 2>&1)
check_grep "views: a dropped score is no column" "unknown column \"engagement\"" "$e"
"$SHOAL" ingest -q "$T/b.ndjson"
check "views: check after DROP and ingest" "$SHOAL" check

# A filter a view cannot keep is refused with a pointer at it.
e=$("$SHOAL" query "CREATE COUNTERS bad AS count(post WHERE ts > '2025-01-01')" 2>&1)
check_grep "views: a filter on an event's time is refused" "reads event properties and member, type and group, not seq or ts" "$e"
# member, type and group are kept, compared by name as the scan compares them
check "views: a filter on member, type and group" "$SHOAL" query \
    "CREATE COUNTERS by_name AS count(post, like WHERE group = 'g-1' OR member < 'm-2' AND type != 'like'), count(* WHERE group IS NULL)"
for q in "SELECT member, count(post, like WHERE group = 'g-1' OR member < 'm-2' AND type != 'like') AS n FROM members ORDER BY member" \
         "SELECT member, count(* WHERE group IS NULL) AS n FROM members ORDER BY member"; do
    on=$("$SHOAL" query --format csv "$q")
    off=$("$SHOAL" query --format csv "SET VIEWS = off; $q")
    check_eq "views: by name, views on and off: $q" "$on" "$off"
    check_grep "views: by name, answered by the view" "counters by_name" "$("$SHOAL" query "EXPLAIN $q")"
done

# A one-hour half-life over a year of events moves the score's epoch forward many times
# (every 512 half-lives): still equal to a rebuild and to the log scan.
check "views: a score with a short half-life" "$SHOAL" query "CREATE SCORE quick AS 1*like + 5*post HALF_LIFE 1 HOURS"
"$SHOAL" ingest -q "$T/c.ndjson"
check "views: check with a rescaled score" "$SHOAL" check
both views-score-rescaled "SET NOW = '2025-07-01'; SELECT member, round(quick * 1000000, 6) AS q FROM members ORDER BY quick DESC, member LIMIT 10"

# Two processes appending at once, each keeping the views (LMDB serialises them; each
# notices the other's batches through the view headers).
"$SHOAL" gen --events 20000 --seed 6 --late 0.1 2>/dev/null | sed 's/"id":"e-/"id":"x-/' > "$T/x.ndjson"
"$SHOAL" gen --events 20000 --seed 7 --late 0.1 2>/dev/null | sed 's/"id":"e-/"id":"y-/' > "$T/y.ndjson"
"$SHOAL" ingest -q --batch 1000 "$T/x.ndjson" & pid=$!
"$SHOAL" ingest -q --batch 1500 "$T/y.ndjson"
wait $pid
out=$("$SHOAL" check)
check_grep "views: check after concurrent ingests" "^ok$" "$out"

# Back-fill progress: a line on a terminal (under script), nothing on stderr otherwise.
"$SHOAL" gen --events 200000 --seed 9 > "$T/p.ndjson"
"$SHOAL" --db "$T/pdb" ingest -q --nosync "$T/p.ndjson"
script -qec "\"$SHOAL\" --db \"$T/pdb\" query \"CREATE COUNTERS progress_a AS count(post)\"" /dev/null > "$T/pty.out" 2>&1
check_grep "views: back-fill progress on a terminal" "progress_a: [0-9]+% \(0\.[0-9]M of 0\.2M events\)" "$(tr '\r' '\n' < "$T/pty.out")"
err=$("$SHOAL" --db "$T/pdb" query "CREATE COUNTERS progress_b AS count(post)" 2>&1 >/dev/null)
check_eq "views: no progress without a terminal" "$err" ""

# With views, ingest commits 131072 events a batch by default (16384 without): the
# views' buckets and chunks are rewritten per batch, so fewer batches cost less.
head -n 20000 "$T/ev.ndjson" > "$T/big.ndjson"
out=$(SHOAL_DB="$T/nov" "$SHOAL" ingest -v --nosync "$T/big.ndjson" 2>&1)
check_eq "views: without views a batch is 16384 events" "$(grep -m1 '^committed through' <<<"$out" | cut -d: -f1)" "committed through line 16384"
SHOAL_DB="$T/withv" "$SHOAL" ingest -q /dev/null
SHOAL_DB="$T/withv" "$SHOAL" query "$COUNTERS" >/dev/null 2>&1
out=$(SHOAL_DB="$T/withv" "$SHOAL" ingest -v --nosync "$T/big.ndjson" 2>&1)
check_eq "views: with views the first batch holds all 20000 events" "$(grep -m1 '^committed through' <<<"$out" | cut -d: -f1)" "committed through line 20000"
check "views: check after one large batch" env SHOAL_DB="$T/withv" "$SHOAL" check
out=$(SHOAL_DB="$T/withv2" "$SHOAL" ingest -q /dev/null; SHOAL_DB="$T/withv2" "$SHOAL" query "$COUNTERS" >/dev/null 2>&1;
      SHOAL_DB="$T/withv2" "$SHOAL" ingest -v --batch 5000 --nosync "$T/big.ndjson" 2>&1)
check_eq "views: --batch still sets the batch" "$(grep -m1 '^committed through' <<<"$out" | cut -d: -f1)" "committed through line 5000"
