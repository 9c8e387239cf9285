#!/usr/bin/env bash
# tests/e2e/sqlite_diff.sh — shoal against sqlite3: random statements (sqlite_diff.py,
# fixed seeds) over `shoal gen`'s events, each with its twin in SQLite's SQL run by
# sqlite3 over the same events, must give the same rows: aggregates and FILTER,
# groupings, ORDER BY with NULLS FIRST|LAST, LIMIT, OFFSET and WITH TIES, scalar and
# date functions (in UTC, America/New_York and Asia/Kolkata by seed), CAST, window
# functions, events joined to a SELECT over members (e.to or e.member = m.member, LEFT
# or inner, WHERE on either side, grouped by an id); the statements over members with views on and
# with SET VIEWS = off. `make fuzz` runs the same for as long as FUZZ_SECONDS says.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null || { fail sqlite-diff "python3 is not installed"; exit 0; }
python3 -c 'import sqlite3' 2>/dev/null || { fail sqlite-diff "python3 has no sqlite3 module"; exit 0; }

"$SHOAL" gen --events 10000 --seed 31 > "$T/ev.ndjson" 2>/dev/null || { fail sqlite-diff-gen; exit 0; }
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail sqlite-diff-ingest; exit 0; }
# views that answer the per-member aggregates the statements over members use, one in
# each zone the seeds use (a view's days are in its zone: it answers sessions in it)
for z in UTC America/New_York Asia/Kolkata; do
    check "sqlite-diff: views ($z)" "$SHOAL" query "SET TIMEZONE = '$z'; CREATE COUNTERS act_${z//[^a-zA-Z]/_} AS count(post),
        count(comment, reply), count(post WHERE original), sum(post.words), count(*), count(like), count(checkin)"
done
check "sqlite-diff: first/last view" "$SHOAL" query "CREATE FIRSTLAST seen AS first(post), first(join), last(post, comment),
    last(like), first(post WHERE original)"

python3 "$here/sqlite_diff.py" "$SHOAL" "$SHOAL_DB" "$T/ev.ndjson" "${SQLITE_DIFF_SEEDS:-1,2,3,4,5,6,7,8}" "${SQLITE_DIFF_N:-300}" \
    ${SQLITE_DIFF_SECONDS:+--seconds "$SQLITE_DIFF_SECONDS"}
