#!/usr/bin/env bash
# tests/e2e/asof_periods.sh — `AS OF SEQ n` answers as the log stood after record n:
# FROM activity(…) and FROM retention(…) start their periods at the earliest event of
# records 1 … n (rowsrc.c shoal_rowsrc_earliest: the zone map's whole blocks, the rest
# read), not at the whole log's earliest, which a late event of an earlier time may
# hold (it made leading periods nothing could fill). Each equals the same statement
# over a database of the log's first n lines alone, at n inside the first block, at
# block edges, inside a later one, and past the late events; views on and off agree.
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 10000 --members 300 --days 90 --seed 9 > "$T/ev.ndjson" 2>/dev/null || fail asof-periods-gen
# zed's join and post arrive last, months before every other event
cat >> "$T/ev.ndjson" <<'NDJ'
{"id":"late-1","ts":"2024-10-01T10:00:00Z","member":"zed","type":"join"}
{"id":"late-2","ts":"2024-10-02T10:00:00Z","member":"zed","type":"post"}
NDJ
DEFS="CREATE ACTIVITY speaking ON post, comment; CREATE RETENTION weekly COHORT BY first(join) PER WEEK ACTIVE ON post, comment"
"$SHOAL" ingest -q "$T/ev.ndjson" && "$SHOAL" query -q "$DEFS" || fail asof-periods-ingest
NOW="SET NOW = '2025-07-15T12:00:00Z'"
QS=("SELECT * FROM activity(speaking) PER WEEK" "SELECT * FROM activity(speaking) PER DAY"
    "SELECT * FROM retention(weekly)")
for n in 3 4096 4097 9000 10000 10001 10002; do
    head -n "$n" "$T/ev.ndjson" > "$T/p.ndjson"
    rm -rf "$T/p"
    "$SHOAL" --db "$T/p" ingest -q "$T/p.ndjson" && "$SHOAL" --db "$T/p" query -q "$DEFS" || fail "asof-periods-prefix-$n"
    for q in "${QS[@]}"; do
        want=$("$SHOAL" --db "$T/p" query --format csv "$NOW; $q")
        got=$("$SHOAL" query --format csv "$NOW; $q AS OF SEQ $n")
        if [ "$got" == "$want" ] && [ "$(wc -l <<< "$want")" -gt 2 ]; then ok "asof periods: $q AS OF SEQ $n"
        else fail "asof periods: $q AS OF SEQ $n" "AS OF SEQ:" "$(head -3 <<< "$got")" "the first $n alone:" "$(head -3 <<< "$want")"; fi
    done
done
# the whole log: from zed's week; views on and off agree
for q in "${QS[@]}"; do
    on=$("$SHOAL" query --format csv "$NOW; $q")
    off=$("$SHOAL" query --format csv "$NOW; SET VIEWS = off; $q")
    check_eq "asof periods: $q: views == log" "$on" "$off"
    check_grep "asof periods: $q: from zed's week" '^2024-(09-30|10-01),' "$(sed -n 2p <<< "$on")"
done
