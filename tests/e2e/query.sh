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
check_eq query-syntax-error-runs-nothing "$out" $'<stdin>:2:1: error: expected "CREATE", "DROP", "EVALUATE", "EXPLAIN", "SELECT", "SET", "SHOW", "WITH", \';\' or end of input but found "SELEC"\nSELEC 2\n^~~~~'
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

# ---------------------------------------------------------------- statements from stdin
check_eq query-stdin-implicit "$(echo 'SELECT 1 AS a' | "$SHOAL" query)" $'a\n1'
check_eq query-stdin-dash "$(printf 'SELECT 1 AS a;\nSELECT 2 AS b' | "$SHOAL" query --format ndjson -)" $'{"a":1}\n{"b":2}'
check_eq query-text-opening-with-a-comment "$("$SHOAL" query $'-- the answer\nSELECT 1 AS a')" $'a\n1'
check_status query-unknown-option-still-refused 2 "$SHOAL" query --frob "SELECT 1"
out=$(echo 'SELEC 1' | "$SHOAL" query 2>&1); rc=$?
check_eq query-stdin-error-named "$out" $'<stdin>:1:1: error: expected "CREATE", "DROP", "EVALUATE", "EXPLAIN", "SELECT", "SET", "SHOW", "WITH", \';\' or end of input but found "SELEC"\nSELEC 1\n^~~~~'
check_eq query-stdin-error-status "$rc" 1
out=$("$SHOAL" query </dev/null 2>&1); rc=$?
check_eq query-stdin-empty-status "$rc" 2
check_grep query-stdin-empty-message '^shoal query: error: no statement' "$out"
check_status query-stdin-and-text 2 "$SHOAL" query - 'SELECT 1'

# ---------------------------------------------------------------- timing and status lines
# Timing goes to stderr for every machine-readable format, never into the data; beside
# a table it follows the table on stdout, as psql's does.
for f in csv json ndjson markdown; do
    out=$("$SHOAL" query --format $f --timing 'SELECT 1 AS one' 2>"$T/err")
    check_grep "query-timing-$f-stderr" '^Time: [0-9.]+ ms$' "$(cat "$T/err")"
    if printf '%s' "$out" | grep -q 'Time'; then fail "query-timing-$f-not-in-output" "$out"; else ok "query-timing-$f-not-in-output"; fi
done
check_eq query-timing-json-parses "$("$SHOAL" query --format json --timing 'SELECT 1 AS one' 2>/dev/null)" $'[\n{"one":1}\n]'
out=$("$SHOAL" query --format table --timing 'SELECT 1 AS one; SELECT 2 AS two' 2>/dev/null)
check_grep query-timing-table-each "$(printf '%s' "$out" | grep -c '^Time: ')" '^2$'
# CREATE, DROP and SET say what they did beside tables (psql's command tags); a
# machine-readable format gets its data alone; --quiet leaves the tags out.
"$SHOAL" --db "$T/tags" ingest -q "$T/ev.ndjson"
out=$("$SHOAL" --db "$T/tags" query --format table "SET TIMEZONE = 'Asia/Shanghai'; CREATE COUNTERS act AS count(post); CREATE LAYER posters AS count(post) > 0; DROP LAYER posters; DROP VIEW act; SET NOW = DEFAULT" 2>&1)
check_eq query-tags-table "$out" $'SET TIMEZONE = \'Asia/Shanghai\'\nCREATE COUNTERS act (back-filled 2 events)\nCREATE LAYER posters\nDROP LAYER posters\nDROP VIEW act\nSET NOW = DEFAULT'
out=$("$SHOAL" --db "$T/tags" query --format csv "SET TIMEZONE = 'Asia/Shanghai'; CREATE COUNTERS act AS count(post); DROP VIEW act; SELECT 1 AS x" 2>&1)
check_eq query-tags-not-in-csv "$out" $'x\n1'
out=$("$SHOAL" --db "$T/tags" query --format table --quiet "SET TIMEZONE = 'UTC'; CREATE COUNTERS act AS count(post); DROP VIEW act" 2>&1)
check_eq query-tags-quiet "$out" ""

# ---------------------------------------------------------------- CREATE OR REPLACE, DROP … IF EXISTS
# A definitions file runs again: an unchanged view is kept (no back-fill), a changed one
# replaced, a missing one dropped without error.
cat > "$T/defs.shoal" <<'SHOAL'
DROP LAYER IF EXISTS gone;
CREATE OR REPLACE COUNTERS act AS count(post), sum(post.words);
CREATE OR REPLACE SCORE heat AS 1 * post HALF_LIFE 7 DAYS;
CREATE OR REPLACE LAYER posters AS count(post) > 0;
CREATE OR REPLACE TIERS t (hi WHEN count(post) > 1, lo OTHERWISE);
SHOAL
out=$("$SHOAL" --db "$T/tags" query --format table -f "$T/defs.shoal" 2>&1)
check_eq query-defs-first "$out" $'DROP LAYER gone (none existed)\nCREATE COUNTERS act (back-filled 2 events)\nCREATE SCORE heat (back-filled 2 events)\nCREATE LAYER posters\nCREATE TIERS t'
out=$("$SHOAL" --db "$T/tags" query --format table -f "$T/defs.shoal" 2>&1)
check_eq query-defs-again "$out" $'DROP LAYER gone (none existed)\nCREATE COUNTERS act (unchanged)\nCREATE SCORE heat (unchanged)\nCREATE LAYER posters (unchanged)\nCREATE TIERS t (unchanged)'
out=$("$SHOAL" --db "$T/tags" query --format table "CREATE OR REPLACE LAYER posters AS count(post) >= 1; CREATE OR REPLACE TIERS t (hi WHEN count(post) >= 1, lo OTHERWISE)" 2>&1)
check_eq query-defs-replaced "$out" $'CREATE LAYER posters (replaced)\nCREATE TIERS t (replaced)'
check_eq query-defs-replaced-answers "$("$SHOAL" --db "$T/tags" query "SELECT tier, count(*) AS n FROM tiers(t) GROUP BY tier")" $'tier,n\nhi,2'
out=$("$SHOAL" --db "$T/tags" query --format table "CREATE OR REPLACE COUNTERS act AS count(post)" 2>&1)
check_eq query-replace-changed "$out" 'CREATE COUNTERS act (replaced; back-filled 2 events)'
check_grep query-replace-changed-shows "create or replace counters act as count\(post\)" \
    "$("$SHOAL" --db "$T/tags" query --format csv 'SHOW VIEWS' | tr 'A-Z' 'a-z')"
check_eq query-replace-answers "$("$SHOAL" --db "$T/tags" query "SELECT member, count(post) AS n FROM members ORDER BY member")" $'member,n\nalice,1\nbob,1'
# The zone is part of a view: the same text in another zone is another view.
out=$("$SHOAL" --db "$T/tags" query --format table --quiet "SET TIMEZONE = 'Asia/Shanghai'; CREATE OR REPLACE COUNTERS act AS count(post); SET TIMEZONE = 'UTC'; SELECT 1 AS x" >/dev/null; "$SHOAL" --db "$T/tags" query 'SHOW VIEWS' | grep -c '^act,')
check_eq query-replace-zone-one-view "$out" 1
e=$("$SHOAL" --db "$T/tags" query "CREATE OR REPLACE LAYER act AS count(post) > 0" 2>&1)
check_grep query-replace-other-kind 'query:1:25: error: "act" is a counters view, not a layer' "$e"
e=$("$SHOAL" --db "$T/tags" query "CREATE OR REPLACE SCORE act AS 1 * post HALF_LIFE 7 DAYS" 2>&1)
check_grep query-replace-other-view-kind 'query:1:25: error: "act" is a counters view, not a score view' "$e"
e=$("$SHOAL" --db "$T/tags" query "CREATE OR REPLAC COUNTERS x AS count(*)" 2>&1)
check_grep query-replace-word 'query:1:11: error: expected REPLACE after CREATE OR but found "REPLAC"' "$e"
# A replacement that names itself fails at the name and keeps the old layer.
e=$("$SHOAL" --db "$T/tags" query "CREATE OR REPLACE LAYER posters AS count(post) > 0 AND member IN posters" 2>&1)
check_grep query-replace-self-reference 'query:1:66: error: unknown layer "posters"' "$e"
check_eq query-replace-failed-keeps-old "$("$SHOAL" --db "$T/tags" query "SELECT count(*) AS n FROM members WHERE member IN posters")" $'n\n2'
e=$("$SHOAL" --db "$T/tags" query "DROP VIEW IF EXIST act" 2>&1)
check_grep query-drop-if-exists-word 'query:1:14: error: expected IF EXISTS or a name after DROP VIEW but found "EXIST"' "$e"
e=$("$SHOAL" --db "$T/tags" query "DROP LAYER IF EXISTS act" 2>&1)
check_grep query-drop-if-exists-kind 'error: "act" is a view, not a layer' "$e"
check "query-drop-if-exists-absent" "$SHOAL" --db "$T/tags" query "DROP VIEW IF EXISTS nothing_here; DROP TIERS IF EXISTS nor_here"
e=$("$SHOAL" --db "$T/tags" query "DROP VIEW nothing_here" 2>&1)
check_grep query-drop-absent-still-error 'error: no view named "nothing_here"' "$e"

# ---------------------------------------------------------------- diagnostics
out=$("$SHOAL" --frob 2>&1); rc=$?
check_eq query-unknown-global-option "$out" 'shoal: error: unknown option "--frob" (see `shoal help`)'
check_eq query-unknown-global-option-status "$rc" 2
out=$("$SHOAL" query --frob 'SELECT 1' 2>&1); rc=$?
check_grep query-unknown-option 'shoal query: error: unknown option "--frob"' "$out"
check_eq query-unknown-option-status "$rc" 2
check_grep query-no-database-prefix '^shoal query: error: no database at' "$("$SHOAL" --db "$T/none" query 'SELECT 1' 2>&1)"
check_grep stats-no-database-prefix '^shoal stats: error: no database at' "$("$SHOAL" --db "$T/none" stats 2>&1)"
check_grep query-missing-file-prefix '^shoal query: error: cannot open' "$("$SHOAL" query -f "$T/nope.shoal" 2>&1)"
check_grep help-ends-whole "shows a command's options\.$" "$("$SHOAL" --help | tail -1)"
check_grep help-lists-commands '^  query +run statements' "$("$SHOAL" help)"
# Every "error:" line of cli/ has the command's prefix.
bad=$(grep -n '"shoal: error\|fprintf(stderr, "shoal [a-z]*: [^e]' "$SHOAL_TESTS"/../cli/*.c | grep -v 'interrupted\|nosync\|committed\|lines up to\|the rows read' || true)
check_eq cli-one-prefix "$bad" ""

# ---------------------------------------------------------------- what the table shows
# Control characters from the data never reach the terminal raw in table and markdown
# output (escaped as \x1b, \r, \n, \t, \u0085); CSV and JSON keep the data exactly.
printf '%s\n' '{"ts":"2025-03-05T09:00:00Z","member":"m1","type":"t","s":"a\u001b[31mred\u0007\r\nb\tc\u007f|\u0085"}' \
              '{"ts":"2025-03-05T09:00:00Z","member":"中文名字","type":"t","s":""}' \
              '{"ts":"2025-03-05T09:00:00Z","member":"x🎉y","type":"t"}' \
              '{"ts":"2025-03-05T09:00:00Z","member":"e\u0301cole","type":"t","s":"ok"}' > "$T/ctl.ndjson"
"$SHOAL" --db "$T/ctl" ingest -q "$T/ctl.ndjson"
out=$("$SHOAL" --db "$T/ctl" query --format table 'SELECT member, s FROM events ORDER BY seq')
check_eq query-table-escapes-and-widths "$out" $'member   | s\n---------+------------------------------------\nm1       | a\\x1b[31mred\\x07\\r\\nb\\tc\\x7f|\\u0085\n中文名字 | \nx🎉y     | NULL\ne\xcc\x81cole    | ok\n(4 rows)'
if printf '%s' "$out" | LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]\|\xc2[\x80-\x9f]'; then fail query-table-no-raw-controls "$out"; else ok query-table-no-raw-controls; fi
out=$("$SHOAL" --db "$T/ctl" query --format markdown 'SELECT member, s FROM events ORDER BY seq')
check_eq query-markdown-escapes "$out" $'| member   | s                                      |\n| -------- | -------------------------------------- |\n| m1       | a\\x1b[31mred\\x07\\r<br>b\\tc\\x7f\\|\\u0085 |\n| 中文名字 |                                        |\n| x🎉y     | NULL                                   |\n| e\xcc\x81cole    | ok                                     |'
check_eq query-csv-keeps-data "$("$SHOAL" --db "$T/ctl" query --format csv 'SELECT s FROM events WHERE seq = 1' | od -An -c | tr -s ' ')" \
    "$(printf 's\n"a\033[31mred\a\r\nb\tc\177|\302\205"\n' | od -An -c | tr -s ' ')"
check_eq query-json-escapes "$("$SHOAL" --db "$T/ctl" query --format ndjson 'SELECT s FROM events WHERE seq = 1')" \
    '{"s":"a\u001b[31mred\u0007\r\nb\tc'$'\x7f''|'$'\xc2\x85''"}'
# NULL and '' read apart: NULL in the table, an empty field in CSV against "" for ''.
check_eq query-csv-null-and-empty "$("$SHOAL" --db "$T/ctl" query --format csv 'SELECT member, s FROM events WHERE seq IN (2, 3) ORDER BY seq')" \
    $'member,s\n中文名字,""\nx🎉y,'
check_eq query-json-null-and-empty "$("$SHOAL" --db "$T/ctl" query --format ndjson 'SELECT s FROM events WHERE seq IN (2, 3) ORDER BY seq')" \
    $'{"s":""}\n{"s":null}'
check_eq query-table-null-number "$("$SHOAL" --db "$T/ctl" query --format table 'SELECT 1 / 0 AS d, 12345 AS n')" $'d    | n\n-----+------\nNULL | 12345\n(1 row)'

# ---------------------------------------------------------------- the row cap
# A capped table keeps only the rows it shows: memory does not grow with the result
# (100k rows: the uncapped table holds every cell to size its columns).
"$SHOAL" gen --events 100000 --seed 3 > "$T/gen.ndjson"
"$SHOAL" --db "$T/gen" ingest -q "$T/gen.ndjson"
out=$("$SHOAL" --db "$T/gen" query --format table --maxrows 3 'SELECT seq FROM events')
check_eq query-maxrows "$out" $'seq\n---\n  1\n  2\n  3\n… 99997 more rows (--maxrows N shows more, --maxrows 0 all; or LIMIT)\n(100000 rows)'
check_eq query-maxrows-not-csv "$("$SHOAL" --db "$T/gen" query --format csv --maxrows 3 'SELECT seq FROM events' | wc -l)" 100001
check_eq query-maxrows-default-pipe "$("$SHOAL" --db "$T/gen" query --format table 'SELECT seq FROM events' | wc -l)" 100003
if [ -x /usr/bin/time ]; then
    capped=$(/usr/bin/time -f %M "$SHOAL" --db "$T/gen" query --format table --maxrows 40 'SELECT * FROM events' 2>&1 >/dev/null | tail -1)
    whole=$(/usr/bin/time -f %M "$SHOAL" --db "$T/gen" query --format table --maxrows 0 'SELECT * FROM events' 2>&1 >/dev/null | tail -1)
    if [ $((capped * 2)) -lt "$whole" ]; then ok query-maxrows-memory; else fail query-maxrows-memory "capped ${capped} KB, whole ${whole} KB"; fi
else
    skip "query-maxrows-memory: /usr/bin/time is not installed"
fi
