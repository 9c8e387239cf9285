# crash.sh — kill -9 during ingest at random moments. After each kill: `shoal check`
# passes, the log holds whole batches only, every batch reported committed is there,
# and the log is a prefix of an uninterrupted run's; finishing the ingest then yields
# exactly the uninterrupted log (no duplicates, nothing missing).
. "$SHOAL_TESTS/lib.sh"

N=${CRASH_EVENTS:-300000}
BATCH=5000
"$SHOAL" gen --events "$N" --seed 11 > "$T/ev.ndjson"
"$SHOAL" --db "$T/ref" ingest -q --nosync "$T/ev.ndjson"
"$SHOAL" --db "$T/ref" log > "$T/ref.log"
check_eq "reference run holds every event" "$(wc -l < "$T/ref.log")" "$N"

RANDOM=42
for round in 1 2 3 4 5; do
    db="$T/db$round"
    # Odd rounds start with a tiny map so that kills also land during map growth;
    # round 5 uses the default fsync-per-batch mode.
    extra=()
    [ $((round % 2)) -eq 1 ] && extra+=(--map-size 262144)
    [ "$round" -ne 5 ] && extra+=(--nosync)
    "$SHOAL" --db "$db" ingest -v --batch $BATCH "${extra[@]}" "$T/ev.ndjson" > /dev/null 2> "$T/acks" &
    pid=$!
    sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    if [ ! -f "$db/data.mdb" ]; then ok "round $round: killed before the database existed"; continue; fi
    check "round $round: check passes after kill -9" "$SHOAL" --db "$db" check
    "$SHOAL" --db "$db" log > "$T/got.log"
    n=$(wc -l < "$T/got.log")
    acked=$(grep -o 'committed through line [0-9]*' "$T/acks" | tail -n 1 | grep -o '[0-9]*$')
    acked=${acked:-0}
    if [ "$n" -ge "$acked" ]; then ok "round $round: all $acked acknowledged events present ($n in log)"
    else fail "round $round: acknowledged events lost" "acked $acked, log has $n"; fi
    if [ $((n % BATCH)) -eq 0 ] || [ "$n" -eq "$N" ]; then ok "round $round: whole batches only"
    else fail "round $round: partial batch in the log" "$n events, batch $BATCH"; fi
    check "round $round: log is a prefix of the uninterrupted log" cmp "$T/got.log" <(head -n "$n" "$T/ref.log")
    "$SHOAL" --db "$db" ingest -q --nosync "$T/ev.ndjson"
    "$SHOAL" --db "$db" log > "$T/got.log"
    check "round $round: finishing the ingest gives exactly the uninterrupted log" cmp "$T/got.log" "$T/ref.log"
    check "round $round: check passes after finishing" "$SHOAL" --db "$db" check
done
