#!/usr/bin/env bash
# tests/e2e/rise.sh — rise(SCORE) DURING window end to end: exact values on a small
# fixture with a one-day half-life (every term a power of two), late events and an
# event after now, from the score view and from the log scan (SET VIEWS = off); a
# sqlite3 oracle computing the same sums with power() over generated data, views on
# and off; EXPLAIN says where rise comes from; the errors, with their positions.
. "$(dirname "$0")/../lib.sh"

cat > "$T/a.ndjson" <<'EOF'
{"id":"1","ts":"2025-03-01T00:00:00Z","member":"alice","type":"like"}
{"id":"2","ts":"2025-03-05T00:00:00Z","member":"alice","type":"like"}
{"id":"3","ts":"2025-03-08T00:00:00Z","member":"alice","type":"like"}
{"id":"4","ts":"2025-03-09T00:00:00Z","member":"bob","type":"like"}
{"id":"5","ts":"2025-02-24T00:00:00Z","member":"carol","type":"like"}
{"id":"6","ts":"2025-03-03T00:00:00Z","member":"dave","type":"post"}
{"id":"7","ts":"2025-03-02T00:00:00Z","member":"erin","type":"like"}
{"id":"8","ts":"2025-03-06T00:00:00Z","member":"erin","type":"join"}
EOF
# After the view exists: two late events (alice's 03-04, a new member's 02-28) and one
# after the query's now (bob's 03-12).
cat > "$T/b.ndjson" <<'EOF'
{"id":"9","ts":"2025-03-04T00:00:00Z","member":"alice","type":"like"}
{"id":"10","ts":"2025-03-12T00:00:00Z","member":"bob","type":"post"}
{"id":"11","ts":"2025-02-28T00:00:00Z","member":"frank","type":"like"}
EOF
"$SHOAL" ingest -q "$T/a.ndjson" || fail rise-ingest-a
check "rise: a score with a one-day half-life" "$SHOAL" query "CREATE SCORE eng AS 1*like + 2*post HALF_LIFE 1 DAYS"
"$SHOAL" ingest -q "$T/b.ndjson" || fail rise-ingest-b
check "rise: check after late events" "$SHOAL" check

# Last week at 2025-03-12T12:00Z is [03-03, 03-10): the score at 03-10 minus the score
# at 03-03 of the events before 03-03. alice: 2^-9+2^-6+2^-5+2^-2 (03-01, 03-04 late,
# 03-05, 03-08) minus 2^-2 (03-01); bob: 2^-1 (03-09; his 03-12 post is after the
# window); carol: 2^-14 - 2^-7; dave: 2*2^-7 (a post at the window's first instant
# counts in it); erin: 2^-8 - 2^-1 (her join weighs nothing); frank: 2^-10 - 2^-3.
WANT="member,r
alice,0.048828125
bob,0.5
carol,-0.00775146484375
dave,0.015625
erin,-0.49609375
frank,-0.1240234375"
# Last 7 days at 2025-03-10T00:00Z is (03-03, 03-10], exactly 7 days: the same but for
# dave, whose post at 03-03T00:00 is at now - 7 days, before the window: it is in the
# score at the start, 2*2^0, and not after, so his rise is 2*2^-7 - 2.
WANT7="member,r
alice,0.048828125
bob,0.5
carol,-0.00775146484375
dave,-1.984375
erin,-0.49609375
frank,-0.1240234375"
# views NAME STATEMENTS WANT: the csv output with views on and with views off.
views() {
    local name=$1 q=$2 want=$3
    check_eq "rise: $name (views on)" "$("$SHOAL" query --format csv "$q" 2>&1)" "$want"
    check_eq "rise: $name (views off)" "$("$SHOAL" query --format csv "SET VIEWS = off; $q" 2>&1)" "$want"
}
views "last 7 days by hand" \
    "SET NOW = '2025-03-10'; SELECT member, rise(eng) DURING last 7 days AS r FROM members ORDER BY member" "$WANT7"
# At 03-12T12:00 bob's 03-12 post is before now, so the view holds it and must take it
# out of both instants.
views "last_week, both instants before the latest event" \
    "SET NOW = '2025-03-12T12:00:00Z'; SELECT member, rise(eng) DURING last_week AS r FROM members ORDER BY member" "$WANT"
views "the statement's DURING is rise's window" \
    "SET NOW = '2025-03-10'; SELECT member, rise(eng) AS r FROM members DURING last 7 days ORDER BY member" "$WANT7"
# all_time starts from nothing and ends now: the score column, without bob's post.
views "all_time is the score as of now" \
    "SET NOW = '2025-03-10'; SELECT member, rise(eng) DURING all_time AS r FROM members WHERE member IN ('alice', 'bob')
     ORDER BY member" "member,r
alice,0.298828125
bob,0.5"
views "in WHERE and ORDER BY, by its alias" \
    "SET NOW = '2025-03-10'; SELECT member, round(rise(eng) DURING last 7 days, 3) AS rise FROM members
     WHERE rise(eng) DURING last 7 days > 0 ORDER BY rise DESC, member LIMIT 2" "member,rise
bob,0.5
alice,0.049"
# ORDER BY rise LIMIT k, without WHERE: the top-k bound over the dense array.
views "top 2 and bottom 2" \
    "SET NOW = '2025-03-10'; SELECT member, rise(eng) DURING last 7 days AS r FROM members ORDER BY r DESC LIMIT 2;
     SELECT member, rise(eng) DURING last 7 days AS r FROM members ORDER BY rise(eng) DURING last 7 days LIMIT 2" "member,r
bob,0.5
alice,0.048828125
member,r
dave,-1.984375
erin,-0.49609375"
views "inside a row aggregate" \
    "SET NOW = '2025-03-10'; SELECT count(*) AS n, sum(rise(eng) DURING last 7 days) AS total FROM members" "n,total
6,-2.06341552734375"
check "rise: a layer over rise" "$SHOAL" query "CREATE LAYER rising AS rise(eng) DURING last 7 days > 0"
views "member IN a layer over rise" \
    "SET NOW = '2025-03-10'; SELECT member FROM members WHERE member IN rising ORDER BY member" "member
alice
bob"
# A window that starts before 2025-03-02 starts more than 10 half-lives before the
# latest event (03-12): the view would magnify its rounding, so the log is scanned.
# [03-01, 03-05): alice 2^-4 + 2^-1 at 03-05, nothing before 03-01.
views "a window far before the latest event" \
    "SET NOW = '2025-03-10'; SELECT member, rise(eng) DURING BETWEEN '2025-03-01' AND '2025-03-04' AS r FROM members
     WHERE member = 'alice'" "member,r
alice,0.5625"
# AS OF 03-06: now is then, later events are not seen (bob had none yet). Last 7 days
# is [02-27, 03-06]: alice 2^-5 + 2^-2 + 2^-1 (03-01, 03-04, 03-05), nothing before;
# carol 2^-10 - 2^-3.
views "AS OF a date" \
    "SELECT member, rise(eng) DURING last 7 days AS r FROM members WHERE member IN ('alice', 'bob', 'carol')
     ORDER BY member AS OF '2025-03-06T00:00:00Z'" "member,r
alice,0.78125
carol,-0.1240234375"
# AS OF 03-09T00:00 within reach of the view: last 2 days is [03-07, 03-09]; the view
# takes out every event from 03-07 on, the hidden ones (after the date) included.
# alice 2^-8+2^-5+2^-4+2^-1 minus 2^-6+2^-3+2^-2; bob's like at the date itself counts.
AS_OF_VIEW="SELECT member, rise(eng) DURING last 2 days AS r FROM members WHERE member IN ('alice', 'bob', 'carol')
     ORDER BY member AS OF '2025-03-09T00:00:00Z'"
views "AS OF a date, from the view" "$AS_OF_VIEW" "member,r
alice,0.20703125
bob,1
carol,-0.0003662109375"
e=$("$SHOAL" query --format csv "EXPLAIN $AS_OF_VIEW" | tr -d '"')
check_grep "rise: EXPLAIN, AS OF a date from the view" "^  #1 rise\(eng\) DURING last 2 days: score eng at 2025-03-09T00:00:00Z minus at 2025-03-07T00:00:00Z, from its view less" "$e"

e=$("$SHOAL" query --format csv "SET NOW = '2025-03-12T12:00:00Z'; EXPLAIN SELECT member, rise(eng) DURING last_week AS r FROM members" | tr -d '"')
check_grep "rise: EXPLAIN, from the view less the log's tail" "^views: every per-member aggregate is read from a view; rise takes out the log's events from 2025-03-03T00:00:00Z on \(zone map\)$" "$e"
check_grep "rise: EXPLAIN, the two instants" "^  #1 rise\(eng\) DURING last_week: score eng at 2025-03-10T00:00:00Z minus at 2025-03-03T00:00:00Z, from its view less" "$e"
e=$("$SHOAL" query --format csv "SET NOW = '2025-03-13'; EXPLAIN SELECT member, rise(eng) DURING last 1 hours AS r FROM members" | tr -d '"')
check_grep "rise: EXPLAIN, from the view alone when no event is that late" "^views: every per-member aggregate is read from a view, no log scan$" "$e"
e=$("$SHOAL" query --format csv "SET NOW = '2025-03-10'; EXPLAIN SELECT member, rise(eng) DURING BETWEEN '2025-03-01' AND '2025-03-04' AS r FROM members" | tr -d '"')
check_grep "rise: EXPLAIN, too far for the view" "^scan log: .*starts more than 10 half-lives before the latest event" "$e"
e=$("$SHOAL" query --format csv "SET NOW = '2025-03-10'; SET VIEWS = off; EXPLAIN SELECT member, rise(eng) DURING last 7 days AS r FROM members" | tr -d '"')
check_grep "rise: EXPLAIN, from the scan" "^  #1 rise\(eng\) DURING last 7 days: types \{like, post\}, score eng at 2025-03-10T00:00:00Z minus at 2025-03-03T00:00:00Z$" "$e"

err() {
    local name=$1 q=$2 want=$3 got
    got=$("$SHOAL" query "$q" 2>&1)
    check_eq "rise: error: $name" "$got" "$want"
}
"$SHOAL" query "CREATE COUNTERS act AS count(like)" >/dev/null 2>&1 || fail rise-counters
err "no window" "SELECT member,
  rise(eng) AS r FROM members" 'query:2:3: error: rise needs a window: rise(eng) DURING this_week
  rise(eng) AS r FROM members
  ^~~~~~~~~'
err "unknown score" "SELECT member FROM members WHERE rise(nope) DURING today > 0" 'query:1:39: error: unknown score "nope" (rise() takes a score made by CREATE SCORE)
SELECT member FROM members WHERE rise(nope) DURING today > 0
                                      ^~~~'
err "a counters view" "SELECT rise(act) DURING today FROM members" 'query:1:13: error: "act" is a counters view, not a score
SELECT rise(act) DURING today FROM members
            ^~~'
err "over events" "SELECT rise(eng) DURING today FROM events" 'query:1:8: error: rise() is a per-member aggregate: use it over members (FROM members)
SELECT rise(eng) DURING today FROM events
       ^~~~~~~~~~~~~~~~~~~~~~'
err "an event filter" "SELECT rise(eng WHERE original) DURING today FROM members" "query:1:23: error: rise() takes no WHERE: the score's weights choose its events
SELECT rise(eng WHERE original) DURING today FROM members
                      ^~~~~~~~"
err "not a name" "SELECT rise(eng + 1) DURING today FROM members" 'query:1:13: error: rise() takes the name of a score view, e.g. rise(engagement)
SELECT rise(eng + 1) DURING today FROM members
            ^~~~~~~'
err "in a layer without a window" "CREATE LAYER bad AS rise(eng) > 0" 'query:1:21: error: rise needs a window: rise(eng) DURING this_week
CREATE LAYER bad AS rise(eng) > 0
                    ^~~~~~~~~'

# The oracle: generated data (2% late events), the view created between two ingests,
# and each rise written as two sums of w·2^((ms - T)/h) in sqlite3.
if ! command -v sqlite3 >/dev/null; then
    skip "rise-oracle: sqlite3 is not installed"
    exit 0
fi
export SHOAL_DB="$T/gen"
"$SHOAL" gen --events 20000 --seed 3 > "$T/ev.ndjson" 2>/dev/null || { fail rise-gen; exit 0; }
head -n 12000 "$T/ev.ndjson" > "$T/g1.ndjson"
tail -n +12001 "$T/ev.ndjson" > "$T/g2.ndjson"
"$SHOAL" ingest -q "$T/g1.ndjson" || fail rise-gen-ingest-1
check "rise: oracle score" "$SHOAL" query "CREATE SCORE engagement AS 1*checkin + 2*like + 3*comment + 4*reply + 5*post + 20*essence HALF_LIFE 30 DAYS"
"$SHOAL" ingest -q "$T/g2.ndjson" || fail rise-gen-ingest-2
oracle_load "$T/ev.ndjson" <<'SQL' || { fail rise-oracle-load; exit 0; }
CREATE VIEW ev AS SELECT json_extract(j, '$.member') AS member,
    CAST(round((julianday(json_extract(j, '$.ts')) - 2440587.5) * 86400000) AS INTEGER) AS ms,
    CASE json_extract(j, '$.type') WHEN 'checkin' THEN 1 WHEN 'like' THEN 2 WHEN 'comment' THEN 3 WHEN 'reply' THEN 4
        WHEN 'post' THEN 5 WHEN 'essence' THEN 20 ELSE 0 END AS w FROM raw;
SQL
H=2592000000   # 30 days in ms
# rise_sql T_HI B_HI T_LO B_LO [NOW]: per member with an event by NOW (the members
# then: now hides later events), the score at T_HI of the events before B_HI minus the
# score at T_LO of the events before B_LO (instants in epoch ms).
rise_sql() {
    echo "SELECT member, sum(CASE WHEN ms < $2 THEN w * power(2, (ms - $1) * 1.0 / $H) ELSE 0 END)
        - sum(CASE WHEN ms < $4 THEN w * power(2, (ms - $3) * 1.0 / $H) ELSE 0 END) AS r FROM ev GROUP BY member
        HAVING min(ms) <= ${5:-9000000000000000000} ORDER BY member"
}
# same NAME STATEMENTS SQL: shoal's rows (views on, then off) equal sqlite3's, numbers
# within 1e-9 (relative above 1).
same() {
    local name=$1 q=$2 sql=$3 a b v
    b=$(sqlite3 -csv "$T/oracle.db" "$sql" 2>&1)
    for v in on off; do
        a=$("$SHOAL" query --format csv "SET VIEWS = $v; $q" 2>&1 | tail -n +2)
        if [ -n "$b" ] && rows_close "$a" "$b"; then ok "rise: oracle: $name (views $v)"; else fail "rise: oracle: $name (views $v)" "shoal:" "$(printf '%s\n' "$a" | head -5)" "sqlite:" "$(printf '%s\n' "$b" | head -5)"; fi
    done
}
# 2025-06-20T12:00Z = 1750420800000: events after it exist, which rise leaves out.
same "last 7 days" \
    "SET NOW = '2025-06-20T12:00:00Z'; SELECT member, rise(engagement) DURING last 7 days AS r FROM members ORDER BY member" \
    "$(rise_sql 1750420800000 1750420800001 1749816000000 1749816000001 1750420800000)"
# last_month: the score at 06-01 (1748736000000) minus at 05-01 (1746057600000).
same "last_month" \
    "SET NOW = '2025-06-20T12:00:00Z'; SELECT member, rise(engagement) DURING last_month AS r FROM members ORDER BY member" \
    "$(rise_sql 1748736000000 1748736000000 1746057600000 1746057600000 1750420800000)"
# Far back: more than 10 half-lives before the latest event, from the log either way.
same "August 2024" \
    "SELECT member, rise(engagement) DURING BETWEEN '2024-08-01' AND '2024-08-31' AS r FROM members ORDER BY member" \
    "$(rise_sql 1725148800000 1725148800000 1722470400000 1722470400000)"
same "the doc's top 10" \
    "SET NOW = '2025-06-20T12:00:00Z'; SELECT member, round(rise(engagement) DURING last 7 days, 3) AS rise FROM members ORDER BY rise DESC, member LIMIT 10" \
    "SELECT member, rtrim(rtrim(printf('%.3f', r), '0'), '.') AS s FROM ($(rise_sql 1750420800000 1750420800001 1749816000000 1749816000000 1750420800000)) ORDER BY round(r, 3) DESC, member LIMIT 10"
e=$("$SHOAL" query --format csv "SET NOW = '2025-06-20T12:00:00Z'; EXPLAIN SELECT member, rise(engagement) DURING last 7 days AS r FROM members" | tr -d '"')
check_grep "rise: oracle: EXPLAIN, the view and the log's last week" "#1 rise\(engagement\) DURING last 7 days: score engagement at 2025-06-20T12:00:00Z minus at 2025-06-13T12:00:00Z, from its view less the log's events from the earlier bound on" "$e"
# events after now are hidden: the members are those with an event by then
check_grep "rise: oracle: EXPLAIN, who the members were at now" "then rows: one per member with an event by then" "$e"
