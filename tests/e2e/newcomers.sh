#!/usr/bin/env bash
# tests/e2e/newcomers.sh — the newcomers' question per join cohort, as a user writes it
# (docs/LANGUAGE.md, "Newcomers"): per month of joining, the members, the median and
# the 90th percentile of days from the join to the first word (post or comment), the
# share who never spoke and the share who spoke within 7 days — from a first/last view
# kept by ingest over late joins (cohort_data.py: joins after the activity, several
# joins, none, activity before the join), in UTC and in Asia/Shanghai, views on and off,
# each against sqlite3 over the same events, at a mid-day now and AS OF instants drawn at
# random; EXPLAIN says the view answers; shoal check passes after incremental ingest and
# duplicates, rebuild gives the same answers, and check fails on a damaged chunk.
. "$(dirname "$0")/../lib.sh"

if ! command -v sqlite3 >/dev/null; then
    fail newcomers "sqlite3 is not installed (apt-get install sqlite3)"
    exit 0
fi
python3 "$SHOAL_TESTS/e2e/cohort_data.py" 13 600 > "$T/ev.ndjson" || { fail newcomers-gen; exit 0; }
n=$(wc -l < "$T/ev.ndjson")
head -n $((n / 2)) "$T/ev.ndjson" > "$T/a.ndjson"
tail -n +$((n / 2 + 1)) "$T/ev.ndjson" > "$T/b.ndjson"
"$SHOAL" ingest -q "$T/a.ndjson" || { fail newcomers-ingest; exit 0; }
check "newcomers: CREATE FIRSTLAST back-fills" "$SHOAL" query "CREATE FIRSTLAST seen AS first(join), first(post, comment)"
"$SHOAL" ingest -q "$T/b.ndjson" || { fail newcomers-ingest2; exit 0; }

oracle_load "$T/ev.ndjson" <<'SQL' || { fail newcomers-oracle-load; exit 0; }
CREATE VIEW ev AS SELECT rowid AS seq,
    CAST(round((julianday(json_extract(j, '$.ts')) - 2440587.5) * 86400000) AS INTEGER) AS ms,
    json_extract(j, '$.member') AS member, json_extract(j, '$.type') AS type FROM raw;
SQL

# The statement of docs/LANGUAGE.md ("Newcomers"): the time to the first word counts
# those whose first word came at or after their join; one who spoke before joining has
# spoken (not "never"), and within 7 days.
Q="SELECT month(first(join)) AS cohort, count(*) AS joined,
       median(CASE WHEN first(post, comment) >= first(join) THEN (first(post, comment) - first(join)) / 1 DAYS END) AS median_days,
       quantile(CASE WHEN first(post, comment) >= first(join) THEN (first(post, comment) - first(join)) / 1 DAYS END, 0.9) AS p90_days,
       avg(CASE WHEN first(post, comment) IS NULL THEN 1.0 ELSE 0 END) AS never_spoke,
       avg(CASE WHEN first(post, comment) < first(join) + 7 DAYS THEN 1.0 ELSE 0 END) AS spoke_in_7_days
FROM members WHERE first(join) IS NOT NULL GROUP BY cohort ORDER BY cohort"

# the oracle's answer, months shifted by $1 (an SQLite modifier: '+0 hours', '+8 hours'),
# over the events up to $2 (ms; all when not given)
osql() {
    echo "WITH m AS (SELECT member, min(CASE WHEN type = 'join' THEN ms END) AS j,
                        min(CASE WHEN type IN ('post', 'comment') THEN ms END) AS w FROM ev WHERE ms <= ${2:-9223372036854775807} GROUP BY member),
          d AS (SELECT strftime('%Y-%m', j / 1000, 'unixepoch', '$1') AS c, w, j,
                       CASE WHEN w >= j THEN (w - j) / 86400000.0 END AS dd FROM m WHERE j IS NOT NULL),
          r AS (SELECT c, dd, row_number() OVER (PARTITION BY c ORDER BY dd) - 1 AS i FROM d WHERE dd IS NOT NULL),
          q AS (SELECT c, count(*) AS n FROM d WHERE dd IS NOT NULL GROUP BY c),
          v AS (SELECT q.c, n,
                       (SELECT avg(dd) FROM r WHERE r.c = q.c AND r.i IN ((n - 1) / 2, n / 2)) AS med,
                       0.9 * (n - 1) AS pos, CAST(0.9 * (n - 1) AS INTEGER) AS lo FROM q),
          p AS (SELECT c, med, (SELECT dd FROM r WHERE r.c = v.c AND r.i = lo)
                       + coalesce(((SELECT dd FROM r WHERE r.c = v.c AND r.i = lo + 1) - (SELECT dd FROM r WHERE r.c = v.c AND r.i = lo)) * (pos - lo), 0) AS p90 FROM v)
     SELECT d.c, count(*), (SELECT med FROM p WHERE p.c = d.c), (SELECT p90 FROM p WHERE p.c = d.c),
            avg(CASE WHEN w IS NULL THEN 1.0 ELSE 0 END), avg(CASE WHEN w < j + 7 * 86400000 THEN 1.0 ELSE 0 END)
     FROM d GROUP BY d.c ORDER BY d.c"
}
same() {
    local name=$1 q=$2 sql=$3 a b
    a=$("$SHOAL" query --format csv "$q" 2>&1 | tail -n +2)
    b=$(sqlite3 -csv "$T/oracle.db" "$sql" 2>&1)
    if [ -z "$b" ]; then fail "$name" "the oracle returned nothing: $sql"; return; fi
    if rows_close "$a" "$b"; then ok "$name"; else fail "$name" "shoal:" "$(printf '%s\n' "$a" | head -5)" "sqlite:" "$(printf '%s\n' "$b" | head -5)"; fi
}
same "newcomers: per join month, from the view (UTC)" "$Q" "$(osql '+0 hours')"
same "newcomers: per join month, from the log (views off)" "SET VIEWS = off; $Q" "$(osql '+0 hours')"
same "newcomers: per local join month in Asia/Shanghai" "SET TIMEZONE = 'Asia/Shanghai'; $Q" "$(osql '+8 hours')"
same "newcomers: Asia/Shanghai, views off" "SET TIMEZONE = 'Asia/Shanghai'; SET VIEWS = off; $Q" "$(osql '+8 hours')"
# as of a mid-day now (later events hidden): the members who joined by then are the
# members then, so no count(*) as of then is needed (EXPLAIN), and the view answers
CUT=2025-03-18T12:00:00.000Z
CUTMS=$(sqlite3 "$T/oracle.db" "SELECT CAST(round((julianday('$CUT') - 2440587.5) * 86400000) AS INTEGER)")
same "newcomers: as of a mid-day now, from the view" "SET NOW = '$CUT'; $Q" "$(osql '+0 hours' "$CUTMS")"
same "newcomers: as of a mid-day now, views off" "SET VIEWS = off; SET NOW = '$CUT'; $Q" "$(osql '+0 hours' "$CUTMS")"
same "newcomers: as of a mid-day now in Asia/Shanghai" "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$CUT'; $Q" "$(osql '+8 hours' "$CUTMS")"
plan=$("$SHOAL" query "SET NOW = '$CUT'; EXPLAIN $Q")
check_grep "newcomers: mid-day, no log read" "views: every per-member aggregate is read from a view, no log scan" "$plan"
plan=$("$SHOAL" query "EXPLAIN $Q")
check_grep "newcomers: EXPLAIN, no log read" "views: every per-member aggregate is read from a view, no log scan" "$plan"
check_grep "newcomers: EXPLAIN names the view's series" "first\(post, comment\): firstlast seen, series 2, each member's earliest event" "$plan"
plan=$("$SHOAL" query "SET VIEWS = off; EXPLAIN $Q")
check_grep "newcomers: EXPLAIN with views off scans the log" "scan log: .*views are off" "$plan"

# Rows over members whose WHERE, keys and aggregates' arguments all type are evaluated
# as typed columns (exec_typed.c); with "member IS NOT NULL" in WHERE, which does not,
# the same statement goes through the qval blocks (exec_eval.c): both give the same
# bytes, for NULL keys, three-valued AND, OR and NOT, instants plus durations,
# durations over durations, a CASE of integers and numbers, FILTER, count(x), min and
# max of instants, month() and day() in two zones, views on and off.
TQ="SELECT month(first(join)) AS c, day(first(post, comment)) AS d, count(*) AS n, count(first(post, comment)) AS spoke,
  sum(CASE WHEN first(post, comment) >= first(join) AND NOT (first(post, comment) > first(join) + 3 DAYS) THEN 1 ELSE 0 END) AS quick,
  avg(CASE WHEN first(post, comment) IS NULL OR first(post, comment) < first(join) THEN 1.0 ELSE 0 END) AS odd,
  median((first(post, comment) - first(join)) / 1 HOURS) AS med_h,
  count(*) FILTER (WHERE first(post, comment) < first(join) OR first(join) IS NULL) AS before,
  min(first(post, comment) - 1 DAYS) AS lo, max(first(join)) AS hi,
  sum(CASE WHEN first(join) IS NULL THEN 2.5 WHEN first(post, comment) IS NULL THEN 1 END) AS mixed
FROM members WHERE (first(join) IS NOT NULL OR first(post, comment) IS NOT NULL) EXTRA GROUP BY c, d ORDER BY c, d"
for set in "" "SET VIEWS = off;" "SET TIMEZONE = 'Asia/Shanghai';" "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$CUT';"; do
    a=$("$SHOAL" query --format csv "$set ${TQ/EXTRA/}" 2>&1)
    b=$("$SHOAL" query --format csv "$set ${TQ/EXTRA/AND member IS NOT NULL}" 2>&1)
    if [ "$a" = "$b" ] && [ "$(printf '%s\n' "$a" | wc -l)" -gt 100 ]; then ok "newcomers: typed columns = qval blocks ($set)"
    else fail "newcomers: typed columns = qval blocks ($set)" "$(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -6)"; fi
done

# As of instants drawn at random over the data's span (seeded, so a failure repeats), and
# as of log records: views on and off against the oracle over the events up to then.
# Each instant hides later events, so first joins and first words after it are not
# seen: a member whose only join is later is in no cohort, one whose join came late in
# the log but early in time is in that early cohort.
span=$(sqlite3 "$T/oracle.db" "SELECT min(ms), max(ms), count(*) FROM ev")
for at in $(python3 -c "
import random, sys
lo, hi = map(int, sys.argv[1].split('|')[:2])
r = random.Random(13)
print(' '.join(str(r.randrange(lo, hi + 1)) for _ in range(4)))" "$span"); do
    iso=$(python3 -c "import datetime, sys; t = int(sys.argv[1]); print(datetime.datetime.fromtimestamp(t // 1000, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S') + '.%03dZ' % (t % 1000))" "$at")
    same "newcomers: AS OF $iso, from the view" "$Q AS OF '$iso'" "$(osql '+0 hours' "$at")"
    same "newcomers: AS OF $iso, views off" "SET VIEWS = off; $Q AS OF '$iso'" "$(osql '+0 hours' "$at")"
    same "newcomers: AS OF $iso in Asia/Shanghai" "SET TIMEZONE = 'Asia/Shanghai'; $Q AS OF '$iso'" "$(osql '+8 hours' "$at")"
done
check_grep "newcomers: AS OF reads the view, no log" "views: every per-member aggregate is read from a view, no log scan" \
    "$("$SHOAL" query "EXPLAIN $Q AS OF '$iso'")"

# Incremental upkeep equals a rebuild: the view was created after half the events and
# kept by ingest since (late joins among them); the whole file again adds nothing.
"$SHOAL" ingest -q "$T/ev.ndjson" || fail newcomers-reingest
check "newcomers: shoal check after incremental ingest and duplicates" "$SHOAL" check
before=$("$SHOAL" query --format csv "$Q" 2>&1)
check "newcomers: shoal rebuild" "$SHOAL" rebuild
check_eq "newcomers: the same answer after rebuild" "$("$SHOAL" query --format csv "$Q" 2>&1)" "$before"
check "newcomers: shoal check after rebuild" "$SHOAL" check

# A damaged first/last table fails check: one member's first word (series 2, chunk 0)
# moved a day earlier behind the engine's back.
if "$DBPOKE" "$SHOAL_DB" v.seen 0x01010000000000 add64 8 -86400000; then
    out=$("$SHOAL" check 2>&1); rc=$?
    if [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -Eq 'view "seen": member id 1 has first time [0-9]+ in series 2, a rebuild has'; then
        ok "newcomers: check fails on a damaged first/last table"
    else fail "newcomers: check fails on a damaged first/last table" "exit $rc" "$out"; fi
else fail "newcomers: damaging the first/last table" "no key 01010000000000 in v.seen"; fi

# The cohort index (view_firstlast.c, query/cohort.c): per UTC day of first(join), the
# members' first word less their first join, sorted. EXPLAIN says it answers; its answers
# are the bytes of the rows per member (WHERE with "member IS NOT NULL", which the index
# does not take), for counts, sums and averages of CASEs over the two firsts (NOT, OR,
# IS NULL, offsets), medians and quantiles, per month and per day, in UTC and Asia/Shanghai,
# at a mid-day now and AS OF instants (a band of members whose first word is after it).
"$SHOAL" rebuild >/dev/null 2>&1
check_grep "newcomers: EXPLAIN, the cohort index answers" "cohorts: read from the cohort index of firstlast seen \(series 1 to series 2, by UTC day\)" \
    "$("$SHOAL" query "EXPLAIN $Q")"
check_grep "newcomers: EXPLAIN at a mid-day now, the cohort index answers" "cohorts: read from the cohort index" \
    "$("$SHOAL" query "SET NOW = '$CUT'; EXPLAIN $Q")"
plan=$("$SHOAL" query "EXPLAIN $Q")
if printf '%s\n' "$plan" | grep -q "scan log"; then fail "newcomers: EXPLAIN with the index names no log scan" "$plan"
else ok "newcomers: EXPLAIN with the index names no log scan"; fi
plan=$("$SHOAL" query "EXPLAIN ${Q/WHERE first(join) IS NOT NULL/WHERE first(join) IS NOT NULL AND member IS NOT NULL}")
if printf '%s\n' "$plan" | grep -q "cohorts:"; then fail "newcomers: EXPLAIN, a WHERE it does not take is rows per member" "$plan"
else ok "newcomers: EXPLAIN, a WHERE it does not take is rows per member"; fi
CQ="SELECT PERIOD(first(join)) AS c, count(*) AS n, count(first(post, comment)) AS spoke,
  sum(CASE WHEN first(post, comment) >= first(join) AND NOT (first(post, comment) > first(join) + 3 DAYS) THEN 1 ELSE 0 END) AS quick,
  avg(CASE WHEN first(post, comment) IS NULL OR first(post, comment) < first(join) THEN 1.0 ELSE 0 END) AS odd,
  sum(CASE WHEN first(join) + 2 DAYS <= first(post, comment) THEN 2.5 WHEN first(post, comment) IS NULL THEN 1 END) AS mixed,
  count(CASE WHEN first(post, comment) - 1 HOURS >= first(join) THEN (first(post, comment) - first(join)) / 1 HOURS END) AS late,
  median(CASE WHEN first(post, comment) >= first(join) THEN (first(post, comment) - first(join)) / 1 DAYS END) AS med,
  median((first(post, comment) - first(join)) / 1 HOURS) AS med_h,
  quantile(CASE WHEN first(post, comment) >= first(join) THEN (first(post, comment) - first(join)) / 1 DAYS END, 0.9) AS p90,
  quantile(CASE WHEN first(post, comment) != first(join) + 1 DAYS THEN (first(post, comment) - first(join)) / 1 MINUTES END, 0.25) AS p25,
  quantile((first(post, comment) - first(join)) / 1 DAYS, 1.0) AS pmax
FROM members WHERE first(join) IS NOT NULL EXTRA GROUP BY c ORDER BY c"
ats=$(for at in $(python3 -c "
import random, sys
lo, hi = map(int, sys.argv[1].split('|')[:2])
r = random.Random(31)
print(' '.join(str(r.randrange(lo, hi + 1)) for _ in range(3)))" "$span"); do
    python3 -c "import datetime, sys; t = int(sys.argv[1]); print(datetime.datetime.fromtimestamp(t // 1000, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S') + '.%03dZ' % (t % 1000))" "$at"; done)
for period in month week day; do
    q=${CQ/PERIOD/$period}
    check_grep "newcomers: EXPLAIN, the index answers every aggregate of the $period statement" "cohorts: read from the cohort index" \
        "$("$SHOAL" query "EXPLAIN ${q/EXTRA/}")"
    for set in "" "SET TIMEZONE = 'Asia/Shanghai';" "SET NOW = '$CUT';" "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$CUT';" $(for t in $ats; do echo "SET_NOW_$t"; done); do
        set=${set/SET_NOW_/SET NOW = \'}; case $set in *Z) set="$set';";; esac
        a=$("$SHOAL" query --format csv "$set ${q/EXTRA/}" 2>&1)
        b=$("$SHOAL" query --format csv "$set ${q/EXTRA/AND member IS NOT NULL}" 2>&1)
        if [ "$a" = "$b" ] && [ "$(printf '%s\n' "$a" | wc -l)" -gt 1 ] && [ "${a#c,n,spoke}" != "$a" ]; then ok "newcomers: cohort index = rows per member ($period, $set)"
        else fail "newcomers: cohort index = rows per member ($period, $set)" "$(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -6)"; fi
    done
done

# The k-th d of a cohort (query/cohort.c, kth_pair): a histogram of d's top bits picks
# the bucket the k-th falls in, the (k+1)-th of an even count from the same bucket or
# the least of a later one; every rank of the month's values, from the least to the
# greatest, through quantiles of the cohort index against the rows per member, whole
# months and the last one cut by a mid-day now, in UTC and Asia/Shanghai.
KQ="SELECT month(first(join)) AS c, count(*) AS n, median((first(post, comment) - first(join)) / 1 MINUTES) AS m
QS FROM members WHERE first(join) IS NOT NULL EXTRA GROUP BY c ORDER BY c"
qs=$(for f in 0 0.01 0.1 0.25 0.33 0.49 0.5 0.51 0.67 0.75 0.9 0.99 0.999 1; do printf ', quantile((first(post, comment) - first(join)) / 1 SECONDS, %s) AS "q%s"' "$f" "$f"; done)
KQ=${KQ/QS/$qs}
for set in "" "SET NOW = '$CUT';" "SET TIMEZONE = 'Asia/Shanghai'; SET NOW = '$CUT';"; do
    a=$("$SHOAL" query --format csv "$set ${KQ/EXTRA/}" 2>&1)
    b=$("$SHOAL" query --format csv "$set ${KQ/EXTRA/AND member IS NOT NULL}" 2>&1)
    if [ "$a" = "$b" ] && [ "$(printf '%s\n' "$a" | wc -l)" -gt 2 ] && [ "${a#c,n,m}" != "$a" ]; then ok "newcomers: the k-th of every rank, cohort index = rows per member ($set)"
    else fail "newcomers: the k-th of every rank, cohort index = rows per member ($set)" "$(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -6)"; fi
done

# a damaged day of the index fails check; a table without the index (its mark deleted,
# as one made before it) is answered per member, the same, and the next ingest builds it
day=$(sqlite3 "$T/oracle.db" "SELECT min(ms) / 86400000 FROM ev WHERE type = 'join'")
key=$(printf '0201%08x' $((day + 2147483648)))
if "$DBPOKE" "$SHOAL_DB" v.seen "0x$key" add64 0 1; then
    out=$("$SHOAL" check 2>&1); rc=$?
    if [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -Eq "view \"seen\": the cohort index of series 2 on day $day has [0-9]+ entries that differ from a rebuild"; then
        ok "newcomers: check fails on a damaged day of the cohort index"
    else fail "newcomers: check fails on a damaged day of the cohort index" "exit $rc" "$out"; fi
else fail "newcomers: damaging the cohort index" "no key $key"; fi
"$SHOAL" rebuild >/dev/null 2>&1
want=$("$SHOAL" query --format csv "$Q")
"$DBPOKE" "$SHOAL_DB" v.seen 0x03 del || fail "newcomers: deleting the cohort index's mark"
check_eq "newcomers: a view without the index answers per member" "$("$SHOAL" query --format csv "$Q")" "$want"
printf '{"ts":"2025-06-01T00:00:00Z","member":"m-new","type":"join"}\n' > "$T/new.ndjson"
"$SHOAL" ingest -q "$T/new.ndjson"
check "newcomers: the next ingest builds the index (check)" "$SHOAL" check
check_eq "newcomers: … and it answers the same" "$("$SHOAL" query --format csv "$Q" | grep -v '^2025-06')" "$(printf '%s\n' "$want" | grep -v '^2025-06')"
