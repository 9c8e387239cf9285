#!/usr/bin/env bash
# tests/e2e/join_threads.sh — a grouped join whose first source is events, its rows
# joined and grouped on several threads (query/join.c, join_split: a part of the log a
# thread, each with its own id cache and groups, merged in sequence order), gives the
# one-thread answer to the last bit: the same groups in the same order (no ORDER BY),
# counts, exact sums, first and last, medians, DISTINCT, LEFT JOIN's NULL rows, ON's
# other conditions, two joined sources, DURING, AS OF SEQ, text compared through each
# thread's own snapshot, and the same first error in log order. Who answers newcomers
# on 2 threads is checked against sqlite3; EXPLAIN says when the join splits and why
# it does not.
. "$(dirname "$0")/../lib.sh"

if ! command -v sqlite3 >/dev/null; then
    fail join-threads "sqlite3 is not installed (apt-get install sqlite3)"
    exit 0
fi
# 60k events: 15 blocks of 4096; every 7th join at the end of the log (after the
# replies to its member)
"$SHOAL" gen --events 60000 --seed 13 > "$T/gen.ndjson" 2>/dev/null || { fail join-threads-gen; exit 0; }
awk '/"type":"join"/ && ++j % 7 == 0 { late[++n] = $0; next } { print } END { for (i = 1; i <= n; i++) print late[i] }' \
    "$T/gen.ndjson" > "$T/ev.ndjson"
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail join-threads-ingest; exit 0; }
"$SHOAL" query "CREATE FIRSTLAST fl AS first(join), first(post); CREATE COUNTERS activity AS count(post), count(*)" \
    >/dev/null 2>&1 || { fail join-threads-views; exit 0; }

n=0
same() {   # same NAME STATEMENT: JSON (every digit) alike on 1, 2, 3 and 7 threads
    local name=$1 q=$2 one t got
    n=$((n + 1))
    one=$(SHOAL_THREADS=1 "$SHOAL" query --format json "$q" 2>&1)
    [ -n "$one" ] || { fail "join-threads-$name" "no output"; return; }
    case "$name:$one" in
        error*:*error:*) ;;
        error*) fail "join-threads-$name" "no error: $one"; return ;;
        *error:*) fail "join-threads-$name" "$one"; return ;;
    esac
    for t in 2 3 7; do
        got=$(SHOAL_THREADS=$t "$SHOAL" query --format json "$q" 2>&1)
        if [ "$got" != "$one" ]; then
            fail "join-threads-$name-$t" "statement: $q" "1 thread:  $(printf '%s' "$one" | head -c 400)" \
                "$t threads: $(printf '%s' "$got" | head -c 400)"
            return
        fi
    done
    ok "join-threads-$name"
}
# split NAME STATEMENT: EXPLAIN says the join's first source runs on 2 threads
split() {
    check_grep "join-threads-$1-explain" "on 2 threads when it reads 2 blocks or more .parts of the log, a read transaction each, each part's rows joined and grouped on its own" \
        "$(SHOAL_THREADS=2 "$SHOAL" query "EXPLAIN $2" 2>&1)"
}
# one NAME WHY STATEMENT: EXPLAIN says it stays on one thread, and why
one() {
    check_grep "join-threads-$1-one" "on one thread: $2" "$(SHOAL_THREADS=2 "$SHOAL" query "EXPLAIN $3" 2>&1)"
}

M="(SELECT member, first(join) AS joined FROM members WHERE first(join) IS NOT NULL)"
q1="SELECT e.member, count(*) AS answers FROM events AS e JOIN $M AS m ON e.to = m.member
    WHERE e.type = reply AND e.ts >= m.joined AND e.ts < m.joined + 7 DAYS GROUP BY e.member"
split newcomers "$q1"; same newcomers "$q1"
# the same, views off (the members' side from the log)
same newcomers-views-off "SET VIEWS = off; $q1"
q2="SELECT m.joined IS NULL AS never, e.type, count(*), sum(e.words), first(e.ts), last(e.to), median(e.words),
    count(DISTINCT e.member)
    FROM events AS e LEFT JOIN $M AS m ON e.to = m.member GROUP BY never, e.type"
split left "$q2"; same left "$q2"
same on-rest "SELECT month(e.ts) AS mo, count(*), avg(e.words) FROM events AS e
    JOIN (SELECT member, count(post) AS posts FROM members) AS m ON e.member = m.member AND m.posts > 3
    WHERE e.type IN (post, comment) GROUP BY mo"
same two-joins "SELECT a.member IS NULL AS na, count(*), sum(b.posts) FROM events AS e
    LEFT JOIN $M AS a ON e.to = a.member
    JOIN (SELECT member, count(post) AS posts FROM members) AS b ON e.member = b.member
    WHERE e.type = reply GROUP BY na"
same during "SELECT e.member, count(*) FROM events AS e JOIN $M AS m ON e.to = m.member
    WHERE e.ts < m.joined + 30 DAYS DURING BETWEEN '2025-03-01' AND '2025-05-15' GROUP BY e.member"
same as-of-seq "SELECT e.type, count(*), last(m.joined) FROM events AS e JOIN $M AS m ON e.member = m.member
    GROUP BY e.type AS OF SEQ 33333"
same text "SELECT e.to, count(*) FROM events AS e JOIN $M AS m ON e.to = m.member
    WHERE e.to LIKE 'm-1%' AND e.member > 'm-15' GROUP BY e.to"
# text in a sum: the first error in log order, whatever part meets it
same error-sum "SELECT e.type, sum(e.to) FROM events AS e JOIN $M AS m ON e.member = m.member GROUP BY e.type"

# where it stays on one thread
one rows 'the joined rows are not grouped' "SELECT e.member, m.joined FROM events AS e JOIN $M AS m ON e.to = m.member"
one minmax 'min or max of a computed value' "SELECT e.type, min(e.ts) FROM events AS e JOIN $M AS m ON e.to = m.member GROUP BY e.type"
same minmax "SELECT e.type, min(e.ts), max(m.joined) FROM events AS e JOIN $M AS m ON e.to = m.member GROUP BY e.type"
same not-events "SELECT a.member, count(*) FROM $M AS a JOIN $M AS b ON a.member = b.member GROUP BY a.member"
one impure 'an expression calls a function not known to be pure' \
    "SELECT lower(e.member) AS k, count(*) FROM events AS e JOIN $M AS m ON e.to = m.member GROUP BY k"
check_grep join-threads-threads1-one 'on one thread: SHOAL_THREADS=1' \
    "$(SHOAL_THREADS=1 "$SHOAL" query "EXPLAIN SELECT e.member, count(*) FROM events AS e JOIN $M AS m ON e.to = m.member GROUP BY e.member" 2>&1)"

# who answers newcomers on 2 threads against sqlite3
oracle_load "$T/ev.ndjson" <<'SQL' || { fail join-threads-load; exit 0; }
CREATE VIEW ev AS SELECT rowid AS seq, json_extract(j, '$.ts') AS ts, json_extract(j, '$.member') AS member,
    json_extract(j, '$.type') AS type, json_extract(j, '$.to') AS to_ FROM raw;
CREATE TABLE joined AS SELECT member, min(ts) AS joined FROM ev WHERE type = 'join' GROUP BY member;
SQL
a=$(SHOAL_THREADS=2 "$SHOAL" query --format csv "$q1 ORDER BY answers DESC, e.member LIMIT 40" 2>&1 | tail -n +2)
b=$(sqlite3 -csv "$T/oracle.db" "SELECT e.member, count(*) AS w FROM ev e JOIN joined m ON e.to_ = m.member
     WHERE e.type = 'reply' AND e.ts >= m.joined AND e.ts < strftime('%Y-%m-%dT%H:%M:%fZ', m.joined, '+7 days')
     GROUP BY e.member ORDER BY w DESC, e.member LIMIT 40")
[ -n "$b" ] || fail join-threads-sqlite "the oracle returned nothing"
if rows_close "$a" "$b"; then ok join-threads-sqlite; else fail join-threads-sqlite "shoal:" "$(printf '%s\n' "$a" | head -5)" "sqlite:" "$(printf '%s\n' "$b" | head -5)"; fi
