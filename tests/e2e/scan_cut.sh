#!/usr/bin/env bash
# tests/e2e/scan_cut.sh — a scan restricted to a time range stops reading a block in
# order once a time read in it passes the range's end by the ingest's lateness limit
# (2^16 ms: a later record so far behind is late, and the zone map lists it), and then
# reads only the listed late events past that point (query/scan.h, scan_zone_cut;
# engine/zone.c, zf_judge's cut). One block of 4096 events a second apart, late ones
# inside the range: one before the stop (read in order), two far after it (read
# as a pick), and one in order past the range's end within the limit; the block is
# entered by a binary search for a record the limit before the range's start
# (scan_zone_enter), one in order just before the range, and a late one long before
# it where the search looks first; every count must hold
# them all.
. "$(dirname "$0")/../lib.sh"

python3 - "$T/ev.ndjson" <<'PY' || { fail scan-cut-data; exit 0; }
import datetime, sys
t0 = datetime.datetime(2025, 3, 1, tzinfo=datetime.timezone.utc)
with open(sys.argv[1], 'w') as out:
    for i in range(4100):
        ms = i * 1000
        if i == 250: ms = 120500     # late, before the stop (~ offset 266)
        if i == 60: ms = 80500       # in the last 2 minutes' range, in order, before the entry a
                                     # search that forgot the limit would take
        if i == 205: ms = 199900     # past a later time, but within the limit: in order
        if i == 2048: ms = 1500      # late and long before the range: no entry point
        if i == 3000: ms = 150500    # late, far past the stop
        if i == 3001: ms = 199999    # late, the range's last millisecond
        t = t0 + datetime.timedelta(milliseconds=ms)
        out.write('{"id":"e-%d","ts":"%s.%03dZ","member":"m-%d","type":"%s"}\n'
                  % (i, t.strftime('%Y-%m-%dT%H:%M:%S'), ms % 1000, i % 7, 'post' if i % 2 else 'like'))
PY
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail scan-cut-ingest; exit 0; }

# [00:01:40, 00:03:20): in order 100..199 and 205, plus the 3 late; a window that ends at now
# holds now's millisecond: (00:01:20, 00:03:20]
want=104
for t in 1 2; do
    got=$(SHOAL_THREADS=$t "$SHOAL" query --format csv "SELECT count(*) FROM events WHERE ts >= '2025-03-01T00:01:40Z' AND ts < '2025-03-01T00:03:20Z'" | tail -n 1)
    check_eq "scan-cut-where-$t" "$got" "$want"
    got=$(SHOAL_THREADS=$t "$SHOAL" query --format csv "SET NOW = '2025-03-01T00:03:20Z'; SELECT count(*) FROM events DURING last 2 minutes" | tail -n 1)
    check_eq "scan-cut-during-$t" "$got" "$((want + 21))"
    got=$(SHOAL_THREADS=$t "$SHOAL" query --format csv "SET NOW = '2025-03-01T00:03:20Z'; SELECT member, count(*) DURING last 2 minutes AS n FROM members ORDER BY member" | tail -n +2 | tr '\n' ' ')
    all=$(SHOAL_THREADS=$t "$SHOAL" query --format csv "SELECT member, count(*) AS n FROM events WHERE ts > '2025-03-01T00:01:20Z' AND ts <= '2025-03-01T00:03:20Z' GROUP BY member ORDER BY member" | tail -n +2 | tr '\n' ' ')
    check_eq "scan-cut-members-$t" "$got" "$all"
done
got=$("$SHOAL" query --format csv "SELECT type, count(*) FROM events WHERE ts >= '2025-03-01T00:01:40Z' AND ts < '2025-03-01T00:03:20Z' GROUP BY type ORDER BY type" | tail -n +2 | tr '\n' ' ')
check_eq scan-cut-types "$got" "like,52 post,52 "
