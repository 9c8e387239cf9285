#!/usr/bin/env bash
# tests/e2e/classes_fast.sh — classes of members counted fast (exec_members.c
# fast_classes, issue 17): when every comparison reads a narrow byte of at most two
# aggregates, the members with a value are gathered 64 words at a time and their codes
# counted in a register (two tests) or in two tables that take turns (three to six),
# each class's first member the first to find its code unseen. A PER period's
# DURING all_time count keeps its members' bits beside its bytes (exec_views.c
# read_sat_cum) and is read in place when nothing adds to it (a copy when the hours
# of a mid-day now do; a second such count is read whole into bytes of its own), and
# the members without a value are not counted when WHERE rejects them. Views on and off must agree: off, no byte is narrow and every member goes
# through class_add. Groups without ORDER BY come in the order of their first members,
# so a wrong first member shows. Some 9000 members: more than one block of 64 words,
# and words whose 64 members all have a value; the last word part full. With AVX2 and
# POPCNT, two tests at most whose byte values make runs (>=, <, =, and != the outside
# of one) test a word of members at once (range_count): on, off (SHOAL_RANGES=0)
# and views off must agree; up to six tests on up to four aggregates likewise, each
# member's code a byte from its tests' runs (range_count_n: breaking its != runs or
# its classes' first members fails Q5 and QG); and with those ranges, when the members
# without a value are alike, every member's bytes are counted (shoal_exec_codes_all:
# no bits of who has a value), the existence AS OF noon still applied (left out, every
# query fails at noon); SHOAL_CODES_ALL=0 counts the members without a value apart, by
# member 0's code from the tables, which the byte codes must then agree with (a test
# held outside its run, as !=, left unflipped fails Q5 so). A PER statement's periods share one read of the views'
# list (views.c views_listed): kept in a period's arena, freed after it, `make
# sanitize` fails QP, QP2 and QG here.
. "$(dirname "$0")/../lib.sh"

counted_members 17 classes-fast
members=$("$SHOAL" --db "$T/db" query --format csv "SELECT count(*) AS n FROM members" | tail -1)
check_grep "classes fast: more than 8192 members ($members)" '^(819[3-9]|8[2-9][0-9][0-9]|9[0-9]{3})$' "$members"
last=${end:0:10}T23:59:59.999Z
# two tests on two aggregates (a register's counts), the all-time one true for most
Q2="SELECT count(post) DURING this_month >= 2 AS poster, count(*) DURING all_time >= 3 AS some, count(*) AS n FROM members GROUP BY poster, some"
# one aggregate, one test
Q1="SELECT count(*) DURING last 7 days >= 2 AS busy, count(*) AS n FROM members GROUP BY busy"
# four tests on two aggregates (two tables of counts)
Q4="SELECT count(post) DURING this_month >= 1 AS p1, count(post) DURING this_month >= 4 AS p4, count(*) DURING all_time >= 10 AS c10, count(*) DURING all_time >= 40 AS c40, count(*) AS n FROM members GROUP BY p1, p4, c10, c40"
# PER MONTH, WHERE rejecting the members without a value, an all-time count kept
# from period to period
QP="SELECT period, count(*) AS n FROM members PER MONTH WHERE count(post) >= 3 OR count(comment) DURING all_time >= 12 ORDER BY period"
# two such counts: the second is read whole into its own zeroed bytes
QP2="SELECT period, count(*) AS n FROM members PER MONTH WHERE count(comment) DURING all_time >= 12 OR count(post) DURING all_time >= 9 ORDER BY period"
# runs of byte values other than >=: < and != on two aggregates, = and <= on one, a
# test never true
QR1="SELECT count(post) DURING this_month < 2 AS few, count(*) DURING all_time != 5 AS not5, count(*) AS n FROM members GROUP BY few, not5"
QR2="SELECT count(*) DURING all_time = 7 AS seven, count(*) DURING all_time <= 3 AS small, count(*) AS n FROM members GROUP BY seven, small"
QR3="SELECT count(post) DURING this_month < 0 AS none, count(*) DURING all_time > 4 AS more, count(*) AS n FROM members GROUP BY none, more"
QRP="SELECT period, count(*) AS n FROM members PER MONTH WHERE count(post) = 2 OR count(comment) DURING all_time != 0 ORDER BY period"
# five and six tests on three and four aggregates (the tiers' shape: range_count_n,
# each member's code a byte from its tests' runs, a word's codes counted one at a
# time), with runs other than >= and a test never true; and the tiers themselves
Q5="SELECT count(post) DURING this_month >= 2 AS p, count(comment) DURING all_time != 3 AS c, count(*) DURING last 30 days >= 10 AS b, count(*) DURING last 30 days < 1 AS s, count(*) DURING last 7 days = 2 AS w, count(*) AS n FROM members GROUP BY p, c, b, s, w"
Q6="SELECT count(post) DURING this_month >= 2 AS p, count(post) DURING this_month < 0 AS none, count(comment) DURING all_time <= 4 AS c, count(*) DURING last 30 days > 3 AS b, count(*) DURING last 30 days >= 12 AS bb, count(*) DURING all_time >= 30 AS a, count(*) AS n FROM members GROUP BY p, none, c, b, bb, a"
QT="SELECT tier, count(*) AS n FROM tiers(cf_tiers) GROUP BY tier"
"$SHOAL" --db "$T/db" query "CREATE TIERS cf_tiers (core WHEN count(post) DURING this_month >= 3 OR count(comment) >= 40, backbone WHEN count(*) DURING last 30 days >= 10, base WHEN count(*) DURING last 30 days >= 1, silent OTHERWISE)" > /dev/null ||
    fail classes-fast-tiers
QG="SELECT period, count(post) >= 5 AS big, count(*) AS n FROM members PER MONTH WHERE count(post) >= 2 OR count(*) DURING all_time >= 60 GROUP BY period, big ORDER BY period, big"
plan=$("$SHOAL" --db "$T/db" query --format csv "SET NOW = '$last'; EXPLAIN $Q4")
check_grep "classes fast: four comparisons read narrow" "2 of the aggregates read as a byte per member" "$plan"
plan=$("$SHOAL" --db "$T/db" query --format csv "SET NOW = '$noon'; EXPLAIN $Q5")
check_grep "classes fast: five comparisons on four aggregates read narrow" "4 of the aggregates read as a byte per member" "$plan"
for now in "$last" "$noon"; do
    for q in Q1 Q2 Q4 Q5 Q6 QT QP QP2 QG QR1 QR2 QR3 QRP; do
        want=$("$SHOAL" --db "$T/db" query --format csv "SET NOW = '$now'; SET VIEWS = off; ${!q}")
        got=$("$SHOAL" --db "$T/db" query --format csv "SET NOW = '$now'; ${!q}")
        check_eq "classes fast: $q at $now, views == scan" "$got" "$want"
        got=$(SHOAL_RANGES=0 "$SHOAL" --db "$T/db" query --format csv "SET NOW = '$now'; ${!q}")
        check_eq "classes fast: $q at $now, without ranges == scan" "$got" "$want"
        got=$(SHOAL_CODES_ALL=0 "$SHOAL" --db "$T/db" query --format csv "SET NOW = '$now'; ${!q}")
        check_eq "classes fast: $q at $now, members without a value apart == scan" "$got" "$want"
        check_grep "classes fast: $q at $now has several rows" $'\n.*\n' "$want"
    done
done
