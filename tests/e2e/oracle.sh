#!/usr/bin/env bash
# tests/e2e/oracle.sh — answers checked against an independent oracle: the same NDJSON is
# loaded into sqlite3 (json_extract) and each question is also written in SQLite's SQL,
# so a wrong engine cannot agree with itself. Data comes from `shoal gen` (deterministic
# for a seed); numbers are compared with a relative tolerance of 1e-9.
. "$(dirname "$0")/../lib.sh"

if ! command -v sqlite3 >/dev/null; then
    fail oracle "sqlite3 is not installed (apt-get install sqlite3)"
    exit 0
fi
"$SHOAL" gen --events 30000 --seed 11 > "$T/ev.ndjson" 2>/dev/null || { fail oracle-gen "shoal gen failed"; exit 0; }
"$SHOAL" ingest "$T/ev.ndjson" >/dev/null 2>&1 || { fail oracle-ingest; exit 0; }

# One row per line, in file order, so rowid = seq.
oracle_load "$T/ev.ndjson" <<'SQL' || { fail oracle-load; exit 0; }
CREATE VIEW ev AS SELECT rowid AS seq, json_extract(j, '$.ts') AS ts, json_extract(j, '$.member') AS member,
    json_extract(j, '$.type') AS type, json_extract(j, '$.group') AS grp,
    json_extract(j, '$.original') AS original, json_extract(j, '$.words') AS words,
    json_extract(j, '$.to') AS "to", json_extract(j, '$.amount') AS amount FROM raw;
SQL

# same NAME SHOAL-STATEMENTS SQLITE-SELECT: the rows (shoal's csv without its header line)
# must match sqlite3's csv output.
same() {
    local name=$1 q=$2 sql=$3 a b
    a=$("$SHOAL" query --format csv "$q" 2>&1 | tail -n +2 | sed 's/\.000Z/Z/g')
    b=$(sqlite3 -csv "$T/oracle.db" "$sql" 2>&1 | sed 's/\.000Z/Z/g')
    if [ -z "$b" ]; then fail "$name" "the oracle returned nothing: $sql"; return; fi
    if rows_close "$a" "$b"; then ok "$name"; else fail "$name" "shoal:" "$(printf '%s\n' "$a" | head -5)" "sqlite:" "$(printf '%s\n' "$b" | head -5)"; fi
}

same oracle-types \
    "SELECT type, count(*) FROM events GROUP BY type ORDER BY type" \
    "SELECT type, count(*) FROM ev GROUP BY type ORDER BY type"

same oracle-speakers-last-30-days \
    "SET NOW = '2025-06-20T00:00:00Z'; SELECT group, count(DISTINCT member) AS speakers, count(*) AS messages FROM events WHERE type IN (post, comment, reply) DURING last 30 days GROUP BY group ORDER BY group" \
    "SELECT grp, count(DISTINCT member), count(*) FROM ev WHERE type IN ('post','comment','reply') AND ts >= '2025-05-21T00:00:00' AND ts < '2025-06-20T00:00:00' GROUP BY grp ORDER BY grp"

# Early windows: the zone map skips the later blocks, except those that late events
# (2% of the generated ones) have widened back into the window.
same oracle-events-early-window \
    "SELECT type, count(*) AS n, count(DISTINCT member) AS members FROM events WHERE type IN (post, like, join) DURING BETWEEN '2024-08-01' AND '2024-08-14' GROUP BY type ORDER BY type" \
    "SELECT type, count(*), count(DISTINCT member) FROM ev WHERE type IN ('post','like','join') AND ts >= '2024-08-01T00:00:00' AND ts < '2024-08-15T00:00:00' GROUP BY type ORDER BY type"

same oracle-events-window-rows \
    "SELECT seq, member, type FROM events DURING BETWEEN '2024-12-24' AND '2024-12-25' ORDER BY seq" \
    "SELECT seq, member, type FROM ev WHERE ts >= '2024-12-24T00:00:00' AND ts < '2024-12-26T00:00:00' ORDER BY seq"

same oracle-core-creator \
    "SET NOW = '2025-06-30T23:59:59.999'; SELECT member, count(post WHERE original) DURING this_month AS originals, count(essence) AS essence FROM members WHERE count(post WHERE original) DURING this_month >= 3 OR count(essence) >= 5 ORDER BY originals DESC, member LIMIT 20" \
    "SELECT member, sum(type = 'post' AND original = 1 AND ts >= '2025-06-01' AND ts < '2025-07-01') AS o, sum(type = 'essence') AS e FROM ev GROUP BY member HAVING o >= 3 OR e >= 5 ORDER BY o DESC, member LIMIT 20"

same oracle-core-creator-tz \
    "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '2025-05-31T23:59:59.999'; SELECT member, count(post WHERE original) DURING this_month AS originals FROM members WHERE count(post WHERE original) DURING this_month >= 2 ORDER BY originals DESC, member; SET TIMEZONE = 'UTC'" \
    "SELECT member, sum(type = 'post' AND original = 1 AND datetime(ts, '+8 hours') >= '2025-05-01' AND datetime(ts, '+8 hours') < '2025-06-01') AS o FROM ev GROUP BY member HAVING o >= 2 ORDER BY o DESC, member"

same oracle-words-per-member \
    "SELECT member, count(post) AS posts, sum(post.words) AS words, min(post.words), max(post.words), avg(post.words) FROM members WHERE count(post) > 0 ORDER BY member" \
    "SELECT member, count(*), sum(words), min(words), max(words), avg(words) FROM ev WHERE type = 'post' GROUP BY member ORDER BY member"

same oracle-first-last \
    "SELECT member, first(join) AS joined, last(*) DURING all_time AS seen FROM members ORDER BY member LIMIT 50" \
    "SELECT member, min(CASE WHEN type = 'join' THEN ts END), max(ts) FROM ev GROUP BY member ORDER BY member LIMIT 50"

same oracle-days-in-shanghai \
    "SET TIMEZONE = 'Asia/Shanghai'; SELECT day(ts) AS d, count(*) FROM events WHERE type = post GROUP BY d ORDER BY d; SET TIMEZONE = 'UTC'" \
    "SELECT date(ts, '+8 hours') AS d, count(*) FROM ev WHERE type = 'post' GROUP BY d ORDER BY d"

same oracle-weeks-and-months \
    "SELECT week(ts) AS w, month(ts) AS m, count(*) FROM events GROUP BY w, m ORDER BY w, m" \
    "SELECT date(ts, '-6 days', 'weekday 1') AS w, strftime('%Y-%m', ts) AS m, count(*) FROM ev GROUP BY w, m ORDER BY w, m"

same oracle-predicates \
    "SELECT count(*), count(DISTINCT member), sum(words) FROM events WHERE words BETWEEN 100 AND 300 AND member LIKE 'm-1%' AND NOT original" \
    "SELECT count(*), count(DISTINCT member), sum(words) FROM ev WHERE words BETWEEN 100 AND 300 AND member LIKE 'm-1%' AND NOT original"

same oracle-distinct-string-prop \
    "SELECT type, count(DISTINCT to) AS targets, count(to) AS with_to FROM events WHERE to IS NOT NULL GROUP BY type ORDER BY type" \
    "SELECT type, count(DISTINCT \"to\"), count(\"to\") FROM ev WHERE \"to\" IS NOT NULL GROUP BY type ORDER BY type"

same oracle-having \
    "SELECT member, count(*) AS n FROM events WHERE type IN (comment, reply) GROUP BY member HAVING count(*) >= 20 ORDER BY n DESC, member" \
    "SELECT member, count(*) AS n FROM ev WHERE type IN ('comment', 'reply') GROUP BY member HAVING count(*) >= 20 ORDER BY n DESC, member"

same oracle-as-of-seq \
    "SELECT type, count(*) FROM events GROUP BY type ORDER BY type AS OF SEQ 7777" \
    "SELECT type, count(*) FROM ev WHERE seq <= 7777 GROUP BY type ORDER BY type"

same oracle-as-of-date \
    "SELECT member, count(post) AS posts FROM members WHERE count(post) > 5 ORDER BY member AS OF '2025-01-31'" \
    "SELECT member, sum(type = 'post') AS p FROM ev WHERE ts < '2025-02-01' GROUP BY member HAVING p > 5 ORDER BY member"

same oracle-case-arith \
    "SELECT CASE WHEN words >= 500 THEN 'long' WHEN words >= 100 THEN 'medium' ELSE 'short' END AS k, count(*), sum(words * 2 + 1) FROM events WHERE type = post GROUP BY k ORDER BY k" \
    "SELECT CASE WHEN words >= 500 THEN 'long' WHEN words >= 100 THEN 'medium' ELSE 'short' END AS k, count(*), sum(words * 2 + 1) FROM ev WHERE type = 'post' GROUP BY k ORDER BY k"

same oracle-rows-over-members \
    "SELECT count(post) AS posts, count(*) AS members FROM members GROUP BY posts ORDER BY posts LIMIT 10" \
    "SELECT p, count(*) FROM (SELECT member, sum(type = 'post') AS p FROM ev GROUP BY member) GROUP BY p ORDER BY p LIMIT 10"

# ORDER BY … LIMIT over many rows goes through the bounded top-k buffer.
same oracle-top-k \
    "SELECT seq, member, ts FROM events WHERE type IN (like, post) ORDER BY ts DESC, seq LIMIT 7 OFFSET 3" \
    "SELECT seq, member, ts FROM ev WHERE type IN ('like', 'post') ORDER BY ts DESC, seq LIMIT 7 OFFSET 3"

same oracle-top-k-ties \
    "SELECT type, member, seq FROM events ORDER BY type, member LIMIT 40 OFFSET 1000" \
    "SELECT type, member, seq FROM ev ORDER BY type, member, seq LIMIT 40 OFFSET 1000"

# last N WEEKS: N weeks up to now, after now - N weeks (a window in weeks was refused as
# "too long" whatever N: the bound divided a day by a week in integers)
same oracle-last-weeks \
    "SET NOW = '2025-06-20T00:00:00Z'; SELECT type, count(*) FROM events WHERE type IN (post, comment) DURING last 3 WEEKS GROUP BY type ORDER BY type" \
    "SELECT type, count(*) FROM ev WHERE type IN ('post','comment') AND ts > '2025-05-30T00:00:00' AND ts <= '2025-06-20T00:00:00' GROUP BY type ORDER BY type"
