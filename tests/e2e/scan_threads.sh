#!/usr/bin/env bash
# tests/e2e/scan_threads.sh — a grouped scan over events split over threads
# (query/exec_scanpar.c) gives the one-thread scan's answer to the last bit: the same
# groups in the same order (no ORDER BY: the order of their first rows), counts, exact
# sums and averages of doubles, min and max, first and last, medians, quantiles and
# variances of values in log order, DISTINCT, FILTER, HAVING, DURING (parts cut by the
# zone map's kept blocks), AS OF SEQ, text compared and LIKE (names read from each
# thread's own snapshot), and the same first error in log order. SHOAL_THREADS=1 is
# the one-thread path; 2, 3 and 7 split the log in parts of whole blocks.
. "$(dirname "$0")/../lib.sh"

# 60k events: 15 blocks of 4096, late events and duplicates
"$SHOAL" gen --events 60000 --seed 7 --late 0.05 --dup 0.02 > "$T/ev.ndjson" 2>/dev/null || { fail scan-threads-gen; exit 0; }
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail scan-threads-ingest; exit 0; }

n=0
same() {   # same NAME STATEMENT: JSON (every digit) alike on 1, 2, 3 and 7 threads
    local name=$1 q=$2 one t got
    n=$((n + 1))
    one=$(SHOAL_THREADS=1 "$SHOAL" query --format json "$q" 2>&1)
    [ -n "$one" ] || { fail "scan-threads-$name" "no output"; return; }
    case "$name:$one" in
        error*:*error:*) ;;
        error*) fail "scan-threads-$name" "no error: $one"; return ;;
        *error:*) fail "scan-threads-$name" "$one"; return ;;
    esac
    for t in 2 3 7; do
        got=$(SHOAL_THREADS=$t "$SHOAL" query --format json "$q" 2>&1)
        if [ "$got" != "$one" ]; then
            fail "scan-threads-$name-$t" "statement: $q" "1 thread:  $(printf '%s' "$one" | head -c 400)" \
                "$t threads: $(printf '%s' "$got" | head -c 400)"
            return
        fi
    done
    ok "scan-threads-$name"
}
# split NAME STATEMENT: EXPLAIN says the scan runs on 2 threads
split() {
    check_grep "scan-threads-$1-explain" 'on 2 threads' "$(SHOAL_THREADS=2 "$SHOAL" query "EXPLAIN $2" 2>&1)"
}

q1="SELECT month(ts) AS month, type, count(*) AS events FROM events GROUP BY month, type ORDER BY month, type"
split type-month "$q1"; same type-month "$q1"
q2="SET NOW = '2025-06-30T23:59:59.999Z'; SELECT group, count(DISTINCT member) AS speakers, count(*) AS messages
    FROM events WHERE type IN (post, comment, reply) DURING last 30 days GROUP BY group ORDER BY speakers, group"
same speakers "$q2"
q3="SELECT type, count(*), sum(amount), avg(amount), sum(words), avg(words), min(ts), max(ts), min(to), max(words),
    first(words), last(words), first(to), last(ts) FROM events GROUP BY type"
split aggs "$q3"; same aggs "$q3"
same one-group "SELECT count(*), median(amount), quantile(words, 0.9), stddev(amount), variance(words),
    sum(amount * 3 - words), avg(words / 7) FROM events"
same distinct "SELECT month(ts) AS m, count(DISTINCT member), sum(DISTINCT words), avg(DISTINCT amount),
    count(DISTINCT group) FROM events GROUP BY m"
same filter-having "SELECT group, count(*) FILTER (WHERE words > 100) AS long, sum(amount) FILTER (WHERE amount < 20) AS small
    FROM events WHERE original OR type <> post GROUP BY group HAVING count(*) > 50"
same text "SELECT to, count(*), max(ts) FROM events WHERE to LIKE 'm-1%' AND to > 'm-15' GROUP BY to"
same case-keys "SELECT CASE WHEN words > 50 THEN 'long' WHEN words > 0 THEN 'short' ELSE 'none' END AS k,
    year(ts) AS y, day(ts) AS d, count(*) FROM events GROUP BY k, y, d"
same during "SELECT member, count(*), sum(words) FROM events DURING BETWEEN '2025-03-01' AND '2025-04-15' GROUP BY member"
same as-of-seq "SELECT type, count(*), last(ts) FROM events GROUP BY type AS OF SEQ 33333"
same tz "SET TIMEZONE = 'Asia/Kolkata'; SELECT week(ts) AS w, hour(ts) AS h, count(*) FROM events GROUP BY w, h"
# an error: the first text in a sum, in log order, whichever part holds it
same error "SELECT type, sum(arm) FROM events GROUP BY type"
same error-late "SELECT type, sum(CASE WHEN ts > '2025-05-01' THEN to ELSE 1 END) FROM events GROUP BY type"

# Over members (query/exec_scanmem.c): the per-member aggregates the log feeds are
# accumulated per part and merged member by member; the same rows on 1, 2, 3 and 7
# threads, with views off and with views covering some aggregates (their edges read
# from the log), members known without the scan and not (AS OF), windows, filters,
# sums of doubles, the first text in a sum.
NOW="SET NOW = '2025-06-30T12:00:00.000Z';"
m1="SELECT month(first(join)) AS cohort, count(*) AS joined,
    sum(CASE WHEN first(post) >= first(join) THEN 1 ELSE 0 END) AS posters,
    median(CASE WHEN first(post) >= first(join) THEN (first(post) - first(join)) / 1 DAYS END) AS median_days
    FROM members WHERE first(join) IS NOT NULL GROUP BY cohort HAVING posters > 0 ORDER BY cohort"
m2="SELECT member, count(*) DURING all_time, count(post WHERE original), first(post), last(like), sum(purchase.amount),
    avg(post.words), sum(post.words) DURING last 30 days, count(comment, reply) DURING last 7 days FROM members ORDER BY member"
m3="SELECT member, count(*) DURING all_time AS n, last(post), sum(post.words) FROM members WHERE count(comment) > 3
    ORDER BY member AS OF '2025-04-01'"
split members "$m2"
for v in off on; do
    same "members-cohorts-views-$v" "SET VIEWS = $v; $NOW $m1"
    same "members-aggs-views-$v" "SET VIEWS = $v; $NOW $m2"
    same "members-as-of-views-$v" "SET VIEWS = $v; $m3"
    [ $v = off ] && "$SHOAL" query -q "CREATE COUNTERS c AS count(post), count(*), sum(post.words), count(comment, reply);
        CREATE FIRSTLAST fl AS first(join), first(post)" >/dev/null
done
same error-members "SET VIEWS = off; SELECT member, sum(reply.to) FROM members ORDER BY member"
check_grep scan-threads-members-one 'on one thread: an aggregate whose parts do not merge' \
    "$(SHOAL_THREADS=2 "$SHOAL" query "EXPLAIN SELECT member, min(post.words) FROM members" 2>&1)"

# what stays on one thread says why
check_grep scan-threads-one-func 'on one thread: an expression calls a function' \
    "$(SHOAL_THREADS=2 "$SHOAL" query "EXPLAIN SELECT type, count(*) FROM events WHERE sleep(0) IS NULL GROUP BY type" 2>&1)"
check_grep scan-threads-one-rows 'on one thread: rows are not grouped' \
    "$(SHOAL_THREADS=2 "$SHOAL" query "EXPLAIN SELECT type FROM events" 2>&1)"
check_grep scan-threads-one-asked 'on one thread: SHOAL_THREADS=1' \
    "$(SHOAL_THREADS=1 "$SHOAL" query "EXPLAIN $q1" 2>&1)"

# Records whose values lie on overflow pages (a 3000-byte text: the page walk of
# query/scan.h hands them to the cursor) every 37th id, so that the parts' walks
# meet them anywhere in a page and at their bounds: the same answers on every thread
# count, and those of the log without them where the texts change nothing. (By id, so
# that a duplicate's copies are alike.)
awk 'match($0, /"id":"e-[0-9]+"/) && substr($0, RSTART + 8, RLENGTH - 9) % 37 == 0 {
         sub(/}$/, ",\"body\":\"" sprintf("%3000s", "") "\"}") } { print }' "$T/ev.ndjson" > "$T/big.ndjson"
SHOAL_DB="$T/big" "$SHOAL" ingest -q "$T/big.ndjson" || fail scan-threads-big-ingest
SHOAL_DB="$T/small" "$SHOAL" ingest -q "$T/ev.ndjson" || fail scan-threads-small-ingest
for q in "$q1" "SET VIEWS = off; $NOW $m1" "$q2"; do
    plain=$(SHOAL_DB="$T/small" "$SHOAL" query --format json "$q" 2>&1)
    [ -n "$plain" ] || plain=x
    big=$(SHOAL_DB="$T/big" SHOAL_THREADS=1 "$SHOAL" query --format json "$q" 2>&1)
    [ "$big" = "$plain" ] || fail scan-threads-big-plain "statement: $q" "without: $(printf '%s' "$plain" | head -c 300)" \
        "with: $(printf '%s' "$big" | head -c 300)"
    SHOAL_DB="$T/big" same "big-$(printf '%s' "$q" | cksum | cut -c1-6)" "$q"
done
