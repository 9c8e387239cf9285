# concurrent.sh — readers during a write: `stats`, `log` and `check` run while an ingest
# is appending, each sees a consistent snapshot (whole batches, check passes) and the
# counts only grow; a second writer waits its turn and loses nothing.
. "$SHOAL_TESTS/lib.sh"

"$SHOAL" gen --events 400000 --seed 5 > "$T/a.ndjson"
"$SHOAL" gen --events 100000 --seed 6 | sed 's/"id":"e-/"id":"b-/' > "$T/b.ndjson"
"$SHOAL" ingest -q --batch 2000 "$T/a.ndjson" &
pid=$!
prev=0 monotonic=1 seen_partial=0 checks_ok=1 n_reads=0
while kill -0 $pid 2>/dev/null && [ $n_reads -lt 20 ]; do
    n=$("$SHOAL" stats --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])' 2>/dev/null) || { sleep 0.05; continue; }
    n_reads=$((n_reads + 1))
    [ "$n" -lt "$prev" ] && monotonic=0
    [ "$n" -gt 0 ] && [ "$n" -lt 400000 ] && seen_partial=1
    if [ $((n % 2000)) -ne 0 ]; then monotonic=0; fi
    prev=$n
    "$SHOAL" check > /dev/null 2>&1 || checks_ok=0
done
# A second writer at the same time: LMDB serialises it behind the first.
"$SHOAL" ingest -q --batch 2000 "$T/b.ndjson"; rc_b=$?
wait $pid; rc_a=$?
check_eq "both concurrent ingests succeed" "$rc_a $rc_b" "0 0"
if [ $monotonic -eq 1 ]; then ok "readers see whole batches, counts only grow"; else fail "readers see whole batches, counts only grow" "last count $prev"; fi
if [ $checks_ok -eq 1 ]; then ok "check passes while ingest writes"; else fail "check passes while ingest writes"; fi
if [ $seen_partial -eq 1 ]; then ok "a reader saw the log mid-ingest"; else fail "a reader saw the log mid-ingest" "$n_reads reads, none mid-ingest"; fi
check_eq "every event of both writers is in" "$("$SHOAL" stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')" 500000
check "check passes after both" "$SHOAL" check
