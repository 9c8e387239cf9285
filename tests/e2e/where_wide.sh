#!/usr/bin/env bash
# tests/e2e/where_wide.sh — WHERE as two comparisons of counts joined by AND or OR,
# worked out over words of 64 members (exec_members.c where_bits): with AVX2, every
# member of a word at once (where_two_wide), each comparison made a run of counts
# (count_range: <, <=, =, <>, >, >= and constants below 0, at 0 and past 2^32); else, or
# with SHOAL_RANGES=0, a member at a time. Both and views off must agree. Some 9000
# members: many words, most with a member without a value, and a last word part full.
. "$(dirname "$0")/../lib.sh"

counted_members 23 where-wide
n=0
for w in "count(post) DURING this_month >= 3 OR count(comment) >= 40" \
         "count(post) DURING this_month > 1 AND count(comment) < 30" \
         "count(post) DURING this_month <= 1 AND count(comment) <> 20" \
         "count(post) DURING this_month = 2 OR count(comment) = 7" \
         "count(post) DURING this_month <> 0 AND count(comment) >= 0" \
         "count(post) DURING this_month > -1 AND count(comment) < 5000000000" \
         "count(post) DURING this_month < 0 OR count(comment) > 5000000000" \
         "count(post) DURING this_month <= 0 OR count(comment) > 4294967295"; do
    n=$((n + 1))
    q="SELECT member, count(post) DURING this_month AS p, count(comment) AS c FROM members WHERE $w ORDER BY member"
    want=$("$SHOAL" --db "$T/db" query --format csv "SET NOW = '$noon'; SET VIEWS = off; $q")
    got=$("$SHOAL" --db "$T/db" query --format csv "SET NOW = '$noon'; $q")
    check_eq "where wide: $n. $w, views == scan" "$got" "$want"
    got=$(SHOAL_RANGES=0 "$SHOAL" --db "$T/db" query --format csv "SET NOW = '$noon'; $q")
    check_eq "where wide: $n. $w, a member at a time == scan" "$got" "$want"
    rows=$(printf '%s\n' "$want" | wc -l)
    [ "$n" -eq 7 ] && check_eq "where wide: $n. none" "$rows" 1 || check_grep "where wide: $n. some rows ($rows)" '^([3-9]|[1-9][0-9]+)$' "$rows"
done
