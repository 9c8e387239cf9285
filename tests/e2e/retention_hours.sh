#!/usr/bin/env bash
# tests/e2e/retention_hours.sh — a retention view's hours (view_retention.c, issue 17):
# for the last 48 UTC hours (192 for weeks) up to the latest event, per member with an
# event that hour the first and last times of their active and cohort events in it, so
# that now's period up to a cut earlier than the latest event is read from them rather
# than from the log. At nows all over the last days (and before the kept hours, where
# the log answers), per day, week and month, in UTC and in a zone half an hour off the
# hour, kept by small batches and built by back-fill, the view answers as the log
# does; check compares the hours with a rebuild's; a damaged hour changes the answer
# (it is read) and fails check; a stale or missing mark reads as before.
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 40000 --seed 9 --late 0.05 --days 24 > "$T/ev.ndjson" 2>/dev/null || fail retention-hours-gen
DEF="CREATE RETENTION wk COHORT BY first(join) PER WEEK ACTIVE ON post, comment, reply, checkin;
CREATE RETENTION dy COHORT BY first(join) PER DAY ACTIVE ON post, comment;
CREATE RETENTION mo COHORT BY first(join) PER MONTH ACTIVE ON post;
SET TIMEZONE = 'Asia/Kolkata';
CREATE RETENTION ind COHORT BY first(join) PER WEEK ACTIVE ON post, comment, reply, checkin;
CREATE RETENTION ind_d COHORT BY first(join) PER DAY ACTIVE ON post, like"
views_hot_built "retention hours" "$DEF" 400

# on the hour (noon: a cut on an hour boundary), and anywhere
onhour=$(at 5 hour)
n=0
for now in "$onhour" "$(at 0.21)" "$(at 2.5)" "$(at 9.37)" "$(at 23.9)" "$(at 30.6)" "$(at 47.2)" "$(at 60.4)" "$(at 100.1)" "$(at 170.7)" "$(at 200.3)"; do
    for v in wk dy mo ind ind_d; do
        q="SELECT cohort, cohort_size, k, active FROM retention($v) ORDER BY cohort, k AS OF '$now'"
        want=$("$SHOAL" --db "$T/hot" query --format csv "SET VIEWS = off; $q" 2>&1)
        for d in hot built; do
            got=$("$SHOAL" --db "$T/$d" query --format csv "$q" 2>&1)
            if [ "$got" == "$want" ]; then n=$((n + 1)); else fail "retention hours: $d $v AS OF $now, views == log" "got:  $got" "want: $want"; fi
        done
    done
done
if [ "$n" -eq 110 ]; then ok "retention hours: 110 answers at nows over the last days equal the log's"; else fail "retention hours: answers equal the log's" "$n of 110"; fi
check_grep "retention hours: answers have rows" '^[0-9-]+,[1-9][0-9]*,0,[1-9]' "$want"

# a cut 2 hours after the start of the latest event's day: the day's hours 0 and 1 are the edge
now=$(at 0 day 2)
q="SELECT cohort, cohort_size, k, active FROM retention(dy) ORDER BY cohort, k AS OF '$now'"
want=$("$SHOAL" --db "$T/hot" query --format csv "SET VIEWS = off; $q")
key=$(python3 -c "import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); h=int(t.timestamp()*1000)//3600000-2; print('04%08x' % (h+2**31))" "$now")
if "$DBPOKE" "$T/hot" v.dy "0x$key" del; then
    got=$("$SHOAL" --db "$T/hot" query --format csv "$q")
    if [ "$got" != "$want" ]; then ok "retention hours: a lost hour changes the answer (the hours are read)"
    else fail "retention hours: a lost hour changes the answer (the hours are read)" "the same answer as the log"; fi
    out=$("$SHOAL" --db "$T/hot" check 2>&1); rc=$?
    if [ "$rc" -ne 0 ] && grep -q 'view "dy": hour [0-9]* has no stored hours' <<< "$out"; then
        ok "retention hours: check fails on a lost hour"
    else fail "retention hours: check fails on a lost hour" "exit $rc" "$out"; fi
    # a stale stamp (a shoal that keeps no hours appended since): not read, not checked
    "$DBPOKE" "$T/hot" v.dy 0x05 xor 12 128 || fail "retention hours: poke the mark"
    check_eq "retention hours: a stale mark, the log answers" "$("$SHOAL" --db "$T/hot" query --format csv "$q")" "$want"
    check_grep "retention hours: a stale mark, check" "^ok" "$("$SHOAL" --db "$T/hot" check 2>&1)"
    printf '{"type":"post","member":"m-1","ts":"%s"}\n' "$end" > "$T/more.ndjson"
    "$SHOAL" --db "$T/hot" ingest -q "$T/more.ndjson" || fail "retention hours: ingest after a stale mark"
    check_eq "retention hours: after an append to a stale table, views == log" \
        "$("$SHOAL" --db "$T/hot" query --format csv "$q")" "$("$SHOAL" --db "$T/hot" query --format csv "SET VIEWS = off; $q")"
    check "retention hours: rebuild" "$SHOAL" --db "$T/hot" rebuild dy
    check_grep "retention hours: check after rebuild" "^ok" "$("$SHOAL" --db "$T/hot" check 2>&1)"
    want=$("$SHOAL" --db "$T/hot" query --format csv "SET VIEWS = off; $q")
    "$DBPOKE" "$T/hot" v.dy "0x$key" del || fail "retention hours: poke after rebuild"
    if [ "$("$SHOAL" --db "$T/hot" query --format csv "$q")" != "$want" ]; then ok "retention hours: after rebuild the hours are read"
    else fail "retention hours: after rebuild the hours are read" "the same answer as the log"; fi
    # a table made before them (no mark): reads as before, and an append keeps none
    "$DBPOKE" "$T/hot" v.dy 0x05 del || fail "retention hours: remove the mark"
    check_eq "retention hours: no mark, views == log" "$("$SHOAL" --db "$T/hot" query --format csv "$q")" "$want"
    "$SHOAL" --db "$T/hot" ingest -q "$T/more.ndjson" || fail "retention hours: ingest without a mark"
    check_grep "retention hours: no mark, check after an append" "^ok" "$("$SHOAL" --db "$T/hot" check 2>&1)"
else
    fail "retention hours: poke an hour" "$key"
fi
