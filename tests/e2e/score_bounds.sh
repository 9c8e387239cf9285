#!/usr/bin/env bash
# tests/e2e/score_bounds.sh — a score's bounds (view_score.c, issue 17): beside each
# chunk of raw sums, per 16 members the greatest |raw| rounded up to a float, which a
# narrow score's cells (exec_views.c to_cells: layers, tiers, CASE classes) use to pass
# over the members a bound places inside every cut's interval without reading them.
# Views on and off agree for tiers, layers and classes at cuts around the top scores,
# at nows from the latest event to 20 days back (on the hour and not), AS OF a date and
# a sequence; kept by ingest batches and back-filled; after more ingests of late
# events (older hours, members on both sides of the cuts); with cuts on both sides of
# 0 and a half-life of a day. A bound set to 0 behind the engine's
# back changes the answer (they are read) and fails check, one set to +inf fails check;
# a table without them (made by an older shoal: no bounds, no mark) or with a stale
# mark answers from the raw sums, passes check, keeps none through a batch until
# `shoal rebuild`, which makes them again. The top k by a score (ORDER BY it LIMIT k:
# exec_sort.c into_array_top_bounded, exec_views.c tail_top_run) passes over the runs
# whose bound is below the k-th best so far: the same members as the scan's top, in
# both orders, at every now, each row's value the one the view gives that member
# unsorted; a later chunk's bounds set to 0 change the top (they are read).
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 120000 --seed 23 --late 0.05 --days 60 > "$T/all.ndjson" 2>/dev/null || { fail score-bounds-gen; exit 0; }
# the last 3% of the lines come later, in a second ingest (late ones among them)
n=$(wc -l < "$T/all.ndjson")
head -n $((n * 97 / 100)) "$T/all.ndjson" > "$T/ev.ndjson"
tail -n +$((n * 97 / 100 + 1)) "$T/all.ndjson" > "$T/more.ndjson"
DEFS="CREATE COUNTERS act AS count(*), count(post);
CREATE SCORE eng AS 1*checkin + 2*like + 3*comment + 4*reply + 5*post + 20*essence HALF_LIFE 30 DAYS;
CREATE SCORE day AS 1*checkin + 2*comment + 5*post + 20*essence HALF_LIFE 1 DAY;
CREATE LAYER posters AS count(post) DURING last 30 days >= 6"
views_hot_built "score bounds" "$DEFS" 700
members=$("$SHOAL" --db "$T/hot" query --format csv "SELECT count(*) AS n FROM members" | tail -1)
check_grep "score bounds: more than three chunks of 1024 members ($members)" '^(3[1-9][0-9][0-9]|[4-9][0-9]{3})$' "$members"

# same LABEL QUERY: views on and off give the same rows, not empty
same() {
    local on off
    on=$("$SHOAL" --db "$DB" query --format csv "$NOW; $2" 2>&1)
    off=$("$SHOAL" --db "$DB" query --format csv "$NOW; SET VIEWS = off; $2" 2>&1)
    if [ "$on" == "$off" ] && [ "$(wc -l <<< "$off")" -gt 1 ]; then ok "$1"
    else fail "$1" "views:" "$(head -8 <<< "$on")" "scan:" "$(head -8 <<< "$off")"; fi
}
# cuts DB NOW: cuts between the scan's scores of the members ranked 3 and 4, 40 and 41,
# 400 and 401 by eng (E3, E40, E400) and 5 and 6 by day (N5), at NOW: some members on
# each side, none on the cut (a view's score and the scan's may differ in the last
# bits, so a cut equal to a scan's score is no test of views == scan); and V40, the
# view's own score of the member ranked 40 (ties: compared with the view's rows)
cuts() {
    local top
    mid() { awk -v k="$1" 'NR == k + 1 { a = $1 } NR == k + 2 { printf "%.17g\n", (a + $1) / 2 }'; }
    top=$("$SHOAL" --db "$1" query --format csv "$2; SET VIEWS = off; SELECT eng FROM members ORDER BY eng DESC LIMIT 402")
    E3=$(mid 3 <<< "$top") E40=$(mid 40 <<< "$top") E400=$(mid 400 <<< "$top")
    N5=$("$SHOAL" --db "$1" query --format csv "$2; SET VIEWS = off; SELECT day FROM members ORDER BY day DESC LIMIT 7" | mid 5)
    V40=$("$SHOAL" --db "$1" query --format csv "$2; SELECT eng FROM members ORDER BY eng DESC LIMIT 1 OFFSET 39" | tail -1)
}
# compare LABEL: the tiers, layers and classes at the cuts, views == scan; classes at a
# cut equal to a view's score == the view's rows compared so
compare() {
    local t="CREATE TIERS pyr (core WHEN member IN posters OR eng >= $E40, backbone WHEN count(*) DURING last 30 days >= 10, base WHEN count(*) DURING last 30 days >= 1, silent OTHERWISE);
CREATE TIERS sides (up WHEN day >= $N5, down WHEN day <= -0.5, mid OTHERWISE);
CREATE LAYER top3 AS eng >= $E3;
CREATE LAYER mid AS eng > $E400"
    "$SHOAL" --db "$DB" query "DROP TIERS pyr; DROP TIERS sides; DROP LAYER top3; DROP LAYER mid" > /dev/null 2>&1
    "$SHOAL" --db "$DB" query "$t" > /dev/null || fail "$1: define the tiers"
    same "$1: tiers at a cut" "SELECT tier, count(*) AS n FROM tiers(pyr) GROUP BY tier ORDER BY tier"
    same "$1: tiers on both sides of 0" "SELECT tier, count(*) AS n FROM tiers(sides) GROUP BY tier ORDER BY tier"
    same "$1: layers" "SELECT member IN top3 AS t, member IN mid AS m, count(*) AS n FROM members GROUP BY t, m ORDER BY t, m"
    same "$1: classes" \
        "SELECT CASE WHEN eng >= $E3 THEN 'a' WHEN eng > $E40 THEN 'b' WHEN eng >= $E400 THEN 'c' ELSE 'd' END AS c, count(*) AS n FROM members GROUP BY c ORDER BY c"
    local got want
    got=$("$SHOAL" --db "$DB" query --format csv "$NOW; SELECT eng >= $V40 AS a, eng > $V40 AS b, count(*) AS n FROM members GROUP BY a, b ORDER BY a, b" | tail -n +2)
    want=$("$SHOAL" --db "$DB" query --format csv "$NOW; SELECT member, eng FROM members" |
        awk -F, -v v="$V40" 'NR > 1 { n[($2 >= v) "," ($2 > v)]++ } END { for (k in n) print k "," n[k] }' |
        sed 's/^0/false/; s/^1/true/; s/,0,/,false,/; s/,1,/,true,/' | sort)
    check_eq "$1: classes at a view's score ($V40) == its rows" "$got" "$want"
    tops "$1"
}
# tops LABEL: the top k by a score, views == scan (the members: the values may differ
# in the last bits), and each top row's value the view's own for that member (all
# members listed, no top)
tops() {
    same "$1: top 40 by eng" "SELECT member FROM members ORDER BY eng DESC, member LIMIT 40"
    same "$1: top 3 by day" "SELECT member FROM members ORDER BY day DESC, member LIMIT 3"
    same "$1: bottom 25 by eng" "SELECT member FROM members ORDER BY eng, member LIMIT 25"
    same "$1: bottom 7 by day" "SELECT member FROM members ORDER BY day, member LIMIT 7"
    local got want
    got=$("$SHOAL" --db "$DB" query --format csv "$NOW; SELECT member, eng FROM members ORDER BY eng DESC, member LIMIT 40" | tail -n +2 | sort)
    want=$("$SHOAL" --db "$DB" query --format csv "$NOW; SELECT member, eng FROM members" | tail -n +2 | sort |
        join -t, - <(cut -d, -f1 <<< "$got"))
    check_eq "$1: the top's values are the view's" "$got" "$want"
}
for d in hot built; do
    DB=$T/$d
    for h in 0 0.3 6 12 hour 30.5 75 480; do
        if [ "$h" == hour ]; then NOW="SET NOW = '$(at 13 hour)'"; else NOW="SET NOW = '$(at "$h")'"; fi
        cuts "$DB" "$NOW"
        compare "score bounds: $d, now $h h before the latest"
    done
done
check_grep "score bounds: cuts with members above ($E3, $E40, $E400, $N5, $V40)" '^[0-9.e+]+, [0-9.e+]+, [0-9.e+]+, [0-9.e+]+, [0-9.e+]+$' \
    "$E3, $E40, $E400, $N5, $V40"
NOW="SET NOW = '$(at 0)'"
DB=$T/hot
cuts "$DB" "$NOW"
compare "score bounds: hot, AS OF"
asof=$(at 100)
same "score bounds: tiers AS OF a date" "SELECT tier, count(*) AS n FROM tiers(pyr) GROUP BY tier ORDER BY tier AS OF '$asof'"
same "score bounds: tiers AS OF SEQ" "SELECT tier, count(*) AS n FROM tiers(pyr) GROUP BY tier ORDER BY tier AS OF SEQ 90000"

# More events: the rest of the stream, then late ones (days back, in older hours) for
# members all over the ids, some of them pushed over the cuts by essences
python3 - "$T/all.ndjson" "$end" > "$T/late.ndjson" <<'PY'
import json, sys, datetime
end = datetime.datetime.fromisoformat(sys.argv[2].replace('Z', '+00:00'))
members = []
for line in open(sys.argv[1]):
    m = json.loads(line).get('member')
    if m is not None and m not in members: members.append(m)
for i, m in enumerate(members[::37]):
    t = end - datetime.timedelta(hours=2 + (i * 7) % 300, minutes=i % 60)
    for k in range(1 + i % 5):
        ev = {"id": "late-%d-%d" % (i, k), "ts": t.isoformat(timespec='milliseconds').replace('+00:00', 'Z'),
              "member": m, "type": "essence" if i % 3 == 0 else "comment"}
        print(json.dumps(ev))
PY
check_grep "score bounds: late events made" '^[0-9]{3,}$' "$(wc -l < "$T/late.ndjson")"
for d in hot built; do
    "$SHOAL" --db "$T/$d" ingest -q --batch 300 "$T/more.ndjson" && "$SHOAL" --db "$T/$d" ingest -q "$T/late.ndjson" ||
        fail "score bounds: $d, more events"
    check_grep "score bounds: $d, check after more events" "^ok" "$("$SHOAL" --db "$T/$d" check 2>&1)"
done
end=$("$SHOAL" --db "$T/hot" query --format csv "SELECT max(ts) AS t FROM events" | tail -1)
for d in hot built; do
    DB=$T/$d
    for h in 0 3.5 12 50 hour; do
        if [ "$h" == hour ]; then NOW="SET NOW = '$(at 20 hour)'"; else NOW="SET NOW = '$(at "$h")'"; fi
        cuts "$DB" "$NOW"
        compare "score bounds: $d after late events, now $h h before the latest"
    done
done

# The bounds are read: chunk 0's set to 0 ([0x05][0 BE u32], 64 floats) puts its
# members above the cuts in the cell of 0; check names the first wrong bound.
DB=$T/hot
NOW="SET NOW = '$(at 0)'"
cuts "$DB" "$NOW"
compare "score bounds: before the damage"
good=$("$SHOAL" --db "$DB" query --format csv "$NOW; SELECT tier, count(*) AS n FROM tiers(pyr) GROUP BY tier ORDER BY tier")
cp -r "$DB" "$T/inf"
if "$DBPOKE" "$DB" v.eng 0x0500000000 set 0 "0x$(printf '00%.0s' $(seq 256))"; then
    got=$("$SHOAL" --db "$DB" query --format csv "$NOW; SELECT tier, count(*) AS n FROM tiers(pyr) GROUP BY tier ORDER BY tier")
    if [ "$got" != "$good" ]; then ok "score bounds: a bound of 0 changes the answer (they are read)"
    else fail "score bounds: a bound of 0 changes the answer (they are read)" "$got"; fi
    out=$("$SHOAL" --db "$DB" check 2>&1); rc=$?
    if [ "$rc" -ne 0 ] && grep -q 'view "eng": members [0-9]*\.\.[0-9]* have bound 0 stored, their raw sums make' <<< "$out"; then
        ok "score bounds: check fails on a bound below its chunk's"
    else fail "score bounds: check fails on a bound below its chunk's" "exit $rc" "$out"; fi
else
    fail "score bounds: poke chunk 0's bounds"
fi
# a later chunk's bounds set to 0 (chunk 0 is read before the heap is full): its members
# are passed over by the top, which changes (they are read; check fails, above)
for c in 1 2; do
    cp -r "$T/inf" "$T/zero$c"
    "$DBPOKE" "$T/zero$c" v.eng "0x050000000$c" set 0 "0x$(printf '00%.0s' $(seq 256))" || fail "score bounds: poke chunk $c's bounds"
    q="$NOW; SELECT member FROM members ORDER BY eng DESC, member LIMIT 40"
    got=$("$SHOAL" --db "$T/zero$c" query --format csv "$q")
    want=$("$SHOAL" --db "$T/inf" query --format csv "$q")
    if [ "$got" != "$want" ]; then ok "score bounds: chunk $c's bounds of 0 change the top (they are read)"
    else fail "score bounds: chunk $c's bounds of 0 change the top (they are read)" "$got"; fi
done
# one bound set to +inf: the same answers (the members are read), and check fails
if "$DBPOKE" "$T/inf" v.eng 0x0500000001 set 8 0x0000807f; then
    DB=$T/inf
    compare "score bounds: a bound of +inf"
    DB=$T/hot
    out=$("$SHOAL" --db "$T/inf" check 2>&1); rc=$?
    if [ "$rc" -ne 0 ] && grep -q 'view "eng": members 1056\.\.1071 have bound inf stored' <<< "$out"; then
        ok "score bounds: check fails on a bound above its chunk's"
    else fail "score bounds: check fails on a bound above its chunk's" "exit $rc" "$out"; fi
else
    fail "score bounds: poke a bound of chunk 1"
fi
# chunk 1's bounds gone: check names them
"$DBPOKE" "$T/inf" v.eng 0x0500000001 del || fail "score bounds: delete chunk 1's bounds"
out=$("$SHOAL" --db "$T/inf" check 2>&1); rc=$?
if [ "$rc" -ne 0 ] && grep -q 'view "eng": chunk 1 has no stored bounds' <<< "$out"; then
    ok "score bounds: check fails on a chunk without bounds"
else fail "score bounds: check fails on a chunk without bounds" "exit $rc" "$out"; fi

# A stale mark (a shoal that keeps none appended since): none read, the raw sums answer;
# nor kept by a batch then (the bounds left as they were, below the members that batch
# raises: reading them would be a wrong answer)
"$DBPOKE" "$DB" v.eng 0x06 xor 4 128 || fail "score bounds: poke the mark"
compare "score bounds: a stale mark"
check_grep "score bounds: a stale mark, check" "^ok" "$("$SHOAL" --db "$DB" check 2>&1)"
check_grep "score bounds: a stale mark, check notes it and the rebuild" \
    "note: view \"eng\" does not keep its members' bounds .a cut on the score reads every member's.*\`shoal rebuild eng\` makes them" \
    "$("$SHOAL" --db "$DB" check 2>&1)"
python3 - "$T/late.ndjson" > "$T/later.ndjson" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    ev = json.loads(line)
    ev["id"] = "again-" + ev["id"]
    ev["type"] = "essence"
    print(json.dumps(ev))
PY
"$SHOAL" --db "$DB" ingest -q --batch 100 "$T/later.ndjson" || fail "score bounds: a stale mark, more events"
for h in 0 5 hour; do
    if [ "$h" == hour ]; then NOW="SET NOW = '$(at 20 hour)'"; else NOW="SET NOW = '$(at "$h")'"; fi
    cuts "$DB" "$NOW"
    compare "score bounds: a stale mark after a batch, now $h h before the latest"
done
check_grep "score bounds: a stale mark after a batch, check" "^ok" "$("$SHOAL" --db "$DB" check 2>&1)"
check "score bounds: rebuild" "$SHOAL" --db "$DB" rebuild eng
check_grep "score bounds: check after rebuild" "^ok" "$("$SHOAL" --db "$DB" check 2>&1)"
out=$("$SHOAL" --db "$DB" check 2>&1)
if grep -q "note:" <<< "$out"; then fail "score bounds: no note after rebuild" "$out"; else ok "score bounds: no note after rebuild"; fi
check "score bounds: the mark is back after rebuild" "$DBPOKE" "$DB" v.eng 0x06 get

# A table made by an older shoal: no bounds and no mark. It answers, passes check, keeps
# none through more batches (until rebuild), which answer too.
DB=$T/built
for k in $("$DBPOKE" "$DB" v.eng 0x0500000000 get > /dev/null 2>&1 && seq 0 15); do
    "$DBPOKE" "$DB" v.eng "0x050000000$(printf '%x' "$k")" del > /dev/null 2>&1
done
"$DBPOKE" "$DB" v.eng 0x06 del || fail "score bounds: delete the mark"
check_status "score bounds: an older table has no bounds" 1 "$DBPOKE" "$DB" v.eng 0x0500000000 get
compare "score bounds: an older table"
check_grep "score bounds: an older table, check" "^ok" "$("$SHOAL" --db "$DB" check 2>&1)"
"$SHOAL" --db "$DB" ingest -q --batch 100 "$T/later.ndjson" || fail "score bounds: an older table, more events"
check_status "score bounds: an older table keeps none through a batch" 1 "$DBPOKE" "$DB" v.eng 0x0500000000 get
for h in 0 5 hour; do
    if [ "$h" == hour ]; then NOW="SET NOW = '$(at 20 hour)'"; else NOW="SET NOW = '$(at "$h")'"; fi
    cuts "$DB" "$NOW"
    compare "score bounds: an older table after a batch, now $h h before the latest"
done
check_grep "score bounds: an older table after a batch, check" "^ok" "$("$SHOAL" --db "$DB" check 2>&1)"
check "score bounds: an older table, rebuild" "$SHOAL" --db "$DB" rebuild eng
check "score bounds: an older table has them after rebuild" "$DBPOKE" "$DB" v.eng 0x0500000000 get
check_grep "score bounds: an older table, check after rebuild" "^ok" "$("$SHOAL" --db "$DB" check 2>&1)"
NOW="SET NOW = '$(at 12)'"
cuts "$DB" "$NOW"
compare "score bounds: an older table after rebuild"
