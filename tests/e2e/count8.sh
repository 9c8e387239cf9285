#!/usr/bin/env bash
# tests/e2e/count8.sh — counts from a view alone over members read as a byte per member
# with the counts of 255 and more in a table beside them (engine/count8.c, exec.c's
# count8_ok): each count's row value, WHERE as bytes (where_two_bytes, comparisons with
# 0..254) and past the bytes (255 and more: exact counts a member at a time), one or
# three comparisons, no WHERE, a top 10 and an expression must equal the log scan's
# (views off) and the 4-byte counts' (SHOAL_COUNT8=0), and a member at a time
# (SHOAL_RANGES=0). Some 1500 members, a few dozen past 255 in a month. Nows: the
# latest day at noon (the month so far) and its end (whole months), and noons of May's
# 28th, 30th and 31st (May less 4, 2 and 1 days: read_part's runs, the general one and
# the one-run loop).
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 200000 --members 1500 --days 120 --seed 7 > "$T/ev.ndjson" 2>/dev/null || fail count8-gen
"$SHOAL" --db "$T/db" ingest -q "$T/ev.ndjson" &&
    "$SHOAL" --db "$T/db" query "CREATE COUNTERS act AS count(*), count(post), count(comment)" > /dev/null ||
    fail count8-ingest
big=$("$SHOAL" --db "$T/db" query --format csv "SET NOW = '2025-06-30T12:00:00.000Z';
    SELECT count(*) FROM members WHERE count(*) DURING this_month > 255" | tail -1)
check_grep "count8: members past 255 this month ($big)" '^([1-9][0-9]+)$' "$big"
n=0
for q in "SELECT member, count(post) DURING this_month AS p, count(comment) AS c FROM members WHERE count(post) DURING this_month >= 3 OR count(comment) >= 100 ORDER BY member" \
         "SELECT member, count(*) DURING this_month AS a, count(comment) AS c FROM members WHERE count(*) DURING this_month > 254 OR count(comment) >= 255 ORDER BY member" \
         "SELECT member, count(*) DURING this_month AS a, count(comment) AS c FROM members WHERE count(*) DURING this_month >= 255 AND count(comment) <= 300 ORDER BY member" \
         "SELECT member, count(*) DURING this_month AS a, count(comment) AS c FROM members WHERE count(*) DURING this_month < 256 AND count(comment) > 254 ORDER BY member" \
         "SELECT member, count(*) DURING this_month AS a, count(comment) AS c FROM members WHERE count(*) DURING this_month = 0 AND count(comment) > 0 ORDER BY member" \
         "SELECT member, count(comment) AS c FROM members WHERE count(comment) > 256 ORDER BY member" \
         "SELECT member, count(comment) AS c FROM members WHERE count(*) DURING this_month > 200 AND count(comment) > 100 OR count(post) = 3 ORDER BY member" \
         "SELECT member, count(*) DURING this_month AS a FROM members ORDER BY member" \
         "SELECT member, count(*) DURING this_month AS a FROM members ORDER BY a DESC, member LIMIT 10" \
         "SELECT member, count(comment) * 2 + count(*) DURING this_month AS x FROM members WHERE count(comment) % 7 = 3 ORDER BY member"; do
    n=$((n + 1))
    for now in 2025-06-30T12:00:00.000Z 2025-06-30T23:59:59.999Z 2025-05-28T12:00:00.000Z 2025-05-30T12:00:00.000Z \
               2025-05-31T12:00:00.000Z; do
        want=$("$SHOAL" --db "$T/db" query --format csv "SET NOW = '$now'; SET VIEWS = off; $q")
        got=$("$SHOAL" --db "$T/db" query --format csv "SET NOW = '$now'; $q")
        check_eq "count8: $n at $now, views == scan" "$got" "$want"
        got=$(SHOAL_COUNT8=0 "$SHOAL" --db "$T/db" query --format csv "SET NOW = '$now'; $q")
        check_eq "count8: $n at $now, 4-byte counts == scan" "$got" "$want"
        got=$(SHOAL_RANGES=0 "$SHOAL" --db "$T/db" query --format csv "SET NOW = '$now'; $q")
        check_eq "count8: $n at $now, a member at a time == scan" "$got" "$want"
    done
done
