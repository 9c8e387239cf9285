#!/usr/bin/env bash
# tests/e2e/score_exact.sh — a score as of a now before its view's latest event is the
# view's raw sum less the shares of the later events (exec_views.c read_rise, to_cells),
# which rounds: where the later shares dwarf the earlier ones (a weight of 1e20 after
# one of 1, a half-life of a day and an event 50 days before the rest), the remainder
# cannot tell an earlier share from none. Such a member's score is then 0 when its first
# hour (view_score.c, kept per member) starts after now, else the log's own sum, as the
# scan's; a weight above 2^400, which the view's sums could overflow, is scanned. Every
# form that reads a score's tail (a score as of now, its top, a narrow cell in a layer
# or tiers, a rise; the top read in one pass with the tail, to the same doubles) equals the scan on hand-made events and on generated ones with
# extreme weights and short half-lives at nows all over the last days; the first hours
# are read (a damaged one changes the answer and fails check), a stale mark reads none.
. "$(dirname "$0")/../lib.sh"

NOON="SET NOW = '2025-06-10T12:00:00.000Z'"
# x: a comment before noon, a post of 1e20 after; y: a comment before; z: a post after
# only; v: a comment 50 days before, a post after (a half-life of a day: 2^-50); a: two
# posts before noon and two after (1e308 a post overflows the view's sum)
cat > "$T/hand.ndjson" <<'NDJ'
{"id":"1","ts":"2025-06-10T10:00:00.000Z","member":"x","type":"comment"}
{"id":"2","ts":"2025-06-10T14:00:00.000Z","member":"x","type":"post"}
{"id":"3","ts":"2025-06-10T09:00:00.000Z","member":"y","type":"comment"}
{"id":"4","ts":"2025-06-10T15:00:00.000Z","member":"z","type":"post"}
{"id":"5","ts":"2025-04-21T10:00:00.000Z","member":"v","type":"comment"}
{"id":"6","ts":"2025-06-10T14:00:00.000Z","member":"v","type":"post"}
{"id":"7","ts":"2025-06-10T10:00:00.000Z","member":"a","type":"post"}
{"id":"8","ts":"2025-06-10T10:30:00.000Z","member":"a","type":"post"}
{"id":"9","ts":"2025-06-10T14:00:00.000Z","member":"a","type":"post"}
{"id":"10","ts":"2025-06-10T14:30:00.000Z","member":"a","type":"post"}
NDJ
"$SHOAL" --db "$T/hand" ingest -q "$T/hand.ndjson" && "$SHOAL" --db "$T/hand" query "
CREATE SCORE big AS 1e20*post + 1*comment HALF_LIFE 30 DAYS;
CREATE SCORE short AS 1*post + 1*comment HALF_LIFE 1 DAY;
CREATE SCORE huge AS 1e308*post + 1*comment HALF_LIFE 30 DAYS;
CREATE LAYER bigs AS big > 0.5;
CREATE TIERS t (top WHEN big >= 2, some WHEN big > 0, none OTHERWISE)" > /dev/null || fail score-exact-hand-db
check_grep "score exact: check" "^ok" "$("$SHOAL" --db "$T/hand" check 2>&1)"

# same LABEL QUERY: views on and off give the same rows (numbers within 1e-9), not empty
same() {
    local on off
    on=$("$SHOAL" --db "${DB:-$T/hand}" query --format csv "${NOW:-$NOON}; $2" 2>&1)
    off=$("$SHOAL" --db "${DB:-$T/hand}" query --format csv "${NOW:-$NOON}; SET VIEWS = off; $2" 2>&1)
    if rows_close "$on" "$off" && [ "$(wc -l <<< "$off")" -gt 1 ]; then ok "$1"
    else fail "$1" "views:" "$(head -8 <<< "$on")" "scan:" "$(head -8 <<< "$off")"; fi
}
same "score exact: a share dwarfed by a later one (1e20 a post)" "SELECT member, big FROM members ORDER BY member"
check_grep "score exact: x's comment counts" '^x,0\.998' \
    "$("$SHOAL" --db "$T/hand" query --format csv "$NOON; SELECT member, big FROM members ORDER BY member")"
check_grep "score exact: from the view less its tail" "score big as of now, from its view less the log's later events" \
    "$("$SHOAL" --db "$T/hand" query --format csv "$NOON; EXPLAIN SELECT member, big FROM members")"
same "score exact: a share 50 half-lives back" "SELECT member, short FROM members WHERE short > 0 ORDER BY member"
check_grep "score exact: v's comment 50 days back counts" '^v,' \
    "$("$SHOAL" --db "$T/hand" query --format csv "$NOON; SELECT member, short FROM members WHERE short > 0 ORDER BY member")"
same "score exact: the top by a dwarfed score" "SELECT member, big FROM members ORDER BY big DESC, member LIMIT 3"
same "score exact: a layer of a dwarfed score (its cell)" "SELECT member FROM members WHERE member IN bigs ORDER BY member"
same "score exact: tiers of a dwarfed score" "SELECT tier, count(*) AS n FROM tiers(t) GROUP BY tier ORDER BY tier"
same "score exact: a rise over a dwarfed share" \
    "SELECT member, rise(big) DURING last 1 days AS r, rise(short) DURING last 1 days AS s FROM members ORDER BY member"
same "score exact: an overflowing weight" "SELECT member, huge FROM members ORDER BY member"
same "score exact: the top by an overflowing weight" "SELECT member, huge FROM members ORDER BY huge DESC, member LIMIT 2"
check_grep "score exact: an overflowing weight is scanned" "has a weight above 2\^400" \
    "$("$SHOAL" --db "$T/hand" query --format csv "$NOON; EXPLAIN SELECT member, huge FROM members")"

# The first hours are read: x's moved (behind the engine's back) to after noon makes its
# score 0 (its dwarfed comment not looked for in the log), and check finds it. Chunk 0
# [0x03][0 BE u32] holds member ids 0..1023 as u32 LE: x is id 1.
key=0x0300000000
if "$DBPOKE" "$T/hand" v.big "$key" add64 4 100; then   # (x's u32, the int64's low half: 100 hours on)
    got=$("$SHOAL" --db "$T/hand" query --format csv "$NOON; SELECT member, big FROM members ORDER BY member")
    check_grep "score exact: a damaged first hour changes the answer (they are read)" '^x,0$' "$got"
    out=$("$SHOAL" --db "$T/hand" check 2>&1); rc=$?
    if [ "$rc" -ne 0 ] && grep -q 'view "big": member id 1 has first hour [0-9]* stored, a rebuild has [0-9]*' <<< "$out"; then
        ok "score exact: check fails on a damaged first hour"
    else fail "score exact: check fails on a damaged first hour" "exit $rc" "$out"; fi
    # a stale mark (a shoal that keeps none appended since): none read, the log answers
    "$DBPOKE" "$T/hand" v.big 0x04 xor 4 128 || fail "score exact: poke the mark"
    same "score exact: a stale mark, the log for the dwarfed shares" "SELECT member, big FROM members ORDER BY member"
    check_grep "score exact: a stale mark, check" "^ok" "$("$SHOAL" --db "$T/hand" check 2>&1)"
    check "score exact: rebuild" "$SHOAL" --db "$T/hand" rebuild big
    check_grep "score exact: check after rebuild" "^ok" "$("$SHOAL" --db "$T/hand" check 2>&1)"
    same "score exact: after rebuild" "SELECT member, big FROM members ORDER BY member"
else
    fail "score exact: poke a first hour" "$key"
fi

# The top by a score less its tail, in one pass over the view (exec_views.c
# read_tail_top: who the members were from a counters view, read only when the top does
# not settle it): x's dwarfed comment, settled by score_exact after the pass, is second
# (x, z and v are settled after it; left out of the offers, the top 2 would be a and y,
# all above 0, which settles it); the values are the doubles the rows of every member
# give (no LIMIT: read_rise's sums, share by share in the same order).
"$SHOAL" --db "$T/hand" query "CREATE COUNTERS act AS count(*)" > /dev/null || fail score-exact-hand-counters
check_grep "score exact: the top in one pass, who the members were read lazily" "only when the top rows' scores are not all above 0" \
    "$("$SHOAL" --db "$T/hand" query --format csv "$NOON; EXPLAIN SELECT member, big FROM members ORDER BY big DESC, member LIMIT 2")"
for k in 2 3; do
    same "score exact: the top $k in one pass, a dwarfed share settled after it" "SELECT member, big FROM members ORDER BY big DESC, member LIMIT $k"
    top=$("$SHOAL" --db "$T/hand" query --format csv "$NOON; SELECT member, big FROM members ORDER BY big DESC, member LIMIT $k")
    check_grep "score exact: the top $k in one pass, x's settled score in it" '^x,0\.998' "$top"
    check_eq "score exact: the top $k in one pass, the same doubles as every member's rows" \
        "$("$SHOAL" --db "$T/hand" query --format csv "$NOON; SELECT member, big FROM members ORDER BY big DESC, member" | head -$((k + 1)))" "$top"
done

# Generated events, kept by small batches and back-filled: essence marks of 1e15 over
# check-ins of 1, and a half-life of a day (shares 2^-30 and less a month back), at nows
# all over the last days; views == scan.
"$SHOAL" gen --events 20000 --seed 9 --late 0.05 --days 40 > "$T/ev.ndjson" 2>/dev/null || fail score-exact-gen
views_hot_built "score exact" "CREATE SCORE ext AS 1*checkin + 1*like + 1e15*essence HALF_LIFE 1 DAY;
CREATE SCORE day AS 1*checkin + 2*comment + 5*post HALF_LIFE 1 DAY;
CREATE LAYER exts AS ext > 0.001" 300
n_rows=0
for h in 0.3 2.5 9.37 23.9 47.2 70.1 150.5 230.2; do
    NOW="SET NOW = '$(at "$h")'"
    for d in hot built; do
        DB=$T/$d
        same "score exact: $d, now $h h before the latest, dwarfed shares" \
            "SELECT member, ext, day FROM members WHERE ext > 0 OR day > 0 ORDER BY member"
        same "score exact: $d, now $h h before the latest, the top" \
            "SELECT member, ext FROM members ORDER BY ext DESC, member LIMIT 25"
        same "score exact: $d, now $h h before the latest, a layer" \
            "SELECT count(*) AS n FROM members WHERE member IN exts"
    done
    n_rows=$((n_rows + $("$SHOAL" --db "$T/hot" query --format csv "$NOW; SELECT count(*) AS n FROM members WHERE ext > 0" | tail -1)))
done
DB= NOW=
check_grep "score exact: members with a score at those nows ($n_rows)" '^[0-9]{3,}$' "$n_rows"
# With a counters view for who the members were, the top is read in one pass with the
# tail (read_tail_top): the scan's rows, and the doubles of every member's rows
for d in hot built; do
    "$SHOAL" --db "$T/$d" query "CREATE COUNTERS act AS count(*)" > /dev/null || fail "score-exact-$d-counters"
done
for h in 0.3 9.37 47.2 150.5; do
    NOW="SET NOW = '$(at "$h")'"
    for d in hot built; do
        DB=$T/$d
        q="SELECT member, ext, day FROM members ORDER BY day DESC, member"
        check_grep "score exact: $d, now $h h before the latest, the top in one pass" "only when the top rows' scores are not all above 0" \
            "$("$SHOAL" --db "$DB" query --format csv "$NOW; EXPLAIN $q LIMIT 30")"
        same "score exact: $d, now $h h before the latest, the top in one pass" "$q LIMIT 30"
        same "score exact: $d, now $h h before the latest, the top in one pass of a dwarfed score" \
            "SELECT member, ext FROM members ORDER BY ext DESC, member LIMIT 25"
        check_eq "score exact: $d, now $h h before the latest, the top's doubles are every member's rows'" \
            "$("$SHOAL" --db "$DB" query --format csv "$NOW; $q" | head -31)" \
            "$("$SHOAL" --db "$DB" query --format csv "$NOW; $q LIMIT 30")"
        # a score's cells (to_cells: raw sums against the cuts' raw bounds) at cuts equal
        # to members' scores: each class the count of every member's row whose double
        # compares so (the same doubles)
        rows=$("$SHOAL" --db "$DB" query --format csv "$NOW; $q")
        for r in 2 6 21 61; do
            cut=$(sed -n "${r}p" <<< "$rows" | cut -d, -f3)
            for op in ">=" ">" "<=" "="; do
                got=$("$SHOAL" --db "$DB" query --format csv "$NOW; SELECT CASE WHEN day $op $cut THEN 'a' ELSE 'b' END AS k, count(*) AS n FROM members GROUP BY k ORDER BY k")
                want=$(python3 -c "import sys, operator
o = {'>=': operator.ge, '>': operator.gt, '<=': operator.le, '=': operator.eq}[sys.argv[1]]
c = float(sys.argv[2]); n = {'a': 0, 'b': 0}
for line in sys.stdin.read().splitlines()[1:]:
    n['a' if o(float(line.split(',')[2]), c) else 'b'] += 1
print('k,n'); [print(k + ',' + str(v)) for k, v in sorted(n.items()) if v]" "$op" "$cut" <<< "$rows")
                check_eq "score exact: $d, now $h h before the latest, cells at day $op $cut (rank $r)" "$got" "$want"
            done
        done
    done
done
DB= NOW=
