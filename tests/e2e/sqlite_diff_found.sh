#!/usr/bin/env bash
# tests/e2e/sqlite_diff_found.sh — what the sqlite3 differential (sqlite_diff.py) found
# wrong, each case kept here as the statement that showed it, checked against sqlite3
# over the same events, views on and off: a regression test per fix.
. "$(dirname "$0")/../lib.sh"

if ! command -v sqlite3 >/dev/null; then
    fail sqlite-diff-found "sqlite3 is not installed (apt-get install sqlite3)"
    exit 0
fi
"$SHOAL" gen --events 10000 --seed 31 > "$T/ev.ndjson" 2>/dev/null || { fail found-gen; exit 0; }
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail found-ingest; exit 0; }
"$SHOAL" query "CREATE COUNTERS act AS count(post), count(comment, reply), count(post WHERE original), sum(post.words), count(*)" \
    >/dev/null 2>&1 || { fail found-views; exit 0; }
oracle_load "$T/ev.ndjson" <<'SQL' || { fail found-load; exit 0; }
CREATE VIEW ev AS SELECT rowid AS seq, json_extract(j, '$.ts') AS ts, json_extract(j, '$.member') AS member,
    json_extract(j, '$.type') AS type, json_extract(j, '$.group') AS grp, json_extract(j, '$.to') AS "to",
    json_extract(j, '$.original') AS original, json_extract(j, '$.words') AS words,
    json_extract(j, '$.amount') AS amount FROM raw;
SQL

# same NAME SHOAL-STATEMENTS SQLITE-SELECT: shoal's rows (csv, header dropped) equal
# sqlite3's, numbers within 1e-9 relative, with views on and with SET VIEWS = off.
same() {
    local name=$1 q=$2 sql=$3 a b c
    a=$("$SHOAL" query --format csv "$q" 2>&1 | tail -n +2)
    c=$("$SHOAL" query --format csv "SET VIEWS = off; $q" 2>&1 | tail -n +2)
    b=$(sqlite3 -csv "$T/oracle.db" "$sql" 2>&1)
    if [ -z "$b" ]; then fail "$name" "the oracle returned nothing: $sql"; return; fi
    if rows_close "$a" "$b"; then ok "$name"; else fail "$name" "shoal:" "$(printf '%s\n' "$a" | head -5)" "sqlite:" "$(printf '%s\n' "$b" | head -5)"; fi
    if rows_close "$c" "$b"; then ok "$name: views off"; else fail "$name: views off" "shoal:" "$(printf '%s\n' "$c" | head -5)" "sqlite:" "$(printf '%s\n' "$b" | head -5)"; fi
}

# x NOT IN (a subquery with no row) is TRUE, and x IN it FALSE, even when x is NULL.
same found-not-in-empty \
    "SELECT type, count(*) AS n FROM events WHERE words NOT IN (SELECT words FROM events WHERE type = post AND type = purchase) GROUP BY 1 ORDER BY 1" \
    "SELECT type, count(*) FROM ev WHERE words NOT IN (SELECT words FROM ev WHERE type = 'post' AND type = 'purchase') GROUP BY 1 ORDER BY 1"
same found-in-empty-not \
    "SELECT count(*) AS n FROM events WHERE NOT (to IN (SELECT member FROM events WHERE type = join AND type = post))" \
    "SELECT count(*) FROM ev WHERE NOT (\"to\" IN (SELECT member FROM ev WHERE type = 'join' AND type = 'post'))"
same found-not-in-empty-members \
    "SELECT count(*) AS n FROM members WHERE member NOT IN (SELECT member FROM members WHERE count(post) > 100000)" \
    "SELECT count(DISTINCT member) FROM ev"
