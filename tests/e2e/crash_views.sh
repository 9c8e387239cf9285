# crash_views.sh — kill -9 during ingest with a counters view, a score, a first/last
# view, a retention and an activity defined (and
# during a view's back-fill): after each kill `shoal check` passes, which rebuilds every
# view from the log and compares it with the stored state, so the views hold exactly
# the committed batches; finishing the ingest leaves them equal to a rebuild again.
. "$SHOAL_TESTS/lib.sh"

N=${CRASH_EVENTS:-150000}
BATCH=5000
"$SHOAL" gen --events "$N" --seed 13 --late 0.05 --dup 0.02 > "$T/ev.ndjson"
VIEWS="CREATE COUNTERS activity AS count(post), count(post WHERE original), sum(post.words), count(*);
CREATE SCORE engagement AS 1*checkin + 2*like + 3*comment + 4*reply + 5*post + 20*essence HALF_LIFE 30 DAYS;
CREATE FIRSTLAST seen AS first(join), first(post), last(post, comment);
CREATE RETENTION weekly COHORT BY first(join) PER WEEK ACTIVE ON post, comment AT LEAST 2;
CREATE ACTIVITY speaking ON post, comment, reply"

RANDOM=7
for round in 1 2 3 4; do
    db="$T/db$round"
    # a retention and an activity name their types, which must exist: a few events first
    head -n 3000 "$T/ev.ndjson" > "$T/head.ndjson"
    "$SHOAL" --db "$db" ingest -q --nosync "$T/head.ndjson"
    check "round $round: views created" "$SHOAL" --db "$db" query "$VIEWS"
    extra=()
    [ "$round" -ne 4 ] && extra+=(--nosync)
    "$SHOAL" --db "$db" ingest -q --batch $BATCH "${extra[@]}" "$T/ev.ndjson" > /dev/null 2>&1 &
    pid=$!
    sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    out=$("$SHOAL" --db "$db" check 2>&1)
    check_grep "round $round: check (views == rebuild) passes after kill -9" "5 views" "$out"
    check_grep "round $round: no problem found" "^ok$" "$out"
    "$SHOAL" --db "$db" ingest -q --nosync "$T/ev.ndjson"
    out=$("$SHOAL" --db "$db" check 2>&1)
    check_grep "round $round: check passes after finishing" "^ok$" "$out"
done

# An experiment's view (its units' buffers, late exposures, per-arm sums; round 6 with
# UNIT group, its groups' totals): kill -9 during ingest, after the experiment was
# created over the log's first part (its types must exist), leaves it equal to a rebuild.
head -n $((N / 2)) "$T/ev.ndjson" > "$T/first.ndjson"
for round in 5 6; do
    db="$T/db$round"
    unit=""
    [ "$round" = 6 ] && unit="UNIT group"
    "$SHOAL" --db "$db" ingest -q --nosync "$T/first.ndjson"
    check "round $round: experiment created" "$SHOAL" --db "$db" query "CREATE EXPERIMENT welcome_ritual ARMS (control 50, ritual 50) $unit
      METRICS (posts = count(post) WITHIN 7 DAYS, spoke = count(post, comment, reply) WITHIN 7 DAYS > 0, words = sum(post.words) WITHIN 3 DAYS,
               wpp = sum(post.words) / count(post) WITHIN 5 DAYS)
      COVARIATE count(post) WITHIN 14 DAYS EXPOSURE exposure"
    "$SHOAL" --db "$db" ingest -q --batch 1000 --nosync "$T/ev.ndjson" > /dev/null 2>&1 &
    pid=$!
    sleep "0.$((RANDOM % 5))$((RANDOM % 10))"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    out=$("$SHOAL" --db "$db" check 2>&1)
    check_grep "round $round: the experiment's view == rebuild after kill -9" "1 views" "$out"
    check_grep "round $round: no problem found" "^ok$" "$out"
    "$SHOAL" --db "$db" ingest -q --nosync "$T/ev.ndjson"
    out=$("$SHOAL" --db "$db" check 2>&1)
    check_grep "round $round: check passes after finishing" "^ok$" "$out"
done

# A kill during CREATE's back-fill (a separate process ingests meanwhile) leaves either
# no view or a whole one.
db="$T/dbc"
"$SHOAL" --db "$db" ingest -q --nosync "$T/ev.ndjson"
"$SHOAL" --db "$db" query "CREATE COUNTERS late AS count(like), count(comment)" > /dev/null 2>&1 &
pid=$!
sleep 0.0$((RANDOM % 9 + 1))
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
out=$("$SHOAL" --db "$db" check 2>&1)
check_grep "killed back-fill: check passes" "^ok$" "$out"
