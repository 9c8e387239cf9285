#!/usr/bin/env bash
# tests/e2e/tiers_midday.sh — the tiers' reads at a now inside the latest day (issue 17,
# session 20). A narrow score's tail (the events after now, which its view's sums hold)
# is taken off only for the tail's members that to_cells finds in runs it reads and
# whose raw sums lie outside the raw intervals; the others keep the cell of 0 (every
# weight >= 0, every share taken off), and the listed ones get their shares after the
# pass (exec_views.c defer_cells; SHOAL_TAIL_DEFER=0 groups every share first, as
# before). The counters' hour buckets, whose members are far apart, are read by
# dec_mixed after the days; who existed is the last 30 days' bytes above 0, found after
# their read (nonzero_bits). Views on, SHOAL_TAIL_DEFER=0 and views off must agree at
# nows on and off the hour, for cuts of the score from the top few members to most of
# them, and about 0 (no raw intervals: every tail member listed): leaving the listed
# members' shares out, listing none of them, or none without raw intervals, fails here;
# so do an hour entry's count taken from the wrong byte and the bits of who existed
# shifted by a member.
. "$(dirname "$0")/../lib.sh"

counted_members 23 tiers-midday
"$SHOAL" --db "$T/db" query "CREATE SCORE eng AS 1*checkin + 2*like + 3*comment + 4*reply + 5*post + 20*essence HALF_LIFE 30 DAYS" > /dev/null ||
    fail tiers-midday-score
day=${end:0:10}
# (the score's cuts: the 5th, 40th, 300th and 2000th largest at the latest event)
cuts=$("$SHOAL" --db "$T/db" query --format csv "SET NOW = '$end'; SELECT eng FROM members ORDER BY eng DESC LIMIT 2000" | awk 'NR == 6 || NR == 41 || NR == 301 || NR == 2001')
check_eq "tiers midday: four cuts of the score" "$(echo "$cuts" | grep -c .)" 4
i=0
for c in $cuts; do
    i=$((i + 1))
    "$SHOAL" --db "$T/db" query "CREATE TIERS tm$i (core WHEN count(post) DURING this_month >= 3 OR eng >= $c, backbone WHEN count(*) DURING last 30 days >= 10, base WHEN count(*) DURING last 30 days >= 1, silent OTHERWISE)" > /dev/null ||
        fail "tiers-midday-tiers-$i"
done
plan=$("$SHOAL" --db "$T/db" query --format csv "SET NOW = '${day}T12:00:00.000Z'; EXPLAIN SELECT tier, count(*) AS n FROM tiers(tm1) GROUP BY tier")
check_grep "tiers midday: the score read narrow at noon" "a score's cell among them" "$plan"
check_grep "tiers midday: hours read at noon" "hours ${day}T00..${day}T11 UTC" "$plan"
for now in "${day}T12:00:00.000Z" "${day}T07:00:00.000Z" "${day}T18:30:00.000Z" "${day}T00:00:00.000Z" "${day}T03:29:59.999Z"; do
    for i in 1 2 3 4; do
        q="SET NOW = '$now'; SELECT tier, count(*) AS n FROM tiers(tm$i) GROUP BY tier ORDER BY tier"
        want=$("$SHOAL" --db "$T/db" query --format csv "SET VIEWS = off; $q")
        check_eq "tiers midday: tm$i at $now has four tiers" "$(echo "$want" | grep -c .)" 5
        check_eq "tiers midday: tm$i at $now, views == scan" "$("$SHOAL" --db "$T/db" query --format csv "$q")" "$want"
        check_eq "tiers midday: tm$i at $now, tail grouped first == scan" \
            "$(SHOAL_TAIL_DEFER=0 "$SHOAL" --db "$T/db" query --format csv "$q")" "$want"
    done
    # the score's cuts alone, and the members themselves (a member in the wrong cell shows)
    c=$(echo "$cuts" | sed -n 2p)
    q="SET NOW = '$now'; SELECT member FROM members WHERE eng >= $c AND eng < $(echo "$cuts" | sed -n 1p) ORDER BY member"
    want=$("$SHOAL" --db "$T/db" query --format csv "SET VIEWS = off; $q")
    check_eq "tiers midday: members between two cuts at $now, views == scan" "$("$SHOAL" --db "$T/db" query --format csv "$q")" "$want"
    # a cut at 0 (no raw intervals: every tail member listed) and one just above
    q="SET NOW = '$now'; SELECT eng > 0 AS pos, eng >= 1 AS one, count(*) AS n FROM members GROUP BY pos, one ORDER BY pos, one"
    want=$("$SHOAL" --db "$T/db" query --format csv "SET VIEWS = off; $q")
    check_eq "tiers midday: the score about 0 at $now, views == scan" "$("$SHOAL" --db "$T/db" query --format csv "$q")" "$want"
    check_eq "tiers midday: the score about 0 at $now, tail grouped first == scan" \
        "$(SHOAL_TAIL_DEFER=0 "$SHOAL" --db "$T/db" query --format csv "$q")" "$want"
    q="SET NOW = '$now'; SELECT count(*) DURING last 30 days >= 2 AS two, count(*) DURING last 2 days >= 1 AS recent, count(*) AS n FROM members GROUP BY two, recent ORDER BY two, recent"
    want=$("$SHOAL" --db "$T/db" query --format csv "SET VIEWS = off; $q")
    check_eq "tiers midday: recent counts at $now, views == scan" "$("$SHOAL" --db "$T/db" query --format csv "$q")" "$want"
done
