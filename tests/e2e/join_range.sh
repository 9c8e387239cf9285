#!/usr/bin/env bash
# tests/e2e/join_range.sh — joins whose ON has no equality (query/join.c's nested loop):
# a range of time, with and without LEFT, checked against sqlite3 over the same events,
# views on and off; the size limit of the joined source refused at the ON.
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || { fail join-range "sqlite3 is not installed (apt-get install sqlite3)"; exit 0; }
"$SHOAL" gen --events 6000 --seed 12 > "$T/ev.ndjson" 2>/dev/null || { fail join-range-gen; exit 0; }
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail join-range-ingest; exit 0; }
oracle_load "$T/ev.ndjson" <<'SQL' || { fail join-range-load; exit 0; }
CREATE TABLE ev AS SELECT rowid AS seq, json_extract(j, '$.ts') AS ts, json_extract(j, '$.member') AS member,
    json_extract(j, '$.type') AS type, json_extract(j, '$.group') AS grp, json_extract(j, '$.to') AS to_,
    json_extract(j, '$.words') AS words FROM raw;
SQL
same() {
    local name=$1 q=$2 sql=$3 a b c
    a=$("$SHOAL" query --format csv "$q" 2>&1 | tail -n +2)
    c=$("$SHOAL" query --format csv "SET VIEWS = off; $q" 2>&1 | tail -n +2)
    b=$(sqlite3 -csv "$T/oracle.db" "$sql" 2>&1)
    if [ -z "$b" ]; then fail "$name" "the oracle returned nothing: $sql"; return; fi
    if rows_close "$a" "$b"; then ok "$name"; else fail "$name" "shoal:" "$(printf '%s\n' "$a" | head -5)" "sqlite:" "$(printf '%s\n' "$b" | head -5)"; fi
    check_eq "$name: views off" "$c" "$a"
}
J="(SELECT member, ts FROM events WHERE type = join)"
JQ="(SELECT member, ts FROM ev WHERE type = 'join')"
plus() { echo "strftime('%Y-%m-%dT%H:%M:%fZ', $1, '$2')"; }

# posts written within a day of somebody's join, per group (ON a range of time alone)
same join-range-between \
    "SELECT p.group, count(*) AS n, count(DISTINCT j.member) AS m FROM events AS p JOIN $J AS j
     ON p.ts BETWEEN j.ts AND j.ts + 1 DAYS WHERE p.type = post GROUP BY p.group ORDER BY p.group" \
    "SELECT p.grp, count(*), count(DISTINCT j.member) FROM ev p JOIN $JQ j
     ON p.ts BETWEEN j.ts AND $(plus j.ts '+1 days') WHERE p.type = 'post' GROUP BY p.grp ORDER BY p.grp"
# LEFT: every post, with the number of others' joins in the 12 hours before it (0 kept)
same join-range-left \
    "SELECT n, count(*) AS posts FROM (SELECT p.seq, count(j.member) AS n FROM events AS p LEFT JOIN $J AS j
       ON j.ts > p.ts - 12 HOURS AND j.ts <= p.ts AND j.member != p.member WHERE p.type = post GROUP BY p.seq) AS t
     GROUP BY n ORDER BY n" \
    "SELECT n, count(*) FROM (SELECT p.seq, count(j.member) AS n FROM ev p LEFT JOIN $JQ j
       ON j.ts > $(plus p.ts '-12 hours') AND j.ts <= p.ts AND j.member != p.member WHERE p.type = 'post' GROUP BY p.seq)
     GROUP BY n ORDER BY n"
# with an equality as well: hashed, the range tested on each match (the same answer)
same join-range-with-equality \
    "SELECT count(*) AS n FROM events AS r JOIN $J AS j ON r.to = j.member AND r.ts BETWEEN j.ts AND j.ts + 7 DAYS WHERE r.type = reply" \
    "SELECT count(*) FROM ev r JOIN $JQ j ON r.to_ = j.member AND r.ts BETWEEN j.ts AND $(plus j.ts '+7 days') WHERE r.type = 'reply'"

out=$("$SHOAL" query "EXPLAIN SELECT count(*) FROM events AS p JOIN $J AS j ON p.ts < j.ts" 2>&1)
check_grep join-range-explain "ON tested on every pair \(a nested loop: ON has no equality\)" "$out"
# beyond 100,000 joined rows: refused at the ON
out=$("$SHOAL" query "SELECT count(*) FROM events AS p JOIN (SELECT a.seq AS s FROM events AS a JOIN events AS b ON a.group = b.group) AS big ON p.seq < big.s" 2>&1)
check_grep join-range-limit 'query:1:124: error: this ON has no equality to look "big".s rows up by, so each row is compared with every one of them, and "big" has more than 100000' "$out"
