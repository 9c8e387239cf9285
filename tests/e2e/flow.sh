#!/usr/bin/env bash
# tests/e2e/flow.sh — FROM flow(name) PER … and FROM transitions(name): a three-month
# fixture whose matrix and transitions are derived by hand below; on generated data,
# each flow row equals what two plain `FROM tiers(name) AS OF` queries give, joined
# here with shell tools, and transitions agree with the flow; views on and off agree;
# WHERE/GROUP BY/ORDER BY/LIMIT over the rows; EXPLAIN; Ctrl-C; errors with positions.
. "$(dirname "$0")/../lib.sh"

# err NAME STATEMENT WANT: the statement fails with exactly this rendered error.
err() {
    local name=$1 q=$2 want=$3 got
    got=$("$SHOAL" query "$q" 2>&1)
    check_eq "flow: error: $name" "$got" "$want"
}
q() { "$SHOAL" query --format csv "$@" 2>&1; }

# ---------------------------------------------------------------- the hand fixture
# lvl: core = 2+ posts this month, active = any event this month, else idle.
#   a: Jan 2 posts (core); Feb 1 post (active); Mar 2 posts, the second on 03-20 (core)
#   b: Jan like (active); Feb nothing (idle); Mar like (active)
#   c: joins 02-10 (active); Mar 2 posts on 03-01 and 03-02 (core)
#   d: joins 03-31 (active)
#   e: a post on 01-31 23:00 and one on 02-01 (active, active), nothing in March (idle)
cat > "$T/hand.ndjson" <<'EOF'
{"id":"1","ts":"2025-01-05T10:00:00Z","member":"a","type":"post"}
{"id":"2","ts":"2025-01-10T10:00:00Z","member":"a","type":"post"}
{"id":"3","ts":"2025-01-15T10:00:00Z","member":"b","type":"like"}
{"id":"4","ts":"2025-01-31T23:00:00Z","member":"e","type":"post"}
{"id":"5","ts":"2025-02-01T08:00:00Z","member":"e","type":"post"}
{"id":"6","ts":"2025-02-03T10:00:00Z","member":"a","type":"post"}
{"id":"7","ts":"2025-02-10T10:00:00Z","member":"c","type":"join"}
{"id":"8","ts":"2025-03-01T10:00:00Z","member":"c","type":"post"}
{"id":"9","ts":"2025-03-02T10:00:00Z","member":"c","type":"post"}
{"id":"10","ts":"2025-03-02T11:00:00Z","member":"a","type":"post"}
{"id":"11","ts":"2025-03-05T10:00:00Z","member":"b","type":"like"}
{"id":"12","ts":"2025-03-20T10:00:00Z","member":"a","type":"post"}
{"id":"13","ts":"2025-03-31T10:00:00Z","member":"d","type":"join"}
EOF
export SHOAL_DB="$T/hand.db"
"$SHOAL" ingest -q "$T/hand.ndjson" || fail flow-hand-ingest
check "flow: CREATE TIERS lvl" "$SHOAL" query "CREATE TIERS lvl (core WHEN count(post) DURING this_month >= 2,
  active WHEN count(*) DURING this_month >= 1, idle OTHERWISE)"

got=$(q "SELECT * FROM flow(lvl) PER MONTH AS OF '2025-03-31'")
check_eq "flow: the hand matrix PER MONTH" "$got" "period,from_tier,to_tier,move,members
2025-01,,core,new,1
2025-01,,active,new,2
2025-02,core,active,down,1
2025-02,active,active,stay,1
2025-02,active,idle,down,1
2025-02,,active,new,1
2025-03,active,core,up,2
2025-03,active,idle,down,1
2025-03,idle,active,up,1
2025-03,,active,new,1"

got=$(q "SELECT member, period, from_tier, to_tier, move FROM transitions(lvl) ORDER BY period, member AS OF '2025-03-31'")
check_eq "flow: the hand transitions PER DAY (the default)" "$got" "member,period,from_tier,to_tier,move
a,2025-01-05,,active,new
a,2025-01-10,active,core,up
b,2025-01-15,,active,new
e,2025-01-31,,active,new
a,2025-02-01,core,idle,down
b,2025-02-01,active,idle,down
a,2025-02-03,idle,active,up
c,2025-02-10,,active,new
a,2025-03-01,active,idle,down
e,2025-03-01,active,idle,down
a,2025-03-02,idle,active,up
c,2025-03-02,active,core,up
b,2025-03-05,idle,active,up
a,2025-03-20,active,core,up
d,2025-03-31,,active,new"

got=$(q "SELECT member FROM transitions(lvl) PER DAY WHERE to_tier = 'core' DURING this_month ORDER BY member AS OF '2025-03-31'")
check_eq "flow: who became core this month" "$got" "member
a
c"
got=$(q "SELECT member, from_tier FROM transitions(lvl) WHERE move = 'down' AND period >= '2025-02-01' DURING BETWEEN '2025-02-01' AND '2025-02-28' ORDER BY member")
check_eq "flow: who dropped out in February (WHERE over period and move)" "$got" "member,from_tier
a,core
b,active"
got=$(q "SELECT member, period, to_tier FROM transitions(lvl) PER WEEK WHERE member = 'a' AS OF '2025-03-31'")
check_eq "flow: transitions PER WEEK (weeks start on Monday)" "$got" "member,period,to_tier
a,2024-12-30,active
a,2025-01-06,core
a,2025-01-27,idle
a,2025-02-03,active
a,2025-03-17,core"
# (The week of 01-27 ends on Sunday 02-02, in a February without a post yet; the week of
# 02-24 ends on 03-02 with one March post: active, as a was at the end of the week before.)
got=$(q "SELECT move, sum(members) AS n FROM flow(lvl) PER MONTH GROUP BY move ORDER BY n DESC, move AS OF '2025-03-31'")
check_eq "flow: GROUP BY and sum over the rows" "$got" "move,n
new,5
down,3
up,3
stay,1"
# An alias may repeat a column's name: inside the select list and WHERE the name is the
# column, after grouping (ORDER BY) the alias.
got=$(q "SELECT move, sum(members) AS members FROM flow(lvl) PER MONTH WHERE members > 0 GROUP BY move ORDER BY members DESC, move AS OF '2025-03-31'")
check_eq "flow: sum(members) AS members" "$got" "move,members
new,5
down,3
up,3
stay,1"
got=$(q "SELECT period, members FROM flow(lvl) PER MONTH WHERE move = 'new' ORDER BY members DESC, period LIMIT 2 AS OF '2025-03-31'")
check_eq "flow: WHERE, ORDER BY, LIMIT" "$got" "period,members
2025-01,2
2025-01,1"
got=$(q "SELECT period, from_tier, to_tier, members FROM flow(lvl) PER DAY WHERE period = '2025-03-31' AND to_tier = 'active' AS OF '2025-03-31'")
check_eq "flow: PER DAY, one day's rows" "$got" "period,from_tier,to_tier,members
2025-03-31,active,active,1
2025-03-31,,active,1"
got=$(q "SELECT count(*) FROM flow(lvl) PER MONTH DURING BETWEEN '2025-04-01' AND '2025-04-30' AS OF '2025-03-31'")
check_eq "flow: a window after now has no period" "$got" "count(*)
0"
# SET NOW cuts the current period short: March as of 03-10 (a has one March post then).
got=$(q "SET NOW = '2025-03-10'; SELECT from_tier, to_tier, members FROM flow(lvl) PER MONTH WHERE period = '2025-03-01'")
check_eq "flow: the current period as it stands at now" "$got" "from_tier,to_tier,members
active,core,1
active,active,1
active,idle,1
idle,active,1"
e=$(q "EXPLAIN SELECT * FROM flow(lvl) PER MONTH AS OF '2025-03-31'")
check_grep "flow: EXPLAIN counts the evaluations" "3 evaluations of SELECT member, tier FROM tiers\(lvl\) AS OF the end of each period and of the one before, 2024-12 \(1 before the first event need none\)" "$e"
check_grep "flow: EXPLAIN shows the evaluation's plan" "^\"    scan log: seq 1..13 \(13 records\)" "$e"

err "unknown tiers" "SELECT * FROM flow(nosuch) PER MONTH" 'query:1:20: error: unknown tiers "nosuch"
SELECT * FROM flow(nosuch) PER MONTH
                   ^~~~~~'
err "PER missing" "SELECT * FROM flow(lvl)" 'query:1:15: error: flow(name) needs PER DAY, PER WEEK or PER MONTH
SELECT * FROM flow(lvl)
              ^~~~~~~~~'
err "PER YEAR" "SELECT * FROM transitions(lvl) PER YEAR" 'query:1:36: error: unknown period "YEAR" (expected DAY, WEEK or MONTH)
SELECT * FROM transitions(lvl) PER YEAR
                                   ^~~~'
err "PER on events" "SELECT member FROM events PER DAY" 'query:1:31: error: PER applies to members, tiers(name), a subquery, flow(name) and transitions(name)
SELECT member FROM events PER DAY
                              ^~~'
err "flow without a name" "SELECT * FROM flow PER DAY" 'query:1:15: error: expected FROM flow(name), name being tiers
SELECT * FROM flow PER DAY
              ^~~~'
err "an unknown column" "SELECT tier FROM flow(lvl) PER MONTH" 'query:1:8: error: unknown column "tier" (flow has: period, from_tier, to_tier, move, members)
SELECT tier FROM flow(lvl) PER MONTH
       ^~~~'
err "from is a keyword" "SELECT from FROM flow(lvl) PER MONTH" 'query:1:8: error: expected an expression or '\''*'\'' but found "FROM"
SELECT from FROM flow(lvl) PER MONTH
       ^~~~'

# ---------------------------------------------------------------- generated data
export SHOAL_DB="$T/gen.db"
"$SHOAL" gen --events 20000 --seed 3 > "$T/ev.ndjson" 2>/dev/null || { fail flow-gen; exit 0; }
"$SHOAL" ingest -q "$T/ev.ndjson" || fail flow-gen-ingest
check "flow: the bench's views, layer and tiers" "$SHOAL" query "
  CREATE COUNTERS activity AS count(post), count(post WHERE original), sum(post.words), count(essence), count(*), count(comment, reply);
  CREATE SCORE engagement AS 1*checkin + 2*like + 3*comment + 4*reply + 5*post + 20*essence HALF_LIFE 30 DAYS;
  CREATE LAYER core_creator AS count(post WHERE original) DURING this_month >= 3 OR count(essence) >= 100;
  CREATE TIERS pyramid (core WHEN member IN core_creator OR engagement >= 200, backbone WHEN count(*) DURING last 30 days >= 10,
    base WHEN count(*) DURING last 30 days >= 1, silent OTHERWISE)"

ENDS="2024-06-30 2024-07-31 2024-08-31 2024-09-30 2024-10-31 2024-11-30 2024-12-31 2025-01-31 2025-02-28 2025-03-31 2025-04-30 2025-05-31 2025-06-30"
WIN="DURING BETWEEN '2024-07-01' AND '2025-06-30'"
for d in $ENDS; do
    q "SELECT member, tier FROM tiers(pyramid) AS OF '$d'" | tail -n +2 | LC_ALL=C sort > "$T/tiers.$d"
done
# Each month's pairs (from, to) from the two month ends, members absent before are NULL.
prev=""
for d in $ENDS; do
    if [ -n "$prev" ]; then
        LC_ALL=C join -t, -a 2 -e NULL -o 2.1,1.2,2.2 "$T/tiers.$prev" "$T/tiers.$d" |
            awk -F, -v p="${d%-*}" '{ n[p "," $2 "," $3]++ } END { for (k in n) print k "," n[k] }'
    fi
    prev=$d
done | LC_ALL=C sort > "$T/want"
q "SELECT period, coalesce(from_tier, 'NULL'), to_tier, members FROM flow(pyramid) PER MONTH $WIN" | tail -n +2 | LC_ALL=C sort > "$T/got"
if cmp -s "$T/got" "$T/want" && [ "$(wc -l < "$T/want")" -gt 100 ]; then ok "flow: every row == two FROM tiers AS OF queries joined ($(wc -l < "$T/want") rows)"
else fail "flow: every row == two FROM tiers AS OF queries joined" "$(diff "$T/got" "$T/want" | head -10)"; fi

# transitions PER MONTH are the flow's rows that are not stays, member by member.
awk -F, '$2 != $3' "$T/want" > "$T/want_moves"
q "SELECT period, coalesce(from_tier, 'NULL') AS f, to_tier, count(*) FROM transitions(pyramid) PER MONTH $WIN GROUP BY period, f, to_tier" |
    tail -n +2 | LC_ALL=C sort > "$T/got_moves"
if cmp -s "$T/got_moves" "$T/want_moves" && [ -s "$T/want_moves" ]; then ok "flow: transitions PER MONTH grouped == the flow's moves"
else fail "flow: transitions PER MONTH grouped == the flow's moves" "$(diff "$T/got_moves" "$T/want_moves" | head -10)"; fi
a=$(q "SELECT member, to_tier FROM transitions(pyramid) PER MONTH WHERE period = '2025-03-01' ORDER BY member" | tail -n +2)
b=$(LC_ALL=C join -t, -a 2 -e NULL -o 2.1,1.2,2.2 "$T/tiers.2025-02-28" "$T/tiers.2025-03-31" | awk -F, '$2 != $3 { print $1 "," $3 }' | LC_ALL=C sort)
check_eq "flow: March's transitions, member by member == the two AS OF queries" "$(printf '%s\n' "$a" | LC_ALL=C sort)" "$b"

# Days: a day's flow from the day before, and transitions per day add up to the month's
# net changes only through their days, so check a day against its own two evaluations.
a=$(q "SELECT coalesce(from_tier, 'NULL'), to_tier, members FROM flow(pyramid) PER DAY WHERE period = '2025-03-15' $WIN" | tail -n +2 | LC_ALL=C sort)
q "SELECT member, tier FROM tiers(pyramid) AS OF '2025-03-14'" | tail -n +2 | LC_ALL=C sort > "$T/d14"
q "SELECT member, tier FROM tiers(pyramid) AS OF '2025-03-15'" | tail -n +2 | LC_ALL=C sort > "$T/d15"
b=$(LC_ALL=C join -t, -a 2 -e NULL -o 2.1,1.2,2.2 "$T/d14" "$T/d15" | awk -F, '{ n[$2 "," $3]++ } END { for (k in n) print k "," n[k] }' | LC_ALL=C sort)
check_eq "flow: PER DAY, one day == two AS OF queries" "$a" "$b"

both() {
    local name=$1 a b
    a=$(q "$2")
    b=$(q "SET VIEWS = off; $2")
    if [ "$a" == "$b" ] && [ "$(printf '%s\n' "$a" | wc -l)" -gt 2 ]; then ok "flow: $name: views on == off"
    else fail "flow: $name: views on == off" "on:" "$(printf '%s\n' "$a" | head -5)" "off:" "$(printf '%s\n' "$b" | head -5)"; fi
}
both "flow PER MONTH" "SELECT * FROM flow(pyramid) PER MONTH $WIN"
both "transitions PER WEEK" "SELECT * FROM transitions(pyramid) PER WEEK $WIN ORDER BY period, member"
e=$(q "EXPLAIN SELECT * FROM flow(pyramid) PER MONTH $WIN")
check_grep "flow: EXPLAIN, 12 months" "flow of tiers pyramid PER MONTH: 12 periods, 2024-07 .. 2025-06" "$e"
check_grep "flow: EXPLAIN, 12 evaluations" "  12 evaluations of SELECT member, tier FROM tiers\(pyramid\)" "$e"
err "a layer is not tiers" "SELECT * FROM flow(core_creator) PER MONTH" 'query:1:20: error: "core_creator" is a layer, not tiers
SELECT * FROM flow(core_creator) PER MONTH
                   ^~~~~~~~~~~~'
err "a view is not tiers" "SELECT * FROM transitions(activity)" 'query:1:27: error: "activity" is a view, not tiers
SELECT * FROM transitions(activity)
                          ^~~~~~~~'

# Ctrl-C stops a long run of evaluations (some 16000 days, each a scan of the log).
start=$(date +%s%N)
"$SHOAL" query "SELECT count(*) FROM transitions(pyramid) PER DAY AS OF '2068-12-31'" > "$T/c.out" 2> "$T/c.err" &
pid=$!
sleep 0.5
kill -INT "$pid"
wait "$pid"; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check_grep "flow: Ctrl-C cancels the evaluations" "cancelled" "$(cat "$T/c.err")"
[ "$rc" -ne 0 ] && [ "$ms" -lt 3000 ] && ok "flow: Ctrl-C stops it at once ($ms ms, exit $rc)" || fail "flow: Ctrl-C stops it at once" "$ms ms, exit $rc"
