#!/usr/bin/env bash
# tests/e2e/lang.sh — the language's edges on real databases: LIMIT arithmetic that must
# not wrap, cancellation of a long statement, expressions too deep to evaluate, and the
# types of dates, durations and comparisons, checked against sqlite3 where it can say.
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 30000 --seed 3 > "$T/ev.ndjson" 2>/dev/null || { fail lang-gen; exit 0; }
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail lang-ingest; exit 0; }

have_sqlite=1
command -v sqlite3 >/dev/null || { have_sqlite=0; fail lang-sqlite3 "sqlite3 is not installed (apt-get install sqlite3)"; }
[ $have_sqlite = 1 ] && oracle_load "$T/ev.ndjson" <<'SQL'
CREATE VIEW ev AS SELECT rowid AS seq, json_extract(j, '$.ts') AS ts, json_extract(j, '$.member') AS member,
    json_extract(j, '$.type') AS type, json_extract(j, '$.original') AS original,
    json_extract(j, '$.words') AS words FROM raw;
SQL
# same NAME SHOAL SQLITE: shoal's rows (CSV, header dropped) equal sqlite3's, not empty
same() {
    [ $have_sqlite = 1 ] || return 0
    local a b
    a=$("$SHOAL" query --format csv "$2" 2>&1 | tail -n +2)
    b=$(sqlite3 -csv "$T/oracle.db" "$3" 2>&1)
    if [ -n "$b" ] && rows_close "$a" "$b"; then ok "$1"; else fail "$1" "shoal:" "$(printf '%s\n' "$a" | head -5)" "sqlite:" "$(printf '%s\n' "$b" | head -5)"; fi
}

# ---------------------------------------------------------------- windows
# last N WEEKS is N times 7 days (its bound was 0 weeks: always "too long")
NOW="SET NOW = '2025-06-20T00:00:00Z';"
same lang-last-weeks-events "$NOW SELECT type, count(*) FROM events DURING last 3 WEEKS GROUP BY type ORDER BY type" \
    "SELECT type, count(*) FROM ev WHERE ts > '2025-05-30T00:00:00.000Z' AND ts <= '2025-06-20T00:00:00.000Z' GROUP BY type ORDER BY type"
W="$NOW SELECT member, count(*) DURING last 2 WEEKS AS n, count(post) DURING last 1 WEEK AS p FROM members WHERE count(*) DURING last 2 WEEKS > 0 ORDER BY member"
same lang-last-weeks-members "$W" \
    "SELECT member, sum(ts > '2025-06-06T00:00:00.000Z'), sum(type = 'post' AND ts > '2025-06-13T00:00:00.000Z') FROM ev WHERE ts <= '2025-06-20T00:00:00.000Z' GROUP BY member HAVING sum(ts > '2025-06-06T00:00:00.000Z') > 0 ORDER BY member"
check_eq lang-last-weeks-is-days "$("$SHOAL" query "$W")" "$("$SHOAL" query "${W//2 WEEKS/14 DAYS}" | sed 's/14 DAYS/2 WEEKS/')"
"$SHOAL" --db "$T/wk" ingest -q "$T/ev.ndjson" && "$SHOAL" --db "$T/wk" query "CREATE COUNTERS c AS count(*), count(post)" >/dev/null
check_eq lang-last-weeks-view "$("$SHOAL" --db "$T/wk" query "$W")" "$("$SHOAL" query "$W")"
check_grep lang-last-weeks-view-used 'view' "$("$SHOAL" --db "$T/wk" query "$NOW EXPLAIN ${W#"$NOW"}")"
check_eq lang-last-weeks-too-long "$("$SHOAL" query "SELECT count(*) FROM events DURING last 14286 WEEKS" 2>&1 | head -1)" \
    'query:1:36: error: window "last 14286 WEEKS" is too long'
check_eq lang-last-weeks-longest "$("$SHOAL" query "SELECT count(*) AS n FROM events DURING last 14285 WEEKS" 2>&1)" $'n\n30000'

# ---------------------------------------------------------------- dates, days, weeks, months
# A date compared with day(), week() or month() is a day (it was an instant, and matched
# nothing); '2025-06' is a month; a day minus a date counts days.
same lang-day-eq-date "SELECT count(*) FROM events WHERE day(ts) = 2025-06-01" \
    "SELECT count(*) FROM ev WHERE date(ts) = '2025-06-01'"
same lang-day-eq-text "SELECT count(*) FROM events WHERE day(ts) = '2025-06-01'" \
    "SELECT count(*) FROM ev WHERE date(ts) = '2025-06-01'"
same lang-day-order "SELECT count(*) FROM events WHERE day(ts) >= 2025-06-01 AND day(ts) < 2025-06-08" \
    "SELECT count(*) FROM ev WHERE date(ts) >= '2025-06-01' AND date(ts) < '2025-06-08'"
same lang-week-eq-date "SELECT count(*) FROM events WHERE week(ts) = 2025-06-02" \
    "SELECT count(*) FROM ev WHERE date(ts, '-6 days', 'weekday 1') = '2025-06-02'"
same lang-month-eq-text "SELECT count(*) FROM events WHERE month(ts) = '2025-05'" \
    "SELECT count(*) FROM ev WHERE strftime('%Y-%m', ts) = '2025-05'"
same lang-month-eq-date "SELECT count(*) FROM events WHERE month(ts) = 2025-05-01" \
    "SELECT count(*) FROM ev WHERE strftime('%Y-%m', ts) = '2025-05'"
same lang-month-between "SELECT month(ts) AS m, count(*) FROM events WHERE month(ts) BETWEEN '2024-11' AND '2025-01' GROUP BY m ORDER BY m" \
    "SELECT strftime('%Y-%m', ts) AS m, count(*) FROM ev WHERE m BETWEEN '2024-11' AND '2025-01' GROUP BY m ORDER BY m"
same lang-day-minus-date "SELECT day(ts) - 2025-06-01 AS d, count(*) FROM events WHERE ts >= '2025-05-25' GROUP BY d ORDER BY d" \
    "SELECT CAST(julianday(date(ts)) - julianday('2025-06-01') AS INTEGER) AS d, count(*) FROM ev WHERE ts >= '2025-05-25' GROUP BY d ORDER BY d"
same lang-month-minus-month "SELECT month(ts) - month(2024-07-15) AS d, count(*) FROM events GROUP BY d ORDER BY d" \
    "SELECT (CAST(strftime('%Y', ts) AS INTEGER) - 2024) * 12 + CAST(strftime('%m', ts) AS INTEGER) - 7 AS d, count(*) FROM ev GROUP BY d ORDER BY d"
same lang-day-vs-instant "SELECT count(*) FROM events WHERE day(ts) < 2025-06-01T00:00:01Z AND ts >= '2025-05-31'" \
    "SELECT count(*) FROM ev WHERE date(ts) <= '2025-06-01' AND ts >= '2025-05-31'"
same lang-day-plus-days "SELECT day(ts) + 3 AS d, count(*) FROM events WHERE month(ts) = '2025-02' GROUP BY d ORDER BY d" \
    "SELECT date(ts, '+3 days') AS d, count(*) FROM ev WHERE strftime('%Y-%m', ts) = '2025-02' GROUP BY d ORDER BY d"

# ---------------------------------------------------------------- durations
# means, medians and sums of durations are durations; a duration over a duration is a number
same lang-dur-avg-ratio "SELECT round(avg(first(post) - first(join)) / 1 SECONDS, 3) AS a FROM members WHERE count(post) > 0 AND count(join) > 0" \
    "SELECT round(avg(p - j) / 1000.0, 3) FROM (SELECT member, min(CASE WHEN type = 'post' THEN julianday(ts) END) * 86400000 AS p, min(CASE WHEN type = 'join' THEN julianday(ts) END) * 86400000 AS j FROM ev GROUP BY member) WHERE p IS NOT NULL AND j IS NOT NULL"
same lang-dur-sum-ratio "SELECT sum(first(post) - first(join)) / 1 DAYS AS s FROM members" \
    "SELECT round(sum(p - j), 0) / 86400000.0 FROM (SELECT member, min(CASE WHEN type = 'post' THEN julianday(ts) END) * 86400000 AS p, min(CASE WHEN type = 'join' THEN julianday(ts) END) * 86400000 AS j FROM ev GROUP BY member) WHERE p IS NOT NULL AND j IS NOT NULL"
check_grep lang-dur-median-is-duration '^[0-9]+ days? [0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]+ days? [0-9]{2}:[0-9]{2}:[0-9]{2}$' \
    "$("$SHOAL" query "SELECT median(first(post) - first(join)) AS m, avg(first(post) - first(join)) AS a FROM members" | tail -1)"
# per member, the median of one duration is that duration (min keeps its type too)
out=$("$SHOAL" query "SELECT member, median(first(post) - first(join)) = min(first(post) - first(join)) AS same FROM members WHERE count(post) > 0 AND count(join) > 0 GROUP BY member" | tail -n +2)
check_eq lang-dur-median-vs-min "$(printf '%s\n' "$out" | cut -d, -f2 | sort -u)" "true"

# ---------------------------------------------------------------- comparisons across types
# text that spells what it is compared with is read as it: '2025' as a number, 'true'
# as a boolean (for a property too, whose values have no type before they are read)
same lang-year-eq-text "SELECT count(*) FROM events WHERE year(ts) = '2025'" \
    "SELECT count(*) FROM ev WHERE strftime('%Y', ts) = '2025'"
same lang-prop-eq-true-text "SELECT count(*) FROM events WHERE original = 'true'" \
    "SELECT count(*) FROM ev WHERE original = 1"
same lang-prop-ne-false-text "SELECT count(*) FROM events WHERE original != 'FALSE'" \
    "SELECT count(*) FROM ev WHERE original = 1"
same lang-prop-in-number-text "SELECT count(*) FROM events WHERE words IN ('10', '20.0', 30)" \
    "SELECT count(*) FROM ev WHERE words IN (10, 20, 30)"
# … and in an order, text that spells a number is that number (as text it sorted after
# every number: words > '100' matched nothing)
same lang-prop-order-text "SELECT count(*) FROM events WHERE words > '100' AND words <= '300.5'" \
    "SELECT count(*) FROM ev WHERE words > 100 AND words <= 300.5"
same lang-prop-between-text "SELECT count(*) FROM events WHERE words BETWEEN '10' AND '20'" \
    "SELECT count(*) FROM ev WHERE words BETWEEN 10 AND 20"
same lang-prop-view-spelled "SELECT sum(count(post WHERE original = 'true')) AS n FROM members" \
    "SELECT count(*) FROM ev WHERE type = 'post' AND original = 1"
"$SHOAL" --db "$T/wk" query "CREATE COUNTERS spelled AS count(post WHERE original = 'true')" >/dev/null
check_eq lang-prop-view-spelled-view "$("$SHOAL" --db "$T/wk" query "SELECT sum(count(post WHERE original = 'true')) AS n FROM members")" \
    "$("$SHOAL" query "SELECT sum(count(post WHERE original = 'true')) AS n FROM members")"
"$SHOAL" --db "$T/wk" query "CREATE COUNTERS ordered AS count(post WHERE words > '100')" >/dev/null
check_eq lang-prop-view-ordered-view "$("$SHOAL" --db "$T/wk" query "SELECT sum(count(post WHERE words > '100')) AS n FROM members")" \
    "$("$SHOAL" query "SELECT sum(count(post WHERE words > 100)) AS n FROM members")"
check_grep lang-prop-view-spelled-used 'counters spelled' "$("$SHOAL" --db "$T/wk" query "EXPLAIN SELECT sum(count(post WHERE original = 'true')) AS n FROM members")"

# ---------------------------------------------------------------- min and max per member
# of text and booleans: as over events (they were NULL per member), from a scan even
# when a view keeps the member's other aggregates
M="SELECT member, min(reply.to) AS lo, max(reply.to) AS hi, min(post.original) AS o1, max(post.original) AS o2 FROM members WHERE count(reply) > 0 AND count(post) > 0 ORDER BY member"
E="SELECT member, min(CASE WHEN type = reply THEN to END) AS lo, max(CASE WHEN type = reply THEN to END) AS hi, min(CASE WHEN type = post THEN original END) AS o1, max(CASE WHEN type = post THEN original END) AS o2 FROM events GROUP BY member HAVING count(CASE WHEN type = reply THEN 1 END) > 0 AND count(CASE WHEN type = post THEN 1 END) > 0 ORDER BY member"
out=$("$SHOAL" query "$M")
check_eq lang-minmax-text-members-vs-events "$out" "$("$SHOAL" query "$E")"
check_grep lang-minmax-text-not-null '^m-[0-9]+,m-[0-9]+,m-[0-9]+,(true|false),(true|false)$' "$(printf '%s\n' "$out" | sed -n 2p)"
same lang-minmax-text-sqlite "SELECT member, min(reply.to), max(reply.to) FROM members WHERE count(reply) > 0 ORDER BY member" \
    "SELECT member, min(json_extract(j, '$.to')), max(json_extract(j, '$.to')) FROM raw JOIN ev ON ev.seq = raw.rowid WHERE type = 'reply' GROUP BY member ORDER BY member"
check_eq lang-minmax-text-view "$("$SHOAL" --db "$T/wk" query "$M")" "$out"
check_grep lang-minmax-text-explain '#[0-9] min\(reply.to\): types \{reply\}' "$("$SHOAL" --db "$T/wk" query "EXPLAIN $M")"
check_grep lang-minmax-text-explain-why 'scan log: .*min\(reply.to\) is not kept by views' \
    "$("$SHOAL" --db "$T/wk" query "EXPLAIN SELECT member, min(reply.to) AS lo FROM members")"
# a sum or an avg of text is an error, per member, over events, and at CREATE COUNTERS
check_grep lang-sum-text-members 'error: sum\(reply.to\) takes numbers, but its property holds text here' \
    "$("$SHOAL" query "SELECT member, sum(reply.to) AS s FROM members" 2>&1 | head -1)"
check_grep lang-sum-text-events 'error: avg\(to\) takes numbers, but its argument is text here' \
    "$("$SHOAL" query "SELECT avg(to) AS s FROM events" 2>&1 | head -1)"
check_grep lang-sum-text-view 'error: sum\(reply.to\) takes numbers' \
    "$("$SHOAL" --db "$T/wk" query "CREATE COUNTERS bad AS count(post), sum(reply.to)" 2>&1 | head -1)"

# ---------------------------------------------------------------- LIMIT and OFFSET
# LIMIT + OFFSET saturates: a LIMIT of 2^63-1 once wrapped the rows kept to a small
# number, and every row re-sorted them (minutes on 30k events, Ctrl-C ignored).
out=$(timeout 20 "$SHOAL" query "SELECT seq FROM events ORDER BY seq DESC LIMIT 9223372036854775807"); rc=$?
check_eq lang-limit-max-status "$rc" 0
check_eq lang-limit-max-rows "$(printf '%s\n' "$out" | tail -n +2)" "$(seq 30000 -1 1)"
out=$(timeout 20 "$SHOAL" query "SELECT seq FROM events ORDER BY seq LIMIT 2 OFFSET 9223372036854775806"); rc=$?
check_eq lang-limit-offset-max "$rc:$out" "0:seq"
out=$(timeout 20 "$SHOAL" query "SELECT seq FROM events ORDER BY seq LIMIT 9223372036854775807 OFFSET 29998"); rc=$?
check_eq lang-limit-max-offset "$rc:$(printf '%s' "$out" | tr '\n' ' ')" "0:seq 29999 30000"
out=$(timeout 20 "$SHOAL" query "SELECT member, count(*) DURING all_time AS n FROM members ORDER BY n DESC, member LIMIT 9223372036854775807 OFFSET 9223372036854775807"); rc=$?
check_eq lang-limit-members-max "$rc:$out" "0:member,n"

# SIGINT ends a long statement with the cancel error (a scan whose WHERE tests each
# event against 3000 values: seconds of work)
"$SHOAL" gen --events 300000 --seed 5 > "$T/big.ndjson" 2>/dev/null
"$SHOAL" --db "$T/big" ingest -q "$T/big.ndjson" || fail lang-big-ingest
list=$(seq -s, -3000 -1)
interrupt 1 "$SHOAL" --db "$T/big" query "SELECT count(*) AS n FROM events WHERE seq IN ($list)"
check_eq lang-sigint-status "$rc" 130
check_eq lang-sigint-message "$(cat "$T/err")" "cancelled"
if grep -q '^[0-9]' "$T/out"; then fail lang-sigint-no-rows "$(cat "$T/out")"; else ok lang-sigint-no-rows; fi
if [ "$ms" -lt 3000 ]; then ok lang-sigint-prompt; else fail lang-sigint-prompt "${ms} ms after the signal"; fi

# ---------------------------------------------------------------- depth
# Every expression gets an answer or "nested too deeply" at the operator that passed
# the limit (1000 levels), never a crash: a chain of 30,000 '+' or OR, from a file
# and in the REPL.
python3 -c "print('SELECT 1' + ' + 1' * 30000 + ' AS x')" > "$T/plus.shoal"
"$SHOAL" query -f "$T/plus.shoal" >/dev/null 2>"$T/err"; rc=$?
check_eq lang-deep-plus "$rc:$(head -1 "$T/err")" "1:$T/plus.shoal:1:4006: error: the statement is nested too deeply"
python3 -c "print('SELECT count(*) AS n FROM events WHERE ' + ' OR '.join('seq = %d' % i for i in range(30000)))" > "$T/or.shoal"
"$SHOAL" query -f "$T/or.shoal" >/dev/null 2>"$T/err"; rc=$?
check_eq lang-deep-or "$rc:$(head -1 "$T/err")" "1:$T/or.shoal:1:12914: error: the statement is nested too deeply"
out=$("$SHOAL" repl < "$T/or.shoal" 2>&1 | head -1)
check_eq lang-deep-or-repl "$out" "query:1:12914: error: the statement is nested too deeply"
python3 -c "print('SELECT ' + 'NOT ' * 30000 + 'TRUE AS x')" > "$T/not.shoal"
check_grep lang-deep-not 'nested too deeply' "$("$SHOAL" query -f "$T/not.shoal" 2>&1 | head -1)"
python3 -c "print('SELECT ' + '- ' * 30000 + '1 AS x')" > "$T/neg.shoal"
check_grep lang-deep-neg 'nested too deeply' "$("$SHOAL" query -f "$T/neg.shoal" 2>&1 | head -1)"
# … and just under the limit, the answer (999 '+', 999 OR)
python3 -c "print('SELECT 1' + ' + 1' * 998 + ' AS x')" > "$T/plus999.shoal"
check_eq lang-deep-plus-999 "$("$SHOAL" query -f "$T/plus999.shoal" 2>&1)" $'x\n999'
python3 -c "print('SELECT count(*) AS n FROM events WHERE ' + ' OR '.join('seq = %d' % i for i in range(1, 1000)))" > "$T/or999.shoal"
check_eq lang-deep-or-999 "$("$SHOAL" query -f "$T/or999.shoal" 2>&1)" $'n\n999'
# layers compile in place: a layer of 989 ORs named by another, as deep as they add up
python3 -c "print('CREATE LAYER wide AS ' + ' OR '.join('count(post) = %d' % i for i in range(1, 990)))" > "$T/wide.shoal"
check lang-deep-layer-create "$SHOAL" query -f "$T/wide.shoal"
python3 -c "print('SELECT count(*) AS n FROM members WHERE ' + ' OR '.join(['member IN wide'] * 990))" > "$T/wide2.shoal"
check_eq lang-deep-layer-use "$("$SHOAL" query -f "$T/wide2.shoal" 2>&1)" \
    "$("$SHOAL" query 'SELECT count(*) AS n FROM members WHERE count(post) BETWEEN 1 AND 989')"
python3 -c "print('CREATE LAYER wider AS ' + ' OR '.join(['member IN wide'] * 990))" > "$T/wider.shoal"
check lang-deep-layer-create-2 "$SHOAL" query -f "$T/wider.shoal"
python3 -c "print('SELECT count(*) AS n FROM members WHERE ' + ' OR '.join(['member IN wider'] * 30))" > "$T/wider2.shoal"
check_eq lang-deep-layer-too-deep "$("$SHOAL" query -f "$T/wider2.shoal" 2>&1 | head -1)" \
    "$T/wider2.shoal:1:51: error: layer \"wider\": layer \"wide\": the statement is nested too deeply"
