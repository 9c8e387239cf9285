#!/usr/bin/env bash
# tests/e2e/views_now.sh — view answers when now falls mid-day (a wall clock): a window
# that ends at now when the log holds no event from now to the end of that day is read
# whole from the view, no log scan; one that has a later event that day reads its edge
# from the log. Answers equal the scan's (SET VIEWS = off) either way.
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 6000 --seed 7 --late 0.05 > "$T/ev.ndjson" 2>/dev/null || fail views-now-gen
"$SHOAL" ingest -q "$T/ev.ndjson" || fail views-now-ingest
check "views now: counters" "$SHOAL" query "CREATE COUNTERS act AS count(*), count(post), sum(post.words);
  SET TIMEZONE = 'America/New_York'; CREATE COUNTERS ny AS count(*), count(post)"

# The latest event, and the latest that is not on its day's last millisecond.
latest=$("$SHOAL" query --format csv "SELECT max(ts) AS t FROM events" | tail -1)
check_grep "views now: the latest event ($latest)" '^2025-' "$latest"
# An instant one millisecond before the latest event: the latest is after it, that day.
before=$(python3 -c "import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); print((t-datetime.timedelta(milliseconds=1)).isoformat(timespec='milliseconds').replace('+00:00','Z'))" "$latest")

# now = the latest event (mid-day): nothing after it, so windows ending at now are whole
# days for the views.
q="SELECT member, count(post) AS p, sum(post.words) AS w FROM members ORDER BY member AS OF '$latest'"
plan=$("$SHOAL" query --format csv "EXPLAIN $q")
check_grep "views now: AS OF the latest event, views only" "every per-member aggregate is read from a view, no log scan" "$plan"
a=$("$SHOAL" query --format csv "$q"); b=$("$SHOAL" query --format csv "SET VIEWS = off; $q")
check_eq "views now: AS OF the latest event, views == scan" "$a" "$b"
check_grep "views now: AS OF the latest event, gives rows" '^m-[0-9]+,[1-9]' "$a"

q="SELECT member, count(*) DURING last 1 days AS n, count(post) DURING today AS t, count(post) DURING this_week AS w FROM members WHERE count(*) DURING last 7 days > 0 ORDER BY member"
for z in UTC America/New_York; do
    a=$("$SHOAL" query --format csv "SET TIMEZONE = '$z'; SET NOW = '$latest'; $q")
    b=$("$SHOAL" query --format csv "SET TIMEZONE = '$z'; SET NOW = '$latest'; SET VIEWS = off; $q")
    check_eq "views now: SET NOW = the latest event, $z, views == scan" "$a" "$b"
    check_grep "views now: SET NOW = the latest event, $z, gives rows" '^m-[0-9]+,[0-9]+,[0-9]+,[0-9]+$' "$a"
    a=$("$SHOAL" query --format csv "SET TIMEZONE = '$z'; SET NOW = '$before'; $q")
    b=$("$SHOAL" query --format csv "SET TIMEZONE = '$z'; SET NOW = '$before'; SET VIEWS = off; $q")
    check_eq "views now: SET NOW = just before the latest event, $z, views == scan" "$a" "$b"
done

# One millisecond before it: the latest event is later that day, so the day is not
# whole; the view answers its hours before the cut's, and the log the rest, up to the
# cut (here no event: the plan's probe of the log finds none and reads no edge).
q="SELECT member, count(post) AS p FROM members ORDER BY member AS OF '$before'"
plan=$("$SHOAL" query --format csv "EXPLAIN $q")
check_grep "views now: AS OF just before the latest event, the day's hours" "hours 2025-06-30T00\.\." "$plan"
a=$("$SHOAL" query --format csv "$q"); b=$("$SHOAL" query --format csv "SET VIEWS = off; $q")
check_eq "views now: AS OF just before the latest event, views == scan" "$a" "$b"
check_grep "views now: AS OF just before the latest event, gives rows" '^m-[0-9]+,[1-9]' "$a"

# Late events and nows anywhere in a day: a dense log (10k events a day, blocks of a
# few hours) whose late events stretch every block's slots over days, ingested in small
# batches (so that every block's fine entry is merged batch by batch), is found sound
# by check, and at nows all over its last days the views with the log's edges answer
# as the scan does: the zone map skips blocks by their in-order events' granules and
# reads only those of their late events that may fall in an edge (a scan that read
# none of them fails here).
"$SHOAL" gen --events 40000 --seed 11 --late 0.05 --days 4 > "$T/late.ndjson" 2>/dev/null || fail views-now-late-gen
"$SHOAL" --db "$T/late" ingest -q --batch 300 "$T/late.ndjson" || fail views-now-late-ingest
check "views now: late events, views" "$SHOAL" --db "$T/late" query "CREATE COUNTERS act AS count(*), count(post)"
check_grep "views now: late events, check" "^ok" "$("$SHOAL" --db "$T/late" check 2>&1)"
end=$("$SHOAL" --db "$T/late" query --format csv "SELECT max(ts) AS t FROM events" | tail -1)
q="SELECT member, count(*) DURING last 1 days AS d, count(post) DURING today AS t, count(*) DURING last 30 days AS m FROM members WHERE count(*) DURING last 1 days > 0 ORDER BY member"
n_rows=0
for back in 0 317 731 1271 1999 2777; do   # minutes before the latest event
    t=$(python3 -c "import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); print((t-datetime.timedelta(minutes=int(sys.argv[2]), milliseconds=int(sys.argv[2]) * 7)).isoformat(timespec='milliseconds').replace('+00:00','Z'))" "$end" "$back")
    a=$("$SHOAL" --db "$T/late" query --format csv "SET NOW = '$t'; $q")
    b=$("$SHOAL" --db "$T/late" query --format csv "SET NOW = '$t'; SET VIEWS = off; $q")
    check_eq "views now: late events, now $t, views == scan" "$a" "$b"
    n_rows=$((n_rows + $(wc -l <<< "$a") - 1))
done
check_grep "views now: late events, rows at those nows ($n_rows)" '^[1-9][0-9]{2,}$' "$n_rows"

# Who the members were at a mid-day now with later events (AS OF, a past SET NOW) is an
# aggregate of its own, count(*) up to then, which is most of the cost of such a now
# (eleven month buckets and the days since, at 10M events). It is not read when WHERE
# keeps only members with a count above 0 (a count over a window that ends at the
# cut: an event by then), nor, for ORDER BY a score DESC LIMIT k, when the k best
# scores are all above 0 (a score above 0 is an event by then); when they are not
# (fewer than k members have one), it is read after all, view and edge. Answers equal
# the scan's either way.
db=$T/late
mid=$(python3 -c "import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); print((t-datetime.timedelta(hours=9, minutes=13, milliseconds=517)).isoformat(timespec='milliseconds').replace('+00:00','Z'))" "$end")
check "views now: a score for the top" "$SHOAL" --db "$db" query "CREATE SCORE eng AS 1*checkin + 2*like + 3*comment + 5*post HALF_LIFE 30 DAYS"
q="SELECT member, count(post) DURING today AS p, count(*) DURING all_time AS n FROM members WHERE count(post) DURING today >= 2 OR count(*) DURING last 1 days > 3 ORDER BY member"
plan=$("$SHOAL" --db "$db" query --format csv "SET NOW = '$mid'; EXPLAIN $q")
check_grep "views now: WHERE's counts imply an event by then, no aggregate for who the members were" "then rows: one per member \(" "$plan"
if grep -q "who the members were" <<< "$plan"; then fail "views now: WHERE's counts, no count(*) as of then" "$plan"; else ok "views now: WHERE's counts, no count(*) as of then"; fi
a=$("$SHOAL" --db "$db" query --format csv "SET NOW = '$mid'; $q"); b=$("$SHOAL" --db "$db" query --format csv "SET NOW = '$mid'; SET VIEWS = off; $q")
check_eq "views now: WHERE's counts at a mid-day now, views == scan" "$a" "$b"
check_grep "views now: WHERE's counts at a mid-day now, rows" '^m-[0-9]+,[0-9]+,[0-9]+$' "$a"
# a count compared so that 0 passes keeps the aggregate (a member with no event fails it)
plan=$("$SHOAL" --db "$db" query --format csv "SET NOW = '$mid'; EXPLAIN SELECT member FROM members WHERE count(post) DURING today < 2 ORDER BY member")
check_grep "views now: count < 2 keeps who the members were" "who the members were" "$plan"
q="SELECT member, round(eng, 6) AS e FROM members ORDER BY eng DESC, member LIMIT 25"
plan=$("$SHOAL" --db "$db" query --format csv "SET NOW = '$mid'; EXPLAIN $q")
check_grep "views now: the top by a score, who the members were read lazily" "only when the top rows' scores are not all above 0" "$plan"
a=$("$SHOAL" --db "$db" query --format csv "SET NOW = '$mid'; $q"); b=$("$SHOAL" --db "$db" query --format csv "SET NOW = '$mid'; SET VIEWS = off; $q")
check_eq "views now: the top by a score at a mid-day now, views == scan" "$a" "$b"
check_grep "views now: the top by a score at a mid-day now, 25 rows" '^26$' "$(wc -l <<< "$a")"
# just after the first events, fewer members have a score than the LIMIT: the rows
# with a score of 0 are the members then, read after all
first=$("$SHOAL" --db "$db" query --format csv "SELECT min(ts) AS t FROM events" | tail -1)
early=$(python3 -c "import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); print((t+datetime.timedelta(minutes=3)).isoformat(timespec='milliseconds').replace('+00:00','Z'))" "$first")
q="SELECT member, round(eng, 6) AS e FROM members ORDER BY eng DESC, member LIMIT 400 AS OF '$early'"
a=$("$SHOAL" --db "$db" query --format csv "$q"); b=$("$SHOAL" --db "$db" query --format csv "SET VIEWS = off; $q")
check_eq "views now: the top by a score when few have one, views == scan" "$a" "$b"
check_grep "views now: the top by a score when few have one, members with 0" '^m-[0-9]+,0(\.0+)?$' "$a"
n=$(($(wc -l <<< "$a") - 1))
if [ "$n" -gt 0 ] && [ "$n" -lt 400 ]; then ok "views now: the top by a score when few have one: only the members then ($n)"; else fail "views now: the top when few have one: only the members then" "$n rows"; fi
# With a count of every event over a window that ends at the cut (last 1 days), who
# the members were is that count above 0 or count(*) up to the first day inside its
# window (whole days and months: the edge is the other's); answers equal the scan's,
# with the count read as a number and read narrow (a class per tier).
for q in "SELECT count(*) DURING last 1 days AS d, count(*) AS n FROM members GROUP BY d ORDER BY d" \
         "SELECT CASE WHEN count(*) DURING last 1 days >= 3 THEN 'busy' WHEN count(*) DURING last 1 days >= 1 THEN 'seen' ELSE 'quiet' END AS t, count(*) AS n FROM members GROUP BY t ORDER BY t"; do
    plan=$("$SHOAL" --db "$db" query --format csv "SET NOW = '$mid'; EXPLAIN $q")
    check_grep "views now: who the members were with last 1 days" "who the members were: this or #1 above 0" "$plan"
    a=$("$SHOAL" --db "$db" query --format csv "SET NOW = '$mid'; $q"); b=$("$SHOAL" --db "$db" query --format csv "SET NOW = '$mid'; SET VIEWS = off; $q")
    check_eq "views now: who the members were with last 1 days, views == scan" "$a" "$b"
    check_grep "views now: who the members were with last 1 days, members without one" '^(0|quiet),[1-9]' "$a"
done
# a CASE with an operand is not its WHEN's condition: CASE FALSE WHEN count(post) > 0
# holds for members without a post, so who the members were is read
q="SELECT count(*) AS n FROM members WHERE CASE FALSE WHEN count(post) DURING today > 0 THEN TRUE END"
a=$("$SHOAL" --db "$db" query --format csv "SET NOW = '$early'; $q"); b=$("$SHOAL" --db "$db" query --format csv "SET NOW = '$early'; SET VIEWS = off; $q")
check_eq "views now: CASE with an operand, views == scan" "$a" "$b"

# A month less its other days (read_part, engine/view_counters.c): at noon of June 30,
# `this_month` and all time read June's month bucket less June 30's day bucket, plus
# the morning's hours. The days are taken off before the month is added, and a member
# is marked as having a value only when its count is then above 0: m-b's posts are all
# that afternoon (June less June 30 is 0 for m-b: no value, so not a group of its own
# beside the members without one), m-a and m-e have events in earlier months (their
# counts from those months stay), m-c and m-d one post each in June before noon.
cat > "$T/part.ndjson" <<'NDJSON'
{"id":"e-1","ts":"2025-05-10T10:00:00.000Z","member":"m-a","type":"post"}
{"id":"e-2","ts":"2025-06-30T15:00:00.000Z","member":"m-a","type":"post"}
{"id":"e-3","ts":"2025-06-30T16:00:00.000Z","member":"m-b","type":"post"}
{"id":"e-4","ts":"2025-06-30T17:00:00.000Z","member":"m-b","type":"post"}
{"id":"e-5","ts":"2025-06-01T09:00:00.000Z","member":"m-c","type":"post"}
{"id":"e-6","ts":"2025-06-30T18:00:00.000Z","member":"m-c","type":"post"}
{"id":"e-7","ts":"2025-06-30T08:00:00.000Z","member":"m-d","type":"post"}
{"id":"e-8","ts":"2025-06-30T19:00:00.000Z","member":"m-d","type":"post"}
{"id":"e-9","ts":"2025-04-02T09:00:00.000Z","member":"m-e","type":"like"}
{"id":"e-10","ts":"2025-06-30T20:00:00.000Z","member":"m-e","type":"post"}
NDJSON
"$SHOAL" --db "$T/part" ingest -q "$T/part.ndjson" || fail views-now-part-ingest
check "views now: month less its day, views" "$SHOAL" --db "$T/part" query "CREATE COUNTERS act AS count(*), count(post), count(like)"
noon="SET NOW = '2025-06-30T12:00:00.000Z'"
q="SELECT count(post) DURING this_month AS m, count(*) AS n FROM members GROUP BY m ORDER BY m"
a=$("$SHOAL" --db "$T/part" query --format csv "$noon; $q"); b=$("$SHOAL" --db "$T/part" query --format csv "$noon; SET VIEWS = off; $q")
check_eq "views now: month less its day, members without a value, views == scan" "$a" "$b"
check_eq "views now: month less its day, members without a value" "$(printf 'm,n\n0,2\n1,2')" "$a"
q="SELECT member, count(post) DURING this_month AS m, count(post) AS a, count(like) AS l FROM members WHERE count(post) > 0 OR count(like) > 0 ORDER BY member"
a=$("$SHOAL" --db "$T/part" query --format csv "$noon; $q"); b=$("$SHOAL" --db "$T/part" query --format csv "$noon; SET VIEWS = off; $q")
check_eq "views now: month less its day, counts, views == scan" "$a" "$b"
check_eq "views now: month less its day, counts" "$(printf 'member,m,a,l\nm-a,0,1,0\nm-c,1,1,0\nm-d,1,1,0\nm-e,0,0,1')" "$a"
# WHERE as two comparisons joined by AND or OR, worked out over each word's members in
# one pass (where_bits, query/exec_members.c): each operator, each join, views == scan
for w in "count(post) DURING this_month = 1 AND count(post) > 0" "count(post) DURING this_month < 1 AND count(post) >= 1" \
         "count(post) DURING this_month > 0 OR count(like) = 1" "count(post) DURING this_month <> 1 OR count(post) <= 0"; do
    q="SELECT member, count(post) AS a FROM members WHERE $w ORDER BY member"
    a=$("$SHOAL" --db "$T/part" query --format csv "$noon; $q"); b=$("$SHOAL" --db "$T/part" query --format csv "$noon; SET VIEWS = off; $q")
    check_eq "views now: WHERE $w, views == scan" "$a" "$b"
done
a=$("$SHOAL" --db "$T/part" query --format csv "$noon; SELECT member FROM members WHERE count(post) DURING this_month < 1 AND count(post) >= 1 ORDER BY member")
check_eq "views now: WHERE two comparisons AND" "$(printf 'member\nm-a')" "$a"
a=$("$SHOAL" --db "$T/part" query --format csv "$noon; SELECT member FROM members WHERE count(post) DURING this_month > 0 OR count(like) = 1 ORDER BY member")
check_eq "views now: WHERE two comparisons OR" "$(printf 'member\nm-c\nm-d\nm-e')" "$a"
