#!/usr/bin/env bash
# tests/e2e/anchor.sh — per-member aggregates over windows anchored on each member's own
# event (count(post) WITHIN 7 DAYS AFTER first(join)), checked against sqlite3 over the
# same events: joins that arrive late in the log, members with several joins or none,
# activity before the join, events at exactly the windows' edges (cohort_data.py). In
# SELECT, WHERE, GROUP BY, a layer and tiers, AS OF a date, with views on and off; the
# errors at their positions.
. "$(dirname "$0")/../lib.sh"

if ! command -v sqlite3 >/dev/null; then
    fail anchor "sqlite3 is not installed (apt-get install sqlite3)"
    exit 0
fi
python3 "$SHOAL_TESTS/e2e/cohort_data.py" 7 500 > "$T/ev.ndjson" || { fail anchor-gen; exit 0; }
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail anchor-ingest; exit 0; }

oracle_load "$T/ev.ndjson" <<'SQL' || { fail anchor-oracle-load; exit 0; }
CREATE VIEW ev AS SELECT rowid AS seq, json_extract(j, '$.ts') AS ts,
    CAST(round((julianday(json_extract(j, '$.ts')) - 2440587.5) * 86400000) AS INTEGER) AS ms,
    json_extract(j, '$.member') AS member, json_extract(j, '$.type') AS type,
    json_extract(j, '$.group') AS grp, json_extract(j, '$.words') AS words,
    json_extract(j, '$.original') AS original, json_extract(j, '$.to') AS "to" FROM raw;
CREATE TABLE m AS SELECT member,
    min(CASE WHEN type = 'join' THEN ms END) AS j1, max(CASE WHEN type = 'join' THEN ms END) AS jn,
    min(CASE WHEN type = 'join' THEN ts END) AS j1ts
    FROM ev GROUP BY member;
SQL

# same NAME SHOAL-STATEMENTS SQLITE-SELECT (rows without shoal's header, non-empty)
same() {
    local name=$1 q=$2 sql=$3 a b
    a=$("$SHOAL" query --format csv "$q" 2>&1 | tail -n +2 | sed 's/\.000Z/Z/g')
    b=$(sqlite3 -csv "$T/oracle.db" "$sql" 2>&1 | sed 's/\.000Z/Z/g')
    if [ -z "$b" ]; then fail "$name" "the oracle returned nothing: $sql"; return; fi
    if rows_close "$a" "$b"; then ok "$name"; else fail "$name" "shoal:" "$(printf '%s\n' "$a" | head -5)" "sqlite:" "$(printf '%s\n' "$b" | head -5)"; fi
}
D=86400000
COLS="count(post) WITHIN 7 DAYS AFTER first(join) AS p7, count(comment, like) WITHIN 2 DAYS BEFORE first(join) AS b2,
  sum(post.words) WITHIN 3 DAYS OF last(join) AS w3, count(post WHERE original) WITHIN 30 DAYS AFTER first(join) AS o30,
  min(post.words) WITHIN 12 HOURS AFTER first(join) AS mn, last(post) WITHIN 1 WEEKS AFTER first(join) AS lp"
ORACLE_COLS="CASE WHEN j1 IS NOT NULL THEN (SELECT count(*) FROM ev WHERE ev.member = m.member AND type = 'post' AND ms >= j1 AND ms < j1 + 7*$D) END,
  CASE WHEN j1 IS NOT NULL THEN (SELECT count(*) FROM ev WHERE ev.member = m.member AND type IN ('comment', 'like') AND ms >= j1 - 2*$D AND ms < j1) END,
  CASE WHEN jn IS NOT NULL THEN (SELECT coalesce(sum(words), 0) FROM ev WHERE ev.member = m.member AND type = 'post' AND ms >= jn AND ms < jn + 3*$D) END,
  CASE WHEN j1 IS NOT NULL THEN (SELECT count(*) FROM ev WHERE ev.member = m.member AND type = 'post' AND original AND ms >= j1 AND ms < j1 + 30*$D) END,
  (SELECT min(words) FROM ev WHERE ev.member = m.member AND type = 'post' AND ms >= j1 AND ms < j1 + 43200000),
  (SELECT strftime('%Y-%m-%dT%H:%M:%fZ', max(ts)) FROM ev WHERE ev.member = m.member AND type = 'post' AND ms >= j1 AND ms < j1 + 7*$D)"
# a member without a join has NULL, not 0
same "anchor: per member, after, before, of last(), with filters, against sqlite" \
    "SELECT member, $COLS FROM members ORDER BY member" \
    "SELECT member, $ORACLE_COLS FROM m ORDER BY member"

same "anchor: the same with views answering the other aggregates" \
    "CREATE COUNTERS c AS count(post), count(*); SELECT member, count(post) AS posts, $COLS FROM members ORDER BY member; DROP COUNTERS c" \
    "SELECT member, (SELECT count(*) FROM ev WHERE ev.member = m.member AND type = 'post'), $ORACLE_COLS FROM m ORDER BY member"

same "anchor: with views off" \
    "SET VIEWS = off; SELECT member, $COLS FROM members ORDER BY member" \
    "SELECT member, $ORACLE_COLS FROM m ORDER BY member"

# a first/last view answers the anchors (first(join), last(join)): the anchored
# windows are then the only pass over the log, with the same answers
"$SHOAL" query -q "CREATE FIRSTLAST seen AS first(join), last(join)" >/dev/null || fail "anchor: CREATE FIRSTLAST"
same "anchor: with the anchors from a first/last view" \
    "SELECT member, $COLS FROM members ORDER BY member" \
    "SELECT member, $ORACLE_COLS FROM m ORDER BY member"
plan=$("$SHOAL" query "EXPLAIN SELECT member, $COLS FROM members")
check_grep "anchor: EXPLAIN, the anchors from the view, one pass for the windows" \
    'views: every per-member aggregate is read from a view but the 6 over anchored windows, read by one pass over the log once the anchors are known' "$plan"
check_grep "anchor: EXPLAIN names the view" '#1 first\(join\): firstlast seen, series 1' "$plan"
# who answers newcomers, with the addressees' joins from the view
WEL="(SELECT count(*) FROM ev e JOIN m t ON t.member = e.\"to\" WHERE e.member = m.member AND e.type = 'comment' AND e.ms >= t.j1 AND e.ms < t.j1 + 7*$D)"
same "anchor: OF to, who answers newcomers, the addressees' joins from the view" \
    "SELECT member, count(comment) WITHIN 7 DAYS AFTER first(join) OF to AS welcomes FROM members ORDER BY member" \
    "SELECT member, $WEL FROM m ORDER BY member"
same "anchor: OF to in WHERE, from the view" \
    "SELECT member FROM members WHERE count(comment) WITHIN 7 DAYS AFTER first(join) OF to >= 1 ORDER BY member" \
    "SELECT member FROM m WHERE $WEL >= 1 ORDER BY member"
check "anchor: a layer and tiers of connectors" "$SHOAL" query \
    "CREATE LAYER connector AS count(comment) WITHIN 7 DAYS AFTER first(join) OF to >= 2;
     CREATE TIERS welcoming (host WHEN count(comment) WITHIN 7 DAYS AFTER first(join) OF to >= 2,
                             greeter WHEN count(comment) WITHIN 7 DAYS AFTER first(join) OF to >= 1, other OTHERWISE)"
same "anchor: member IN a layer of connectors (OF to)" \
    "SELECT member FROM members WHERE member IN connector ORDER BY member" \
    "SELECT member FROM m WHERE $WEL >= 2 ORDER BY member"
same "anchor: tiers of connectors (OF to)" \
    "SELECT tier, count(*) FROM tiers(welcoming) GROUP BY tier ORDER BY tier" \
    "SELECT CASE WHEN $WEL >= 2 THEN 'host' WHEN $WEL >= 1 THEN 'greeter' ELSE 'other' END AS t, count(*) FROM m GROUP BY t ORDER BY t"
"$SHOAL" query -q "DROP LAYER connector; DROP TIERS welcoming; DROP FIRSTLAST seen" >/dev/null || fail "anchor: DROP FIRSTLAST"

P7="(SELECT count(*) FROM ev WHERE ev.member = m.member AND type = 'post' AND ms >= j1 AND ms < j1 + 7*$D)"
same "anchor: in WHERE" \
    "SELECT member FROM members WHERE count(post) WITHIN 7 DAYS AFTER first(join) >= 2 ORDER BY member" \
    "SELECT member FROM m WHERE j1 IS NOT NULL AND $P7 >= 2 ORDER BY member"

same "anchor: IS NULL picks the members without a join" \
    "SELECT member FROM members WHERE count(post) WITHIN 7 DAYS AFTER first(join) IS NULL ORDER BY member" \
    "SELECT member FROM m WHERE j1 IS NULL ORDER BY member"

# grouped by the value: the members without any value are one weighed row (alike)
same "anchor: GROUP BY the anchored count (NULL for no join)" \
    "SELECT count(post) WITHIN 7 DAYS AFTER first(join) AS p, count(*) FROM members GROUP BY p ORDER BY p" \
    "SELECT CASE WHEN j1 IS NOT NULL THEN $P7 END AS p, count(*) FROM m GROUP BY p ORDER BY p"

# the newcomers' question: per join cohort, the median time from the join to the first
# word (within 30 days; a median of durations is a duration, in whole milliseconds) and
# the share who spoke within 7 days
same "anchor: newcomers per join week, median time to the first word, share who spoke" \
    "SELECT week(first(join)) AS cohort, count(*) AS joined,
            median(first(post, comment) WITHIN 30 DAYS AFTER first(join) - first(join)) / 1 HOURS AS to_first_word,
            avg(CASE WHEN count(post, comment) WITHIN 7 DAYS AFTER first(join) > 0 THEN 1.0 ELSE 0 END) AS spoke_7d
     FROM members WHERE first(join) IS NOT NULL GROUP BY cohort ORDER BY cohort" \
    "WITH d AS (SELECT date(j1ts, '-6 days', 'weekday 1') AS c,
                (SELECT min(ms) FROM ev WHERE ev.member = m.member AND type IN ('post', 'comment') AND ms >= j1 AND ms < j1 + 30*$D) - j1 AS dt,
                (SELECT count(*) FROM ev WHERE ev.member = m.member AND type IN ('post', 'comment') AND ms >= j1 AND ms < j1 + 7*$D) > 0 AS spoke
              FROM m WHERE j1 IS NOT NULL),
     r AS (SELECT c, dt, row_number() OVER (PARTITION BY c ORDER BY dt) AS i, count(*) OVER (PARTITION BY c) AS n FROM d WHERE dt IS NOT NULL),
     med AS (SELECT c, avg(dt) AS md FROM r WHERE i IN ((n + 1) / 2, (n + 2) / 2) GROUP BY c)
     SELECT d.c, count(*), (SELECT round(md) / 3600000.0 FROM med WHERE med.c = d.c), avg(spoke) FROM d GROUP BY d.c ORDER BY d.c"

# who answers newcomers: comments to a member within 7 days of that member's join
# (OF to: the anchor of the member the event names), per commenting member
same "anchor: OF to, the anchor of the member an event names" \
    "SELECT member, count(comment) WITHIN 7 DAYS AFTER first(join) OF to AS welcomes,
            count(comment) WITHIN 1 DAYS BEFORE first(join) OF to AS early FROM members ORDER BY member" \
    "SELECT member, (SELECT count(*) FROM ev e JOIN m t ON t.member = e.\"to\" WHERE e.member = m.member AND e.type = 'comment'
                     AND e.ms >= t.j1 AND e.ms < t.j1 + 7*$D),
                    (SELECT count(*) FROM ev e JOIN m t ON t.member = e.\"to\" WHERE e.member = m.member AND e.type = 'comment'
                     AND e.ms >= t.j1 - $D AND e.ms < t.j1) FROM m ORDER BY member"
same "anchor: the connectors, top 10 by welcomes" \
    "SELECT member, count(comment) WITHIN 7 DAYS AFTER first(join) OF to AS welcomes FROM members
     WHERE count(comment) WITHIN 7 DAYS AFTER first(join) OF to > 0 ORDER BY welcomes DESC, member LIMIT 10" \
    "SELECT member, w FROM (SELECT member, (SELECT count(*) FROM ev e JOIN m t ON t.member = e.\"to\" WHERE e.member = m.member
       AND e.type = 'comment' AND e.ms >= t.j1 AND e.ms < t.j1 + 7*$D) AS w FROM m) WHERE w > 0 ORDER BY w DESC, member LIMIT 10"

check "anchor: CREATE LAYER and TIERS over anchored windows" "$SHOAL" query \
    "CREATE LAYER quick_start AS count(post) WITHIN 7 DAYS AFTER first(join) >= 1;
     CREATE TIERS onboarding (fast WHEN count(post) WITHIN 1 DAYS AFTER first(join) >= 1,
                              slow WHEN count(post) WITHIN 30 DAYS AFTER first(join) >= 1, silent OTHERWISE)"
same "anchor: member IN a layer" \
    "SELECT count(*) FROM members WHERE member IN quick_start" \
    "SELECT count(*) FROM m WHERE j1 IS NOT NULL AND $P7 >= 1"
same "anchor: tiers" \
    "SELECT tier, count(*) FROM tiers(onboarding) GROUP BY tier ORDER BY tier" \
    "SELECT CASE WHEN (SELECT count(*) FROM ev WHERE ev.member = m.member AND type = 'post' AND ms >= j1 AND ms < j1 + $D) >= 1 THEN 'fast'
                 WHEN (SELECT count(*) FROM ev WHERE ev.member = m.member AND type = 'post' AND ms >= j1 AND ms < j1 + 30*$D) >= 1 THEN 'slow'
                 ELSE 'silent' END AS t, count(*) FROM m GROUP BY t ORDER BY t"

# AS OF a date: the joins and events after it are not seen (a later first join is no
# anchor yet), and the members are those with an event by then
CUT="2025-02-15T00:00:00.000Z"
CUTMS="(CAST(round((julianday('$CUT') - 2440587.5) * 86400000) AS INTEGER))"
same "anchor: AS OF a date" \
    "SELECT member, count(post) WITHIN 7 DAYS AFTER first(join) AS p7 FROM members ORDER BY member AS OF '$CUT'" \
    "WITH c AS (SELECT member, min(CASE WHEN type = 'join' THEN ms END) AS j FROM ev WHERE ms <= $CUTMS GROUP BY member)
     SELECT member, CASE WHEN j IS NOT NULL THEN (SELECT count(*) FROM ev WHERE ev.member = c.member AND type = 'post'
       AND ms >= j AND ms < j + 7*$D AND ms <= $CUTMS) END FROM c ORDER BY member"

same "anchor: AS OF a date, with a view keeping count(*) (who the members were then)" \
    "CREATE COUNTERS seen AS count(*); SELECT member, count(post) WITHIN 7 DAYS AFTER first(join) AS p7 FROM members ORDER BY member AS OF '$CUT'; DROP COUNTERS seen" \
    "WITH c AS (SELECT member, min(CASE WHEN type = 'join' THEN ms END) AS j FROM ev WHERE ms <= $CUTMS GROUP BY member)
     SELECT member, CASE WHEN j IS NOT NULL THEN (SELECT count(*) FROM ev WHERE ev.member = c.member AND type = 'post'
       AND ms >= j AND ms < j + 7*$D AND ms <= $CUTMS) END FROM c ORDER BY member"
SEQ=$(( $(wc -l < "$T/ev.ndjson") - 40 ))
same "anchor: AS OF SEQ (the last late joins unseen)" \
    "SELECT member, count(post) WITHIN 7 DAYS AFTER first(join) AS p7 FROM members ORDER BY member AS OF SEQ $SEQ" \
    "WITH c AS (SELECT member, min(CASE WHEN type = 'join' THEN ms END) AS j FROM ev WHERE seq <= $SEQ GROUP BY member)
     SELECT member, CASE WHEN j IS NOT NULL THEN (SELECT count(*) FROM ev WHERE ev.member = c.member AND type = 'post'
       AND ms >= j AND ms < j + 7*$D AND seq <= $SEQ) END FROM c ORDER BY member"

# the late joins matter: the same question over the log without them differs
lates=$(sqlite3 "$T/oracle.db" "SELECT count(*) FROM ev WHERE type = 'join' AND seq > (SELECT max(seq) FROM ev WHERE type != 'join')")
if [ "$lates" -gt 20 ]; then ok "anchor: the data has late joins ($lates)"; else fail "anchor: the data has late joins" "$lates"; fi

err() {
    local name=$1 q=$2 want=$3 got
    got=$("$SHOAL" query "$q" 2>&1)
    check_eq "$name" "$got" "$want"
}
err "anchor: the anchor is first or last" "SELECT count(post) WITHIN 7 DAYS AFTER count(join) FROM members" \
'query:1:40: error: WITHIN'"'"'s anchor is first(TYPE [WHERE …]) or last(TYPE [WHERE …]), e.g. first(join)
SELECT count(post) WITHIN 7 DAYS AFTER count(join) FROM members
                                       ^~~~~~~~~~~'
err "anchor: the direction word" "SELECT count(post) WITHIN 7 DAYS SINCE first(join) FROM members" \
'query:1:34: error: expected AFTER, BEFORE or OF but found "SINCE"
SELECT count(post) WITHIN 7 DAYS SINCE first(join) FROM members
                                 ^~~~~'
err "anchor: the unit" "SELECT count(post) WITHIN 7 MONTHS AFTER first(join) FROM members" \
'query:1:29: error: unknown time unit "MONTHS" (expected DAYS, WEEKS, HOURS or MINUTES)
SELECT count(post) WITHIN 7 MONTHS AFTER first(join) FROM members
                            ^~~~~~'
err "anchor: over events, WITHIN is refused" "SELECT count(post) WITHIN 7 DAYS AFTER first(join) FROM events" \
'query:1:20: error: WITHIN applies to per-member aggregates (FROM members)
SELECT count(post) WITHIN 7 DAYS AFTER first(join) FROM events
                   ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~'
err "anchor: OF an unknown property" "SELECT count(comment) WITHIN 7 DAYS AFTER first(join) OF too FROM members" \
'query:1:58: error: unknown property "too"
SELECT count(comment) WITHIN 7 DAYS AFTER first(join) OF too FROM members
                                                         ^~~'
plan=$("$SHOAL" query "EXPLAIN SELECT member FROM members WHERE count(post) WITHIN 7 DAYS AFTER first(join) >= 2")
check_grep "anchor: EXPLAIN says the second pass" '#2 count\(post\) WITHIN 7 DAYS AFTER first\(join\): types \{post\} in its window from #1, read by a second pass over the log once #1 is known' "$plan"
err "anchor: rise takes DURING" "CREATE SCORE eng AS 1*post HALF_LIFE 7 DAYS; SELECT rise(eng) WITHIN 7 DAYS AFTER first(join) FROM members" \
'query:1:63: error: rise() takes a DURING window, not WITHIN
CREATE SCORE eng AS 1*post HALF_LIFE 7 DAYS; SELECT rise(eng) WITHIN 7 DAYS AFTER first(join) FROM members
                                                              ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~'
err "anchor: a view does not keep it" "CREATE COUNTERS bad AS count(post) WITHIN 7 DAYS AFTER first(join)" \
'query:1:36: error: a window anchored on a member'"'"'s event is not kept by a view (it is read from the log)
CREATE COUNTERS bad AS count(post) WITHIN 7 DAYS AFTER first(join)
                                   ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~'
