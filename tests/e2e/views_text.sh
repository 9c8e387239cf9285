#!/usr/bin/env bash
# tests/e2e/views_text.sh — text in a summed property that arrives after CREATE
# COUNTERS: views on and off give the same error for a sum or avg over it, and the same
# answer for a window, an AS OF or a filter that leaves those events out; `shoal check`
# passes after such appends and after `shoal rebuild`.
. "$(dirname "$0")/../lib.sh"

printf '%s\n' '{"ts":"2025-01-01T00:00:00Z","member":"a","type":"purchase","amount":5}' \
    '{"ts":"2025-01-02T10:00:00Z","member":"a","type":"purchase","amount":7.5}' \
    '{"ts":"2025-01-02T11:00:00Z","member":"b","type":"purchase","amount":2}' > "$T/a.ndjson"
"$SHOAL" ingest -q "$T/a.ndjson" || fail views-text-ingest-a
check "views text: counters" "$SHOAL" query "CREATE COUNTERS c AS count(purchase), sum(purchase.amount)"
printf '%s\n' '{"ts":"2025-01-03T12:00:00Z","member":"a","type":"purchase","amount":"lots"}' \
    '{"ts":"2025-01-03T13:00:00Z","member":"b","type":"purchase","amount":3}' \
    '{"ts":"2025-02-01T00:00:00Z","member":"b","type":"purchase","amount":4}' > "$T/b.ndjson"
"$SHOAL" ingest -q "$T/b.ndjson" || fail views-text-ingest-b

same() {   # name, statement: views on and off give the same output and status (in $out)
    local a b sa sb
    a=$("$SHOAL" query --format csv "$2" 2>&1); sa=$?
    b=$("$SHOAL" query --format csv "SET VIEWS = off; $2" 2>&1); sb=$?
    check_eq "views text: $1 (status)" "$sa" "$sb"
    # the error's column differs by the SET prefix: compare the messages
    check_eq "views text: $1" "$(printf '%s\n' "$a" | sed 's/^query:1:[0-9]*: //' | head -1)" \
        "$(printf '%s\n' "$b" | sed 's/^query:1:[0-9]*: //' | head -1)"
    out=$a
}

for round in appended rebuilt; do
    same "$round: sum over all time errs" "SELECT member, sum(purchase.amount) AS s FROM members ORDER BY member"
    check_grep "views text: $round: the error quotes the text" 'takes numbers, but its property holds text here \("lots"\)' "$out"
    same "$round: avg in January errs" "SELECT member, avg(purchase.amount) DURING this_month AS s FROM members ORDER BY member AS OF '2025-01-31'"
    check_grep "views text: $round: avg errs" 'holds text here' "$out"
    same "$round: a window before the text day" "SELECT member, sum(purchase.amount) DURING BETWEEN '2025-01-01' AND '2025-01-02' AS s, count(purchase) AS n FROM members ORDER BY member"
    check_grep "views text: $round: the window before gives sums" '^a,12.5' "$out"
    same "$round: a window after the text day" "SELECT member, sum(purchase.amount) DURING this_month AS s FROM members ORDER BY member AS OF '2025-02-01T12:00:00Z'"
    check_grep "views text: $round: the window after gives sums" '^b,4' "$out"
    same "$round: AS OF before the text" "SELECT member, sum(purchase.amount) AS s FROM members ORDER BY member AS OF '2025-01-02T23:00:00Z'"
    check_grep "views text: $round: AS OF before gives sums" '^b,2' "$out"
    same "$round: count is not refused" "SELECT member, count(purchase) AS n FROM members ORDER BY member"
    check_grep "views text: $round: counts the text event" '^a,3' "$out"
    plan=$("$SHOAL" query --format csv "EXPLAIN SELECT member, sum(purchase.amount) AS s FROM members")
    check_grep "views text: $round: EXPLAIN says why the log is read" 'saw text in the property' "$plan"
    plan=$("$SHOAL" query --format csv "EXPLAIN SELECT member, sum(purchase.amount) DURING BETWEEN '2025-01-01' AND '2025-01-02' AS s FROM members")
    check_grep "views text: $round: a window without text is read from the view" 'read from a view' "$plan"
    check "views text: $round: check" "$SHOAL" check
    if [ $round = appended ]; then check "views text: rebuild" "$SHOAL" rebuild; fi
done
