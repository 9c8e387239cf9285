#!/usr/bin/env bash
# tests/e2e/layers.sh — layers end to end on generated data with late and duplicate
# events: membership (`member IN layer`) equals the same predicate written inline,
# equals a sqlite3 oracle, is the same with views on and off, and AS OF a date; EXPLAIN
# MEMBER's values equal the per-member aggregates; CREATE/DROP LAYER, SHOW VIEWS, and
# the errors, with their exact positions.
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 40000 --seed 5 --late 0.05 --dup 0.02 > "$T/ev.ndjson" 2>/dev/null || { fail layers-gen; exit 0; }
head -n 20000 "$T/ev.ndjson" > "$T/a.ndjson"
tail -n +20001 "$T/ev.ndjson" > "$T/b.ndjson"
"$SHOAL" ingest -q "$T/a.ndjson" || fail layers-ingest-a

CORE="count(post WHERE original) DURING this_month >= 2 OR count(essence) >= 3"
ENGAGED="engagement > 20 AND count(*) DURING last_month > 0"
QUIET="count(post, comment, reply) = 0 AND count(*) DURING last_month > 0"
check "layers: views the layers read" "$SHOAL" query "CREATE COUNTERS activity AS count(post WHERE original), count(essence), count(*), count(post, comment, reply);
  CREATE SCORE engagement AS 1*checkin + 2*like + 3*comment + 4*reply + 5*post + 20*essence HALF_LIFE 30 DAYS"
check "layers: CREATE LAYER" "$SHOAL" query "CREATE LAYER core_creator AS $CORE;
  CREATE LAYER engaged AS $ENGAGED; CREATE LAYER quiet AS $QUIET;
  CREATE LAYER core_or_engaged AS member IN core_creator OR member IN engaged"
"$SHOAL" ingest -q "$T/b.ndjson" || fail layers-ingest-b
"$SHOAL" ingest -q "$T/a.ndjson" || fail layers-ingest-a-again   # every line a duplicate
out=$("$SHOAL" check)
check_grep "layers: check passes with layers defined (they keep no state)" "^ok$" "$out"

show=$("$SHOAL" query --format csv "SHOW VIEWS")
check_grep "layers: SHOW VIEWS lists a layer with its statement" "^core_creator,layer,CREATE LAYER core_creator AS count\(post WHERE original\) DURING this_month >= 2 OR count\(essence\) >= 3,0,0.0,[0-9]+,0$" "$show"
check_grep "layers: SHOW VIEWS lists every layer" "^core_or_engaged,layer," "$show"

# same NAME A B: identical non-empty csv output.
same() {
    local name=$1 a b
    a=$("$SHOAL" query --format csv "$2" 2>&1)
    b=$("$SHOAL" query --format csv "$3" 2>&1)
    if [ "$a" == "$b" ] && [ "$(printf '%s\n' "$a" | wc -l)" -gt 2 ]; then ok "$name"
    else fail "$name" "A:" "$(printf '%s\n' "$a" | head -5)" "B:" "$(printf '%s\n' "$b" | head -5)"; fi
}
# err NAME STATEMENT WANT: the statement fails with exactly this rendered error.
err() {
    local name=$1 q=$2 want=$3 got
    got=$("$SHOAL" query "$q" 2>&1)
    check_eq "layers: error: $name" "$got" "$want"
}
NOW="SET NOW = '2025-06-30T23:59:59.999';"   # no event is later: nothing is hidden (LANGUAGE.md, AS OF)
same "layers: core_creator == its predicate inline" \
    "$NOW SELECT member FROM members WHERE member IN core_creator ORDER BY member" \
    "$NOW SELECT member FROM members WHERE $CORE ORDER BY member"
same "layers: engaged (a score) == its predicate inline" \
    "SET NOW = '2025-07-01'; SELECT member FROM members WHERE member IN engaged ORDER BY member" \
    "SET NOW = '2025-07-01'; SELECT member FROM members WHERE $ENGAGED ORDER BY member"
same "layers: quiet == its predicate inline" \
    "SET NOW = '2025-07-01'; SELECT member FROM members WHERE member IN quiet ORDER BY member" \
    "SET NOW = '2025-07-01'; SELECT member FROM members WHERE $QUIET ORDER BY member"
same "layers: a layer of layers == the predicates inline" \
    "SET NOW = '2025-07-01'; SELECT member FROM members WHERE member IN core_or_engaged ORDER BY member" \
    "SET NOW = '2025-07-01'; SELECT member FROM members WHERE ($CORE) OR ($ENGAGED) ORDER BY member"
same "layers: NOT IN == NOT (predicate) IS TRUE" \
    "$NOW SELECT member FROM members WHERE member NOT IN core_creator ORDER BY member LIMIT 300" \
    "$NOW SELECT member FROM members WHERE NOT (CASE WHEN $CORE THEN TRUE ELSE FALSE END) ORDER BY member LIMIT 300"
same "layers: membership as a column, overlapping layers" \
    "SET NOW = '2025-07-01'; SELECT member IN core_creator AS core, member IN engaged AS engaged, count(*) AS n FROM members GROUP BY core, engaged ORDER BY core, engaged" \
    "SET NOW = '2025-07-01'; SELECT CASE WHEN $CORE THEN TRUE ELSE FALSE END AS core, CASE WHEN $ENGAGED THEN TRUE ELSE FALSE END AS engaged, count(*) AS n FROM members GROUP BY core, engaged ORDER BY core, engaged"
a=$("$SHOAL" query --format csv "$NOW SELECT count(*) FROM members WHERE member IN core_creator" | tail -1)
b=$("$SHOAL" query --format csv "$NOW SELECT count(*) FROM members WHERE member NOT IN core_creator" | tail -1)
c=$("$SHOAL" query --format csv "SELECT count(*) FROM members" | tail -1)
check_eq "layers: IN + NOT IN = every member" "$((a + b))" "$c"
[ "$a" -gt 5 ] && ok "layers: core_creator is not trivial ($a members)" || fail "layers: core_creator is not trivial" "$a"

# AS OF a date: windows relative to that date, later events unseen.
same "layers: AS OF a date == the predicate inline AS OF" \
    "SELECT member FROM members WHERE member IN core_creator ORDER BY member AS OF '2025-03-20'" \
    "SELECT member FROM members WHERE $CORE ORDER BY member AS OF '2025-03-20'"
x=$("$SHOAL" query --format csv "SELECT count(*) FROM members WHERE member IN core_creator AS OF '2025-03-20'" | tail -1)
[ "$x" != "$a" ] && ok "layers: AS OF gives another membership" || fail "layers: AS OF gives another membership" "$x == $a"

# Views on and off give the same members, and EXPLAIN reads the views.
both() {
    local name=$1 q=$2 a b e
    a=$("$SHOAL" query --format csv "$q" 2>&1)
    b=$("$SHOAL" query --format csv "SET VIEWS = off; $q" 2>&1)
    if [ "$a" == "$b" ] && [ -n "$a" ]; then ok "$name: views == scan"; else fail "$name: views == scan" "views:" "$(printf '%s\n' "$a" | head -5)" "scan:" "$(printf '%s\n' "$b" | head -5)"; fi
    e=$("$SHOAL" query --format csv "${q%%SELECT*}EXPLAIN SELECT${q#*SELECT}" 2>&1)
    check_grep "$name: EXPLAIN reads views" "views: every per-member aggregate is read from a view" "$e"
}
both layers-core "$NOW SELECT member FROM members WHERE member IN core_creator ORDER BY member"
both layers-count "$NOW SELECT count(*) FROM members WHERE member IN core_creator"
both layers-nested "SET NOW = '2025-07-01'; SELECT member FROM members WHERE member IN core_or_engaged AND member NOT IN quiet ORDER BY member"
both layers-quiet "SET NOW = '2025-07-01'; SELECT count(*) FROM members WHERE member IN quiet"

# The oracle: the same file in sqlite3, first copy of each id only.
if command -v sqlite3 >/dev/null; then
    oracle_load "$T/ev.ndjson" <<'SQL' || fail layers-oracle-load
CREATE TABLE ev AS SELECT json_extract(j, '$.ts') AS ts, json_extract(j, '$.member') AS member,
    json_extract(j, '$.type') AS type, json_extract(j, '$.original') AS original FROM raw
    WHERE rowid IN (SELECT min(rowid) FROM raw GROUP BY json_extract(j, '$.id'));
SQL
    oracle "layers: core_creator == sqlite3" \
        "$NOW SELECT member FROM members WHERE member IN core_creator ORDER BY member" \
        "SELECT member FROM ev GROUP BY member HAVING sum(type = 'post' AND original = 1 AND ts >= '2025-06-01' AND ts < '2025-07-01') >= 2 OR sum(type = 'essence') >= 3 ORDER BY member"
    oracle "layers: core_creator AS OF a date == sqlite3" \
        "SELECT member FROM members WHERE member IN core_creator ORDER BY member AS OF '2025-03-20'" \
        "SELECT member FROM ev WHERE ts < '2025-03-21' GROUP BY member HAVING sum(type = 'post' AND original = 1 AND ts >= '2025-03-01' AND ts < '2025-04-01') >= 2 OR sum(type = 'essence') >= 3 ORDER BY member"
    oracle "layers: count in quiet == sqlite3" \
        "SET NOW = '2025-07-01'; SELECT count(*) FROM members WHERE member IN quiet" \
        "SELECT count(*) FROM (SELECT member FROM ev GROUP BY member HAVING sum(type IN ('post', 'comment', 'reply')) = 0 AND sum(ts >= '2025-06-01' AND ts < '2025-07-01') > 0)"
else
    fail layers-oracle "sqlite3 is not installed (apt-get install sqlite3)"
fi

# Tiers: first match wins; the same counts as a CASE written inline, views on and off,
# and sqlite3.
PYRAMID="CREATE TIERS pyramid (core WHEN member IN core_creator, backbone WHEN count(*) DURING this_month >= 10,
  base WHEN count(*) DURING this_month >= 1, silent OTHERWISE)"
check "tiers: CREATE TIERS" "$SHOAL" query "$PYRAMID"
same "tiers: tier counts == CASE inline" \
    "$NOW SELECT tier, count(*) FROM tiers(pyramid) GROUP BY tier ORDER BY tier" \
    "$NOW SELECT CASE WHEN $CORE THEN 'core' WHEN count(*) DURING this_month >= 10 THEN 'backbone' WHEN count(*) DURING this_month >= 1 THEN 'base' ELSE 'silent' END AS tier, count(*) FROM members GROUP BY tier ORDER BY tier"
both tiers-counts "$NOW SELECT tier, count(*) AS members FROM tiers(pyramid) GROUP BY tier ORDER BY tier"
both tiers-members "$NOW SELECT member, tier FROM tiers(pyramid) WHERE tier != 'silent' ORDER BY member"
e=$("$SHOAL" query --format csv "$NOW EXPLAIN SELECT tier, count(*) FROM tiers(pyramid) GROUP BY tier" 2>&1)
check_grep "tiers: EXPLAIN names the tiers" "^tiers: pyramid \(first match wins" "$e"
show=$("$SHOAL" query --format csv "SHOW VIEWS")
check_grep "tiers: SHOW VIEWS lists tiers" "^pyramid,tiers,\"CREATE TIERS pyramid \(core WHEN" "$show"
if command -v sqlite3 >/dev/null; then
    oracle "tiers: tier counts == sqlite3" \
        "$NOW SELECT tier, count(*) FROM tiers(pyramid) GROUP BY tier ORDER BY tier" \
        "SELECT CASE WHEN o >= 2 OR e >= 3 THEN 'core' WHEN m >= 10 THEN 'backbone' WHEN m >= 1 THEN 'base' ELSE 'silent' END AS tier, count(*) FROM (SELECT member, sum(type = 'post' AND original = 1 AND ts >= '2025-06-01' AND ts < '2025-07-01') AS o, sum(type = 'essence') AS e, sum(ts >= '2025-06-01' AND ts < '2025-07-01') AS m FROM ev GROUP BY member) GROUP BY tier ORDER BY tier"
fi
# Sorting by a string: names in memcmp's order either way, and ties in the order the
# rows were made (the scan's: by sequence).
a=$("$SHOAL" query --format csv "SELECT member FROM members ORDER BY member DESC" | tail -n +2)
b=$("$SHOAL" query --format csv "SELECT member FROM members ORDER BY member" | tail -n +2 | tac)
[ "$(printf '%s\n' "$a" | wc -l)" -gt 1000 ] && check_eq "sort: DESC by name is ASC reversed" "$a" "$b" || fail "sort: DESC by name is ASC reversed" "too few rows"
check_eq "sort: ASC by name is byte order" "$b" "$(printf '%s\n' "$b" | LC_ALL=C sort -r)"
a=$("$SHOAL" query --format csv "SELECT type, seq FROM events ORDER BY type")
b=$("$SHOAL" query --format csv "SELECT type, seq FROM events ORDER BY type, seq")
check_eq "sort: ties keep the order rows were made in" "$a" "$b"
a=$("$SHOAL" query --format csv "SELECT type, seq FROM events ORDER BY type DESC")
b=$("$SHOAL" query --format csv "SELECT type, seq FROM events ORDER BY type DESC, seq")
check_eq "sort: ties keep the order rows were made in, DESC" "$a" "$b"

# Members alike: a grouped statement over members whose rows depend on their aggregates
# only makes one weighed row for every member without a value, and a score compared
# with thresholds sets a member apart only beyond them. Its groups must be those of one
# row per member, which a statement naming the member makes (rows of their own, never
# alike), grouped by sqlite3: views on and off, AS OF a date.
K="CASE WHEN engagement >= 40 THEN 'hi' WHEN engagement > 5 OR count(*) DURING last 30 days >= 3 THEN 'mid' WHEN count(essence) > 0 THEN 'ess' ELSE 'lo' END"
alike() {
    local name=$1 pre=$2 post=$3 a b
    "$SHOAL" query --format csv "$pre SELECT member, $K AS k, engagement AS e, count(essence) AS c, count(*) DURING last 30 days AS l FROM members $post" | tail -n +2 > "$T/per.csv"
    for aggs in "count(*) AS n" "count(*) AS n, sum(engagement) AS s, min(engagement) AS lo, max(engagement) AS hi, avg(engagement) AS av, count(DISTINCT engagement > 5) AS d, sum(count(essence)) AS se, avg(count(*) DURING last 30 days) AS al"; do
        a=$("$SHOAL" query --format csv "$pre SELECT $K AS k, $aggs FROM members GROUP BY k ORDER BY k $post" 2>&1 | tail -n +2)
        b=$(sqlite3 -csv :memory: <<SQL
CREATE TABLE r(member TEXT, k TEXT, e REAL, c INTEGER, l INTEGER);
.import $T/per.csv r
SELECT k, count(*)$([ "${aggs#*, }" != "$aggs" ] && echo ", sum(e), min(e), max(e), avg(e), count(DISTINCT e > 5), sum(c), avg(l)") FROM r GROUP BY k ORDER BY k;
SQL
)
        if [ "$(printf '%s\n' "$a" | wc -l)" -ge 3 ] && rows_close "$a" "$b"; then ok "alike: $name: $aggs"
        else fail "alike: $name: $aggs" "grouped:" "$a" "per member:" "$b"; fi
    done
}
if command -v sqlite3 >/dev/null; then
    alike "views" "SET NOW = '2025-07-01';" ""
    alike "scan" "SET VIEWS = off; SET NOW = '2025-07-01';" ""
    alike "AS OF a date" "" "AS OF '2025-03-20'"
else
    fail alike "sqlite3 is not installed (apt-get install sqlite3)"
fi
# Classes read narrow: a count compared only with numbers below 254 is read as a byte
# that stops above them, a score as its cell among its thresholds (0, negative, equal,
# between); a count compared with 300 is not, and mixes with them. Every comparison
# must come out as on the values: the groups equal one row per member's, grouped by
# sqlite3, views on and off.
K2="CASE WHEN count(*) DURING all_time >= 300 THEN 'big' WHEN engagement < 0 THEN 'neg' WHEN count(post, comment, reply) = 2 AND engagement > 0 THEN 'p2' WHEN count(post, comment, reply) > 2.5 THEN 'p3' WHEN count(post, comment, reply) != 1 AND engagement <= 10 THEN 'n1' WHEN engagement >= 10 AND engagement < 30 THEN 'mid' WHEN count(*) DURING last_month >= 253 THEN 'odd' ELSE 'other' END"
for pre in "SET NOW = '2025-07-01';" "SET VIEWS = off; SET NOW = '2025-07-01';" "SET NOW = '2025-04-17T12:00:00';"; do
    "$SHOAL" query --format csv "$pre SELECT member, $K2 AS k FROM members" | tail -n +2 > "$T/per2.csv"
    a=$("$SHOAL" query --format csv "$pre SELECT $K2 AS k, count(*) AS n FROM members GROUP BY k ORDER BY k" | tail -n +2)
    b=$(printf 'CREATE TABLE r(member TEXT, k TEXT);\n.import %s r\nSELECT k, count(*) FROM r GROUP BY k ORDER BY k;\n' "$T/per2.csv" | sqlite3 -csv :memory:)
    if [ "$(printf '%s\n' "$a" | wc -l)" -ge 5 ]; then check_eq "classes: narrow reads decide as the values do: $pre" "$b" "$a"
    else fail "classes: narrow reads decide as the values do: $pre" "too few groups:" "$a"; fi
done
e=$("$SHOAL" query --format csv "SET NOW = '2025-07-01'; EXPLAIN SELECT $K2 AS k, count(*) FROM members GROUP BY k")
check_grep "classes: EXPLAIN says which aggregates are read narrow (not the count compared with 300)" "3 of the aggregates read as a byte per member" "$e"

# Without ORDER BY, groups come in the order of their first members, as when each
# member makes its own row (a member name among the aggregates forces that).
a=$("$SHOAL" query --format csv "SET NOW = '2025-07-01'; SELECT $K AS k, count(*) AS n FROM members GROUP BY k")
b=$("$SHOAL" query --format csv "SET NOW = '2025-07-01'; SELECT $K AS k, count(*) AS n, min(member) AS m FROM members GROUP BY k" | cut -d, -f1,2)
check_eq "alike: groups in the order of their first members" "$a" "$b"
e=$("$SHOAL" query --format csv "SET NOW = '2025-07-01'; EXPLAIN SELECT $K AS k, count(*) FROM members GROUP BY k")
check_grep "alike: EXPLAIN says a class of members whose comparisons agree is one row" "one, weighed, per class of members whose 4 comparisons of counts and scores come out the same" "$e"
e=$("$SHOAL" query --format csv "SET NOW = '2025-07-01'; EXPLAIN SELECT $K AS k, sum(engagement) FROM members GROUP BY k")
check_grep "alike: EXPLAIN says the members without a value are one row" "and one, weighed, for those without: their rows are alike" "$e"
e=$("$SHOAL" query --format csv "SET NOW = '2025-07-01'; EXPLAIN SELECT $K AS k, count(DISTINCT member) FROM members GROUP BY k")
check_grep "alike: not when a row names its member" "^\"?then rows: one per member \(" "$e"

err "tiers: OTHERWISE not last" "CREATE TIERS t (a OTHERWISE, b WHEN count(post) > 1)" 'query:1:19: error: OTHERWISE is the last tier
CREATE TIERS t (a OTHERWISE, b WHEN count(post) > 1)
                  ^~~~~~~~~'
err "tiers: a tier named twice" "CREATE TIERS t (a WHEN count(post) > 1, a OTHERWISE)" 'query:1:41: error: tier "a" is named twice
CREATE TIERS t (a WHEN count(post) > 1, a OTHERWISE)
                                        ^'
err "tiers: a type no event has yet is a warning" "CREATE TIERS t (a WHEN count(posts) > 1, b OTHERWISE); DROP TIERS t" 'warning: tiers t names what no event has yet: posts'" (misspelt? it counts once such events are ingested)"
err "tiers: neither WHEN nor OTHERWISE" "CREATE TIERS t (a WHEN count(post) > 1, b ELSEWHERE)" 'query:1:43: error: expected WHEN or OTHERWISE but found "ELSEWHERE"
CREATE TIERS t (a WHEN count(post) > 1, b ELSEWHERE)
                                          ^~~~~~~~~'
err "tiers: unknown tiers" "SELECT tier FROM tiers(nosuch)" 'query:1:24: error: unknown tiers "nosuch"
SELECT tier FROM tiers(nosuch)
                       ^~~~~~'
err "tiers: a layer is not tiers" "SELECT tier FROM tiers(quiet)" 'query:1:24: error: "quiet" is a layer, not tiers
SELECT tier FROM tiers(quiet)
                       ^~~~~'
err "tiers: tiers are not a layer" "SELECT member FROM members WHERE member IN pyramid" 'query:1:44: error: "pyramid" is tiers, not a layer
SELECT member FROM members WHERE member IN pyramid
                                           ^~~~~~~'
err "tiers: EXPLAIN MEMBER in a view" "EXPLAIN MEMBER 'm-1' IN activity" 'query:1:25: error: "activity" is a view, not a layer
EXPLAIN MEMBER '"'"'m-1'"'"' IN activity
                        ^~~~~~~~'
err "tiers: DROP LAYER of tiers" "DROP LAYER pyramid" 'query:1:12: error: "pyramid" is tiers, not a layer
DROP LAYER pyramid
           ^~~~~~~'
check "tiers: DROP TIERS" "$SHOAL" query "DROP TIERS pyramid"

# EXPLAIN MEMBER: every clause with the member's values, equal to the aggregates.
for m in $("$SHOAL" query --format csv "$NOW SELECT member FROM members WHERE member IN core_creator ORDER BY member LIMIT 2" | tail -n +2) \
         $("$SHOAL" query --format csv "$NOW SELECT member FROM members WHERE member NOT IN core_creator ORDER BY member LIMIT 2" | tail -n +2); do
    e=$("$SHOAL" query --format csv "$NOW EXPLAIN MEMBER '$m' IN core_creator" 2>&1)
    v=$("$SHOAL" query --format csv "$NOW SELECT count(post WHERE original) DURING this_month AS o, count(essence) AS e,
          CASE WHEN member IN core_creator THEN 'in' ELSE 'not in' END AS verdict FROM members WHERE member = '$m'" | tail -1)
    IFS=, read -r o es verdict <<< "$v"
    want="clause,value,holds
count(post WHERE original) DURING this_month >= 2 OR count(essence) >= 3,,$([ "$verdict" == in ] && echo true || echo false)
  count(post WHERE original) DURING this_month >= 2,$o,$([ "$o" -ge 2 ] && echo true || echo false)
  count(essence) >= 3,$es,$([ "$es" -ge 3 ] && echo true || echo false)
verdict,$verdict,$([ "$verdict" == in ] && echo true || echo false)"
    check_eq "layers: EXPLAIN MEMBER '$m' (${verdict})" "$e" "$want"
done
# AS OF: the values as of that date, as the aggregates give them.
m=$("$SHOAL" query --format csv "SELECT member FROM members WHERE member IN core_creator ORDER BY member LIMIT 1 AS OF '2025-03-20'" | tail -1)
v=$("$SHOAL" query --format csv "SELECT count(post WHERE original) DURING this_month, count(essence) FROM members WHERE member = '$m' AS OF '2025-03-20'" | tail -1)
e=$("$SHOAL" query --format csv "EXPLAIN MEMBER '$m' IN core_creator AS OF '2025-03-20'" 2>&1 | sed -n '3p;4p' | cut -d, -f2 | paste -sd,)
check_eq "layers: EXPLAIN MEMBER '$m' AS OF a date" "$e" "$v"
e=$("$SHOAL" query --format csv "EXPLAIN MEMBER '$m' IN core_creator AS OF '2025-03-20'" 2>&1 | tail -1)
check_eq "layers: EXPLAIN MEMBER AS OF: the verdict as of then" "$e" "verdict,in,true"
err "EXPLAIN MEMBER AS OF a bad date" "EXPLAIN MEMBER 'm-1' IN core_creator AS OF 'soon'" 'query:1:44: error: invalid date "soon"
EXPLAIN MEMBER '"'m-1'"' IN core_creator AS OF '"'soon'"'
                                           ^~~~~~'
e=$("$SHOAL" query --format csv "SET NOW = '2025-07-01'; EXPLAIN MEMBER 'm-1' IN core_or_engaged" 2>&1)
check_grep "layers: EXPLAIN MEMBER over a layer of layers" "^  member IN engaged,,(true|false)$" "$e"
e=$("$SHOAL" query --format json "$NOW EXPLAIN MEMBER 'm-1' IN core_creator" 2>&1)
check_grep "layers: EXPLAIN MEMBER in another format" '"clause": ?"verdict"' "$e"

# Errors, rendered with their positions.
err "a type no event has yet is a warning" "CREATE LAYER x AS count(nosuch) >= 1; DROP LAYER x" 'warning: layer x names what no event has yet: nosuch'" (misspelt? it counts once such events are ingested)"
err "a row aggregate" "CREATE LAYER x AS count(*) > 3" 'query:1:19: error: aggregate "count" is not allowed in a layer
CREATE LAYER x AS count(*) > 3
                  ^~~~~~~~'
err "not a condition" "CREATE LAYER x AS count(post)" 'query:1:19: error: a layer is a condition, e.g. count(post) DURING this_month >= 3
CREATE LAYER x AS count(post)
                  ^~~~~~~~~~~'
err "two conditions" "CREATE LAYER x AS count(post) > 1, count(like) > 2" 'query:1:36: error: a layer is one condition
CREATE LAYER x AS count(post) > 1, count(like) > 2
                                   ^~~~~~~~~~~~~~~'
err "a name in use" "CREATE LAYER activity AS count(post) > 1" 'query:1:14: error: a view "activity" already exists
CREATE LAYER activity AS count(post) > 1
             ^~~~~~~~'
err "a view named like a layer" "CREATE COUNTERS quiet AS count(post)" 'query:1:17: error: a layer "quiet" already exists
CREATE COUNTERS quiet AS count(post)
                ^~~~~'
err "an unknown layer" "SELECT member FROM members WHERE member IN nolayer" 'query:1:44: error: unknown layer "nolayer"
SELECT member FROM members WHERE member IN nolayer
                                           ^~~~~~~'
err "a view is no layer" "SELECT member FROM members WHERE member IN activity" 'query:1:44: error: "activity" is a view, not a layer
SELECT member FROM members WHERE member IN activity
                                           ^~~~~~~~'
err "not a member over events" "SELECT count(*) FROM events WHERE type IN quiet" 'query:1:35: error: only member can be IN a layer
SELECT count(*) FROM events WHERE type IN quiet
                                  ^~~~'
err "not a member" "SELECT member FROM members WHERE 'a' IN quiet" "query:1:34: error: only member can be IN a layer
SELECT member FROM members WHERE 'a' IN quiet
                                 ^~~"
err "an unknown member" "EXPLAIN MEMBER 'nobody' IN quiet" 'query:1:16: error: no member "nobody" in the log
EXPLAIN MEMBER '"'nobody'"' IN quiet
               ^~~~~~~~'
err "DROP SCORE of a layer" "DROP SCORE quiet" 'query:1:12: error: "quiet" is a layer, not a score view
DROP SCORE quiet
           ^~~~~'
err "DROP LAYER of a view" "DROP LAYER activity" 'query:1:12: error: "activity" is a view, not a layer
DROP LAYER activity
           ^~~~~~~~'

# DROP LAYER, and a layer that names a dropped one.
check "layers: DROP LAYER" "$SHOAL" query "DROP LAYER engaged"
show=$("$SHOAL" query --format csv "SHOW VIEWS")
if ! printf '%s\n' "$show" | grep -q '^engaged,' && printf '%s\n' "$show" | grep -q '^quiet,'; then ok "layers: SHOW VIEWS after DROP LAYER"
else fail "layers: SHOW VIEWS after DROP LAYER" "$show"; fi
err "a layer naming a dropped one" "SELECT count(*) FROM members WHERE member IN core_or_engaged" 'query:1:46: error: layer "core_or_engaged": unknown layer "engaged"
SELECT count(*) FROM members WHERE member IN core_or_engaged
                                             ^~~~~~~~~~~~~~~'
# A cycle cannot be made: A names B, B is dropped, and B created again naming A is
# checked by compiling A, which names the B that does not exist yet.
err "a cycle" "CREATE LAYER engaged AS member IN core_or_engaged" 'query:1:35: error: layer "core_or_engaged": unknown layer "engaged"
CREATE LAYER engaged AS member IN core_or_engaged
                                  ^~~~~~~~~~~~~~~'
check "layers: DROP VIEW drops a layer too" "$SHOAL" query "DROP VIEW core_or_engaged; DROP LAYER quiet"
show=$("$SHOAL" query --format csv "SHOW VIEWS")
if printf '%s\n' "$show" | grep -q '^core_creator,' && ! printf '%s\n' "$show" | grep -Eq '^(quiet|core_or_engaged),'; then ok "layers: SHOW VIEWS after DROP VIEW"
else fail "layers: SHOW VIEWS after DROP VIEW" "$show"; fi
