#!/usr/bin/env bash
# tests/e2e/activity_days.sh — an activity view's kept days (view_retention.c, issue 17):
# for the latest local day with an active event and the day before, per member active
# on it the time of their first active event that day and their previous active day,
# so that a now inside one of them (a wall clock's mid-day) mends now's day and period
# from them instead of the log. At nows all over the last days (and before the kept
# days, where the log answers), per day, week and month, in UTC and in a zone half an
# hour off the hour, with a filter, kept by small batches (late events included) and
# built by back-fill, the view answers as the log does; check compares the days with a
# rebuild's; a lost day block changes the answer (it is read) and fails check; a stale
# or missing mark reads as before. The sqlite3 figures at such nows: activity.sh.
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 40000 --seed 11 --late 0.05 --dup 0.03 --days 40 > "$T/ev.ndjson" 2>/dev/null || fail activity-days-gen
DEF="CREATE ACTIVITY sp ON post, comment, reply, checkin;
CREATE ACTIVITY po ON post WHERE words IS NULL OR words > 50;
SET TIMEZONE = 'Asia/Kolkata';
CREATE ACTIVITY ind ON post, comment, like"
views_hot_built "activity days" "$DEF" 300

n=0 kept=0
# (at 0 day, at 24 day: UTC midnight of the latest event's day and of the day before)
nows=("$(at 0 day)" "$(at 0.01)" "$(at 3.3)" "$(at 11.5)" "$(at 19.75)" "$(at 26.1)" "$(at 33.3)" "$(at 47.9)" "$(at 52.2)" "$(at 24 day)" "$(at 80.5)")
for now in "${nows[@]}"; do
    for v in sp po ind; do
        z=UTC; [ $v = ind ] && z=Asia/Kolkata
        for u in DAY WEEK MONTH; do
            q="SET TIMEZONE = '$z'; SET NOW = '$now'; SELECT * FROM activity($v) PER $u ORDER BY period"
            want=$("$SHOAL" --db "$T/hot" query --format csv "SET VIEWS = off; $q" 2>&1)
            for d in hot built; do
                got=$("$SHOAL" --db "$T/$d" query --format csv "$q" 2>&1)
                if [ "$got" == "$want" ]; then n=$((n + 1)); else fail "activity days: $d $v PER $u at $now, views == log" "got:  $(tail -2 <<< "$got")" "want: $(tail -2 <<< "$want")"; fi
            done
            "$SHOAL" --db "$T/hot" query "$q; SET NOW = '$now'; EXPLAIN SELECT * FROM activity($v) PER $u" 2>&1 | grep -q "from the view's kept days" && kept=$((kept + 1))
        done
    done
done
if [ "$n" -eq 198 ]; then ok "activity days: 198 answers at nows over the last days equal the log's"; else fail "activity days: answers equal the log's" "$n of 198"; fi
# most nows fall in the kept days (the last two before 80.5 hours back do not)
if [ "$kept" -ge 60 ] && [ "$kept" -lt 99 ]; then ok "activity days: EXPLAIN says the kept days mend ($kept of 99 plans)"
else fail "activity days: EXPLAIN says the kept days mend" "$kept of 99 plans"; fi
check_grep "activity days: answers have rows" '^[0-9-]+,[1-9][0-9]*,' "$want"

# now at noon of the latest event's day: its day's entries are read
now=$(at 0 day 12)
q="SET TIMEZONE = 'UTC'; SET NOW = '$now'; SELECT * FROM activity(sp) PER DAY ORDER BY period"
want=$("$SHOAL" --db "$T/hot" query --format csv "SET VIEWS = off; $q")
key=$(python3 -c "import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); d=int(t.timestamp()*1000)//86400000; print('06%08x00000000' % (d+2**31))" "$now")
if "$DBPOKE" "$T/hot" v.sp "0x$key" del; then
    got=$("$SHOAL" --db "$T/hot" query --format csv "$q")
    if [ "$got" != "$want" ]; then ok "activity days: a lost day block changes the answer (the days are read)"
    else fail "activity days: a lost day block changes the answer (the days are read)" "the same answer as the log"; fi
    out=$("$SHOAL" --db "$T/hot" check 2>&1); rc=$?
    if [ "$rc" -ne 0 ] && grep -q 'view "sp": day [0-9]* has no stored entries' <<< "$out"; then
        ok "activity days: check fails on a lost day block"
    else fail "activity days: check fails on a lost day block" "exit $rc" "$out"; fi
    # a stale stamp (a shoal that keeps no days appended since): not read, not checked
    "$DBPOKE" "$T/hot" v.sp 0x07 xor 12 128 || fail "activity days: poke the mark"
    check_eq "activity days: a stale mark, the log answers" "$("$SHOAL" --db "$T/hot" query --format csv "$q")" "$want"
    check_grep "activity days: a stale mark, EXPLAIN" "their days read from the view" \
        "$("$SHOAL" --db "$T/hot" query "SET NOW = '$now'; EXPLAIN SELECT * FROM activity(sp)")"
    check_grep "activity days: a stale mark, check" "^ok" "$("$SHOAL" --db "$T/hot" check 2>&1)"
    printf '{"type":"post","member":"m-1","ts":"%s"}\n' "$end" > "$T/more.ndjson"
    "$SHOAL" --db "$T/hot" ingest -q "$T/more.ndjson" || fail "activity days: ingest after a stale mark"
    check_eq "activity days: after an append to a stale table, views == log" \
        "$("$SHOAL" --db "$T/hot" query --format csv "$q")" "$("$SHOAL" --db "$T/hot" query --format csv "SET VIEWS = off; $q")"
    check "activity days: rebuild" "$SHOAL" --db "$T/hot" rebuild sp
    check_grep "activity days: check after rebuild" "^ok" "$("$SHOAL" --db "$T/hot" check 2>&1)"
    want=$("$SHOAL" --db "$T/hot" query --format csv "SET VIEWS = off; $q")
    check_eq "activity days: after rebuild, views == log" "$("$SHOAL" --db "$T/hot" query --format csv "$q")" "$want"
    "$DBPOKE" "$T/hot" v.sp "0x$key" del || fail "activity days: poke after rebuild"
    if [ "$("$SHOAL" --db "$T/hot" query --format csv "$q")" != "$want" ]; then ok "activity days: after rebuild the days are read"
    else fail "activity days: after rebuild the days are read" "the same answer as the log"; fi
    # a table made before them (no mark): reads as before, and an append keeps none
    "$DBPOKE" "$T/hot" v.sp 0x07 del || fail "activity days: remove the mark"
    check_eq "activity days: no mark, views == log" "$("$SHOAL" --db "$T/hot" query --format csv "$q")" "$want"
    "$SHOAL" --db "$T/hot" ingest -q "$T/more.ndjson" || fail "activity days: ingest without a mark"
    check_grep "activity days: no mark, check after an append" "^ok" "$("$SHOAL" --db "$T/hot" check 2>&1)"
    check_eq "activity days: no mark, after an append, views == log" "$("$SHOAL" --db "$T/hot" query --format csv "$q")" "$want"
else
    fail "activity days: dbpoke (make build/release/tests/dbpoke)"
fi
