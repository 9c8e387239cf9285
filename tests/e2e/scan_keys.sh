#!/usr/bin/env bash
# tests/e2e/scan_keys.sh — the GROUP BY keys of a scan over events found without
# hashing (query/exec_gkey.c) give the answer of the general path: dense cells for two
# to four small keys (type, group, member, months, booleans…) against the same keys
# made text (hashed), and day, week, month and year of ts taken from their value's
# span of instants (UTC and a fixed-offset zone) against the same function of ts + 0
# DAYS (evaluated per row), with late events, in a zone with daylight saving (where no
# span is used) and on one and two threads.
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 40000 --seed 11 --late 0.1 > "$T/ev.ndjson" 2>/dev/null || { fail scan-keys-gen; exit 0; }
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail scan-keys-ingest; exit 0; }

alike() {   # alike NAME A B: statements A and B give the same JSON, on 1 and 2 threads
    local name=$1 t a b
    for t in 1 2; do
        a=$(SHOAL_THREADS=$t "$SHOAL" query --format json "$2" 2>&1)
        b=$(SHOAL_THREADS=$t "$SHOAL" query --format json "$3" 2>&1)
        case "$a" in *error:*|"") fail "scan-keys-$name-$t" "$a"; return ;; esac
        if [ "$a" != "$b" ]; then
            fail "scan-keys-$name-$t" "$2" "$(printf '%s' "$a" | head -c 300)" "$3" "$(printf '%s' "$b" | head -c 300)"
            return
        fi
    done
    ok "scan-keys-$name"
}

for zone in UTC Etc/GMT+3 America/Sao_Paulo; do
    tz="SET TIMEZONE = '$zone';"
    [ $zone = UTC ] && tz=""
    for f in day week month year; do
        alike "$f-${zone//\//-}" \
            "$tz SELECT $f(ts) AS k, type, count(*) AS n, max(ts) FROM events GROUP BY k, type ORDER BY k, type" \
            "$tz SELECT $f(ts + 0 DAYS) AS k, type, count(*) AS n, max(ts) FROM events GROUP BY k, type ORDER BY k, type"
    done
done
# no ORDER BY: the groups in the order of their first rows, either way
alike cells-order "SELECT month(ts) AS m, type, count(*) FROM events GROUP BY m, type" \
    "SELECT month(ts + 0 DAYS) AS m, type, count(*) FROM events GROUP BY m, type"
# five keys are past the cells (at most four): the hash table, the same groups
alike cells-three "SELECT type, group, original, count(*), sum(words) FROM events GROUP BY type, group, original ORDER BY 1, 2, 3" \
    "SELECT type, group, original, count(*), sum(words) FROM events GROUP BY type, group, original, ts = ts, seq = seq ORDER BY 1, 2, 3"
alike cells-two "SELECT type, group, count(*), min(ts) FROM events GROUP BY type, group" \
    "SELECT type, group, count(*), min(ts) FROM events GROUP BY type, group, ts = ts, seq = seq, member = member"
alike cells-member-day "SELECT member, day(ts) AS d, count(*) FROM events GROUP BY member, d ORDER BY 1, 2" \
    "SELECT member, day(ts + 0 DAYS) AS d, count(*) FROM events GROUP BY member, d ORDER BY 1, 2"
