#!/usr/bin/env bash
# tests/e2e/scan_fold.sh — a grouped scan folds the rows of a batch of records that share
# type and group into one weighted row when the statement reads nothing else of a row
# but day, week, month or year of its time, and the batch lies in one such period
# (query/exec_scan.c, shoal_exec_fold_new). Every statement here gives the same JSON
# folded and not (SHOAL_SCAN_FOLD=0), on one and two threads: counts, DISTINCT, min and
# max, WHERE and HAVING, no ORDER BY (the order of the groups' first rows), in UTC, a
# fixed-offset zone and zones with daylight saving (whose batches straddle the change
# of offset and the month's end), with late events; and the events per type per month
# against sqlite3's count.
. "$(dirname "$0")/../lib.sh"

# two months around 1 March, some 3000 events a day: a batch of 1024 spans hours, so
# some straddle midnight, the month's end and the clocks' changes of March and April
"$SHOAL" gen --events 180000 --days 60 --start 2025-02-20 --seed 5 --late 0.1 > "$T/ev.ndjson" 2>/dev/null ||
    { fail scan-fold-gen; exit 0; }
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail scan-fold-ingest; exit 0; }

alike() {   # alike NAME STATEMENT: folded and not, 1 and 2 threads, the same JSON
    local name=$1 t a b
    for t in 1 2; do
        a=$(SHOAL_THREADS=$t "$SHOAL" query --format json "$2" 2>&1)
        b=$(SHOAL_SCAN_FOLD=0 SHOAL_THREADS=$t "$SHOAL" query --format json "$2" 2>&1)
        case "$a" in *error:*|"") fail "scan-fold-$name-$t" "$a"; return ;; esac
        if [ "$a" != "$b" ]; then
            fail "scan-fold-$name-$t" "$2" "folded: $(printf '%s' "$a" | head -c 400)" "not:    $(printf '%s' "$b" | head -c 400)"
            return
        fi
    done
    ok "scan-fold-$name"
}

for zone in UTC Etc/GMT-5 Asia/Kolkata Europe/Berlin America/New_York America/Santiago; do
    tz="SET TIMEZONE = '$zone';"
    z=${zone//\//-}
    for f in day week month year; do
        alike "$f-$z" "$tz SELECT $f(ts) AS k, type, count(*) AS n FROM events GROUP BY k, type ORDER BY k, type"
    done
    alike "unordered-$z" "$tz SELECT day(ts) AS d, type, count(*) FROM events GROUP BY d, type"
    alike "group-$z" "$tz SELECT month(ts) AS m, group, count(*) FROM events GROUP BY m, group ORDER BY 1, 2"
    alike "two-periods-$z" "$tz SELECT month(ts) AS m, day(ts) AS d, group, count(*) FROM events GROUP BY m, d, group ORDER BY 1, 2, 3"
done
tz="SET TIMEZONE = 'Europe/Berlin';"
alike where "$tz SELECT day(ts) AS d, group, count(*) AS n FROM events WHERE type IN (post, comment) AND group IS NOT NULL GROUP BY d, group HAVING n > 2 ORDER BY d, group"
alike distinct "$tz SELECT week(ts) AS w, count(DISTINCT type) AS t, count(DISTINCT group) AS g, min(type), max(group), count(group) FROM events GROUP BY w"
alike no-keys "$tz SELECT count(*), count(group), min(group), max(type) FROM events WHERE day(ts) >= '2025-03-01'"
alike case "$tz SELECT CASE WHEN type = post THEN 'post' ELSE 'other' END AS k, month(ts) AS m, count(*) FROM events GROUP BY k, m ORDER BY k, m"
alike during "$tz SELECT day(ts) AS d, type, count(*) FROM events DURING BETWEEN '2025-03-29' AND '2025-04-02' GROUP BY d, type ORDER BY d, type"
# what reads more of a row is not folded, and agrees all the same
alike not-folded "$tz SELECT day(ts) AS d, count(*), sum(words), max(ts) FROM events GROUP BY d ORDER BY d"

if command -v sqlite3 >/dev/null; then
    got=$("$SHOAL" query --format csv "SELECT month(ts) AS m, type, count(*) FROM events GROUP BY m, type ORDER BY m, type" | tail -n +2)
    want=$(sqlite3 -csv :memory: ".mode ascii" ".separator \"\\t\" \"\\n\"" "CREATE TABLE raw(j TEXT);" \
        ".import $T/ev.ndjson raw" ".mode csv" \
        "SELECT strftime('%Y-%m', substr(j ->> 'ts', 1, 19)), j ->> 'type', count(*) FROM raw GROUP BY 1, 2 ORDER BY 1, 2;" 2>&1 | tr -d '\r')
    check_eq scan-fold-sqlite "$got" "$want"
else
    skip "scan-fold-sqlite: sqlite3 is not installed"
fi
