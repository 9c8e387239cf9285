#!/usr/bin/env bash
# tests/e2e/join_pre.sh — WHERE's comparisons of an event's column with a joined row's
# value (who answers newcomers: e.ts >= m.joined AND e.ts < m.joined + 7 DAYS) are
# tested before the row is joined (query/join.c, pre_plan and pre_pass: a value per
# joined row, computed once). Replies at each edge of the window (at the join, a
# millisecond before it, at 7 days less a millisecond, at 7 days) and to members who
# never joined (a NULL joined), on 1 and 2 threads, with the comparisons flipped and
# with the edges moved, give sqlite3's answer and the answer with the test off (a
# WHERE with another condition, which the test does not take).
. "$(dirname "$0")/../lib.sh"

if ! command -v sqlite3 >/dev/null; then
    fail join-pre "sqlite3 is not installed (apt-get install sqlite3)"
    exit 0
fi
# 3000 members joining a minute apart; each gets 5 replies around its join; 3000 who
# never join get one each; 27000 events (7 blocks of 4096: the join splits on 2 threads)
awk 'BEGIN {
    base = 1719792000000; w = 604800000
    split("0 -1 " (w - 1) " " w " 259200000", off, " ")
    for (i = 1; i <= 3000; i++) {
        j = base + i * 60000
        printf "%.0f {\"id\":\"j-%d\",\"ts\":%.0f,\"member\":\"m-%d\",\"type\":\"join\"}\n", j, i, j, i
        for (k = 1; k <= 5; k++)
            printf "%.0f {\"id\":\"r-%d-%d\",\"ts\":%.0f,\"member\":\"a-%d\",\"type\":\"reply\",\"to\":\"m-%d\"}\n", j + off[k], i, k, j + off[k], i % 37, i
        printf "%.0f {\"id\":\"l-%d\",\"ts\":%.0f,\"member\":\"n-%d\",\"type\":\"like\"}\n", j + 5, i, j + 5, i
        printf "%.0f {\"id\":\"q-%d\",\"ts\":%.0f,\"member\":\"a-%d\",\"type\":\"reply\",\"to\":\"n-%d\"}\n", j + 9, i, j + 9, i % 37, i
        printf "%.0f {\"id\":\"p-%d\",\"ts\":%.0f,\"member\":\"m-%d\",\"type\":\"post\"}\n", j + 11, i, j + 11, i
    }
}' | sort -n -k1,1 -s | cut -d' ' -f2- > "$T/ev.ndjson"
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail join-pre-ingest; exit 0; }
"$SHOAL" query "CREATE FIRSTLAST fl AS first(join), first(post)" >/dev/null 2>&1 || { fail join-pre-views; exit 0; }
oracle_load "$T/ev.ndjson" <<'SQL' || { fail join-pre-load; exit 0; }
CREATE VIEW ev AS SELECT json_extract(j, '$.ts') AS ts, json_extract(j, '$.member') AS member,
    json_extract(j, '$.type') AS type, json_extract(j, '$.to') AS to_ FROM raw;
CREATE TABLE jm AS SELECT member, min(CASE WHEN type = 'join' THEN ts END) AS joined FROM ev GROUP BY member;
SQL

M="(SELECT member, first(join) AS joined FROM members)"
# pre NAME WHERE SQLITE-WHERE: shoal on 1 and 2 threads, the test off, and sqlite3 agree
pre() {
    local name=$1 w=$2 sw=$3 q a1 a2 off b
    q="SELECT e.member, count(*) AS answers FROM events AS e JOIN $M AS m ON e.to = m.member
       WHERE $w GROUP BY e.member ORDER BY answers DESC, e.member"
    a1=$(SHOAL_THREADS=1 "$SHOAL" query --format csv "$q" 2>&1 | tail -n +2)
    a2=$(SHOAL_THREADS=2 "$SHOAL" query --format csv "$q" 2>&1 | tail -n +2)
    off=$(SHOAL_THREADS=1 "$SHOAL" query --format csv "${q/WHERE /WHERE (m.joined IS NULL OR TRUE) AND }" 2>&1 | tail -n +2)
    b=$(sqlite3 -csv "$T/oracle.db" "SELECT e.member, count(*) AS w FROM ev e JOIN jm m ON e.to_ = m.member
         WHERE $sw GROUP BY e.member ORDER BY w DESC, e.member")
    [ -n "$b" ] || { fail "join-pre-$name" "the oracle returned nothing"; return; }
    check_eq "join-pre-$name-1" "$a1" "$b"
    check_eq "join-pre-$name-2" "$a2" "$b"
    check_eq "join-pre-$name-off" "$off" "$b"
}
pre window "e.type = reply AND e.ts >= m.joined AND e.ts < m.joined + 7 DAYS" \
    "e.type = 'reply' AND e.ts >= m.joined AND e.ts < m.joined + 604800000"
pre flipped "e.type = reply AND m.joined <= e.ts AND m.joined + 7 DAYS > e.ts" \
    "e.type = 'reply' AND m.joined <= e.ts AND m.joined + 604800000 > e.ts"
pre edges "e.type = reply AND e.ts > m.joined AND e.ts <= m.joined + 7 DAYS" \
    "e.type = 'reply' AND e.ts > m.joined AND e.ts <= m.joined + 604800000"
pre before "e.ts < m.joined" "e.ts < m.joined"
# EXPLAIN names the test
check_grep join-pre-explain "WHERE's 2 comparisons with m's row tested before each row is joined" \
    "$(SHOAL_THREADS=2 "$SHOAL" query "EXPLAIN SELECT e.member, count(*) FROM events AS e JOIN $M AS m ON e.to = m.member
       WHERE e.type = reply AND e.ts >= m.joined AND e.ts < m.joined + 7 DAYS GROUP BY e.member" 2>&1)"
