#!/usr/bin/env bash
# tests/e2e/query.sh — `shoal query`: inline text, -f files (several statements, stop at
# the first error with its position), formats, exit statuses.
. "$(dirname "$0")/../lib.sh"

printf '%s\n' '{"ts":"2025-03-03T09:00:00Z","member":"alice","type":"post","words":10}' \
              '{"ts":"2025-03-04T09:00:00Z","member":"bob","type":"post","words":30}' > "$T/ev.ndjson"
check_status query-no-database 2 "$SHOAL" query 'SELECT 1'
"$SHOAL" ingest "$T/ev.ndjson" >/dev/null 2>&1

check_eq query-inline "$("$SHOAL" query 'SELECT count(*) AS n, sum(words) AS w FROM events')" $'n,w\n2,40'
# An integer sum that would pass 2^63 goes on as a double, not wrapped (three times 2^62).
for d in 1 2 3; do printf '{"ts":"2025-03-0%sT09:00:00Z","member":"a","type":"t","v":4611686018427387904}\n' $d; done > "$T/big.ndjson"
"$SHOAL" --db "$T/big" ingest -q "$T/big.ndjson" || fail query-sum-overflow-ingest
check_eq query-sum-overflow "$("$SHOAL" --db "$T/big" query 'SELECT sum(v) AS s, avg(v) AS a FROM events')" \
    $'s,a\n1.3835058055282164e+19,4.611686018427388e+18'
# Names that share their first 8 bytes sort by the rest (100 members, made in an order
# unlike theirs).
for i in $(seq 100); do printf '{"ts":"2025-03-01T09:00:00Z","member":"member-long-%03d","type":"t","id":"x%d"}\n' $(( (i * 37) % 100 )) $i; done > "$T/long.ndjson"
"$SHOAL" --db "$T/long" ingest -q "$T/long.ndjson" || fail query-sort-long-ingest
a=$("$SHOAL" --db "$T/long" query 'SELECT member FROM members ORDER BY member' | tail -n +2)
check_eq query-sort-shared-prefix "$a" "$(printf '%s\n' "$a" | LC_ALL=C sort)"
check_eq query-sort-shared-prefix-desc "$("$SHOAL" --db "$T/long" query 'SELECT member FROM members ORDER BY member DESC' | tail -n +2)" "$(printf '%s\n' "$a" | tac)"
# last N DAYS is (now - N days, now]: an event at exactly now - 7 days is out, one a
# millisecond later is in, one at now is in, one after now is out; the same from a view.
printf '%s\n' '{"id":"a","ts":"2025-03-03T12:00:00.000Z","member":"w","type":"t"}' \
              '{"id":"b","ts":"2025-03-03T12:00:00.001Z","member":"w","type":"t"}' \
              '{"id":"c","ts":"2025-03-10T12:00:00.000Z","member":"w","type":"t"}' \
              '{"id":"d","ts":"2025-03-10T12:00:00.001Z","member":"w","type":"t"}' > "$T/edge.ndjson"
"$SHOAL" --db "$T/edge" ingest -q "$T/edge.ndjson" || fail query-last-n-ingest
W="SET NOW = '2025-03-10T12:00:00Z'; SELECT count(*) DURING last 7 days AS n FROM members"
check_eq query-last-n-days-bounds "$("$SHOAL" --db "$T/edge" query "$W")" $'n\n2'
check_eq query-last-n-days-events "$("$SHOAL" --db "$T/edge" query "SET NOW = '2025-03-10T12:00:00Z'; SELECT count(*) AS n FROM events DURING last 7 days")" $'n\n2'
"$SHOAL" --db "$T/edge" query "CREATE COUNTERS c AS count(*)" >/dev/null || fail query-last-n-view
check_eq query-last-n-days-bounds-view "$("$SHOAL" --db "$T/edge" query "$W")" $'n\n2'
check_eq query-format-ndjson "$("$SHOAL" query --format ndjson 'SELECT member FROM members ORDER BY member')" \
    $'{"member":"alice"}\n{"member":"bob"}'
check_eq query-format-equals "$("$SHOAL" query --format=markdown 'SELECT 1 AS one')" $'| one |\n| --: |\n|   1 |'
check_grep query-timing 'Time: [0-9.]+ ms' "$("$SHOAL" query --format table --timing 'SELECT 1')"
check_status query-bad-format 2 "$SHOAL" query --format yaml 'SELECT 1'
check_status query-no-text 2 "$SHOAL" query
check_grep query-help 'usage: shoal query' "$("$SHOAL" query --help 2>&1)"

cat > "$T/report.shoal" <<'SHOAL'
-- a report: two statements, then a mistake, then one that must not run
SELECT count(*) AS posts FROM events WHERE type = post;
SELECT member FROM members ORDER BY member LIMIT 1;
SELECT member FROM events
WHERE wrods > 3;
SELECT 'not reached' AS x;
SHOAL
out=$("$SHOAL" query -f "$T/report.shoal" 2>"$T/err"); rc=$?
check_eq query-file-output "$out" $'posts\n2\nmember\nalice'
check_eq query-file-error "$(cat "$T/err")" "$T/report.shoal:5:7: error: unknown column \"wrods\""$'\nWHERE wrods > 3;\n      ^~~~~'
check_eq query-file-status "$rc" 1
out=$(printf 'SELECT 1 AS a;\nSELECT 2 AS b\n' | "$SHOAL" query -f - 2>&1)
check_eq query-file-stdin "$out" $'a\n1\nb\n2'
out=$(printf 'SELECT 1 AS a;\nSELEC 2\n' | "$SHOAL" query -f - 2>&1)
check_eq query-syntax-error-runs-nothing "$out" $'<stdin>:2:1: error: expected "CREATE", "DROP", "EXPLAIN", "SELECT", "SET", "SHOW", \';\' or end of input but found "SELEC"\nSELEC 2\n^~~~~'
check_status query-missing-file 2 "$SHOAL" query -f "$T/nope.shoal"

# SET TIMEZONE and SET NOW last for the session (one run); SET DATABASE TIMEZONE is the
# default of every later session that sets none.
check_eq query-timezone-session "$("$SHOAL" query "SET TIMEZONE = 'Asia/Shanghai'; SELECT ts FROM events WHERE seq = 1")" \
    $'ts\n2025-03-03T17:00:00+08:00'
check_eq query-timezone-not-persisted "$("$SHOAL" query 'SELECT ts FROM events WHERE seq = 1')" $'ts\n2025-03-03T09:00:00Z'
"$SHOAL" query "SET DATABASE TIMEZONE = 'Europe/Berlin'" >/dev/null
check_eq query-timezone-persists "$("$SHOAL" query 'SELECT ts FROM events WHERE seq = 1')" $'ts\n2025-03-03T10:00:00+01:00'
check_eq query-timezone-dst "$("$SHOAL" query "SELECT 2025-07-01T12:00 AS t")" $'t\n2025-07-01T12:00:00+02:00'
check_eq query-timezone-session-over-database "$("$SHOAL" query "SET TIMEZONE = 'UTC'; SELECT ts FROM events WHERE seq = 1; SHOW SETTINGS" | head -3)" \
    $'ts\n2025-03-03T09:00:00Z\nsetting,value,scope'
check_grep query-timezone-scope-session '^timezone,UTC,session$' "$("$SHOAL" query "SET TIMEZONE = 'UTC'; SHOW SETTINGS")"
check_grep query-timezone-scope-database '^timezone,Europe/Berlin,database$' "$("$SHOAL" query "SHOW SETTINGS")"
check_eq query-timezone-default "$("$SHOAL" query "SET TIMEZONE = 'UTC'; SET TIMEZONE = DEFAULT; SELECT ts FROM events WHERE seq = 1")" \
    $'ts\n2025-03-03T10:00:00+01:00'
e=$("$SHOAL" query "SET DATABASE NOW = '2025-01-01'" 2>&1)
check_grep query-database-setting-only-timezone 'query:1:14: error: the database keeps only TIMEZONE' "$e"
e=$("$SHOAL" query "SET DATA TIMEZONE = 'UTC'" 2>&1)
check_grep query-database-word 'query:1:5: error: expected a setting or DATABASE after SET but found "DATA"' "$e"
check_grep query-now-is-session 'wall clock' "$("$SHOAL" query 'SHOW SETTINGS')"
"$SHOAL" query "SET DATABASE TIMEZONE = 'UTC'" >/dev/null
check_eq query-timezone-database-back "$("$SHOAL" query 'SELECT ts FROM events WHERE seq = 1')" $'ts\n2025-03-03T09:00:00Z'
