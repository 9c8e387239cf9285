#!/usr/bin/env bash
# tests/e2e/passed.sh — classes counted from the members that passed (exec_members.c
# passed_classes, issue 17): when WHERE rejects a member without values and every
# comparison is "at least lo" (>=, >) on a narrow count of its own read from a view,
# the reads list each member as its byte reaches lo (view_counters.c read_pass and
# pass_mark; a PER period's all-time count keeps its list from period to period), and
# the classes other than code 0 are counted over the lists, the longest one by
# subtraction, its first member from its bits less the others'. A period's own count
# is read into scratch bytes kept 0 between periods: a period of one month bucket
# lists its members without writing a byte (the classes' first members get theirs,
# zeroed again after), others write every byte (zeroed whole after). Views on, the lists
# off (SHOAL_PASSED=0: every member's bytes compared) and views off must agree, at
# nows on a month's last day, its noon, a month's first day, mid-month, and the 28th
# and the noon of the last day of a month before (the month less its last days). Groups
# without ORDER BY come in the order of their first members, so a wrong first member
# shows; three tests and an AND make codes that several lists hold.
. "$(dirname "$0")/../lib.sh"

counted_members 29 passed
last=${end:0:10}T23:59:59.999Z
first=$("$SHOAL" --db "$T/db" query --format csv "SELECT min(ts) AS t FROM events" | tail -1)
mid=$("$SHOAL" --db "$T/db" query --format csv "SELECT min(ts) + (max(ts) - min(ts)) / 2 AS t FROM events" | tail -1)
mstart=${mid:0:8}01T00:00:00.000Z
# (this month as its bucket less its last days, read_part: four, and one)
late=${mid:0:8}28T12:00:00.000Z
mlast=$(date -u -d "${mid:0:8}01 +1 month -1 day" +%F)T12:00:00.000Z
m2a=$(date -u -d "${mid:0:8}01 -1 month" +%F)
m2b=$(date -u -d "${mid:0:8}01 +1 month" +%F)
# core creators per month's shape: a count of the period's, an all-time one kept
QA="SELECT period, count(*) AS n FROM members PER MONTH WHERE count(post) >= 3 OR count(comment) DURING all_time >= 12 ORDER BY period"
# the same with its classes as groups, in the order of their first members
QB="SELECT period, count(post) >= 3 AS p, count(comment) DURING all_time >= 12 AS c, count(*) AS n FROM members PER MONTH WHERE count(post) >= 3 OR count(comment) DURING all_time >= 12 GROUP BY period, p, c"
# three tests (three lists), > as at least, groups in first-member order
QC="SELECT period, count(post) > 1 AS p, count(comment) >= 4 AS c, count(*) DURING all_time >= 30 AS a, count(*) AS n FROM members PER MONTH WHERE count(post) > 1 OR count(comment) >= 4 OR count(*) DURING all_time >= 30 GROUP BY period, p, c, a"
# AND: only the code of both
QD="SELECT period, count(*) AS n FROM members PER MONTH WHERE count(post) >= 1 AND count(comment) DURING all_time >= 5 ORDER BY period"
# one test: its list is the longest, counted by its length
QE="SELECT period, count(*) AS n FROM members PER MONTH WHERE count(comment) DURING all_time >= 20 ORDER BY period"
# not a PER statement: this month's count read with the hours of a mid-day now
QF="SELECT count(post) DURING this_month >= 3 AS p, count(*) DURING all_time >= 50 AS a, count(*) AS n FROM members WHERE count(post) DURING this_month >= 3 OR count(*) DURING all_time >= 50 GROUP BY p, a"
# weeks: a period's count from day buckets, every byte written (the scratch bytes
# zeroed whole after each period)
QW="SELECT period, count(post) >= 2 AS p, count(*) AS n FROM members PER WEEK WHERE count(post) >= 2 OR count(comment) DURING all_time >= 12 GROUP BY period, p"
# a count over two whole months (two buckets: not read as one)
QM="SELECT period, count(*) AS n FROM members PER MONTH WHERE count(post) DURING BETWEEN '$m2a' AND '$m2b' >= 6 OR count(comment) DURING all_time >= 12 ORDER BY period"
# not this case (the classes over every member's bytes): two tests on one count, a
# WHERE that keeps the members without values
QG="SELECT period, count(post) >= 5 AS big, count(*) AS n FROM members PER MONTH WHERE count(post) >= 2 OR count(comment) DURING all_time >= 12 GROUP BY period, big"
QH="SELECT period, count(*) AS n FROM members PER MONTH WHERE NOT (count(post) >= 3) ORDER BY period"
for now in "$last" "$noon" "$mstart" "$mid" "$late" "$mlast"; do
    for q in QA QB QC QD QE QF QW QM QG QH; do
        want=$("$SHOAL" --db "$T/db" query --format csv "SET NOW = '$now'; SET VIEWS = off; ${!q}")
        got=$("$SHOAL" --db "$T/db" query --format csv "SET NOW = '$now'; ${!q}")
        check_eq "passed: $q at $now, views == scan" "$got" "$want"
        got=$(SHOAL_PASSED=0 "$SHOAL" --db "$T/db" query --format csv "SET NOW = '$now'; ${!q}")
        check_eq "passed: $q at $now, without the lists == scan" "$got" "$want"
        check_grep "passed: $q at $now has several rows" $'\n.*\n' "$want"
    done
done
# (the first day: a month of one period, the all-time lists from nothing)
want=$("$SHOAL" --db "$T/db" query --format csv "SET NOW = '${first:0:10}T23:59:59.999Z'; SET VIEWS = off; $QB")
got=$("$SHOAL" --db "$T/db" query --format csv "SET NOW = '${first:0:10}T23:59:59.999Z'; $QB")
check_eq "passed: QB on the first day, views == scan" "$got" "$want"
