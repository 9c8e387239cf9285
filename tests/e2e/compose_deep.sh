#!/usr/bin/env bash
# tests/e2e/compose_deep.sh — composition one level deeper (issue 16): subqueries and
# joins inside CREATE LAYER and CREATE TIERS definitions (run once per statement),
# correlated subqueries on a range (e.ts < t.ts), and chains of WITH queries merged
# into one flat plan. Every answer is checked against sqlite3 over the same events, with
# views and with SET VIEWS = off; EXPLAIN says what runs once and what was merged;
# errors point at the construct.
. "$(dirname "$0")/../lib.sh"

if ! command -v sqlite3 >/dev/null; then
    fail compose-deep "sqlite3 is not installed (apt-get install sqlite3)"
    exit 0
fi
"$SHOAL" gen --events 30000 --seed 11 > "$T/ev.ndjson" 2>/dev/null || { fail compose-deep-gen "shoal gen failed"; exit 0; }
"$SHOAL" ingest "$T/ev.ndjson" >/dev/null 2>&1 || { fail compose-deep-ingest; exit 0; }
"$SHOAL" query "CREATE COUNTERS activity AS count(post), count(comment), count(essence), count(*);
                CREATE FIRSTLAST fl AS first(join)" >/dev/null 2>&1 || { fail compose-deep-views; exit 0; }

oracle_load "$T/ev.ndjson" <<'SQL' || { fail compose-deep-load; exit 0; }
CREATE TABLE ev AS SELECT rowid AS seq, json_extract(j, '$.ts') AS ts, json_extract(j, '$.member') AS member,
    json_extract(j, '$.type') AS type, json_extract(j, '$.group') AS grp, json_extract(j, '$.to') AS to_,
    json_extract(j, '$.words') AS words FROM raw;
CREATE INDEX ev_member ON ev(member, ts);
CREATE INDEX ev_to ON ev(to_, ts);
CREATE INDEX ev_grp ON ev(grp, seq);
CREATE INDEX ev_type ON ev(type, ts);
CREATE TABLE joined AS SELECT member, min(ts) AS joined FROM ev WHERE type = 'join' GROUP BY member;
CREATE TABLE posts AS SELECT member, sum(type = 'post') AS n FROM ev GROUP BY member;
SQL

# same NAME SHOAL-STATEMENTS SQLITE-SELECT: shoal's rows (csv, header dropped) equal
# sqlite3's, numbers within 1e-9 relative; and again with SET VIEWS = off.
same() {
    local name=$1 q=$2 sql=$3 a b c
    a=$("$SHOAL" query --format csv "$q" 2>&1 | tail -n +2)
    c=$("$SHOAL" query --format csv "SET VIEWS = off; $q" 2>&1 | tail -n +2)
    b=$(sqlite3 -csv "$T/oracle.db" "$sql" 2>&1)
    if [ -z "$b" ]; then fail "$name" "the oracle returned nothing: $sql"; return; fi
    if rows_close "$a" "$b"; then ok "$name"; else fail "$name" "shoal:" "$(printf '%s\n' "$a" | head -5)" "sqlite:" "$(printf '%s\n' "$b" | head -5)"; fi
    check_eq "$name: views off" "$c" "$a"
}

err() {
    local name=$1 q=$2 want=$3 got
    got=$("$SHOAL" query "$q" 2>&1)
    check_eq "compose-deep: error: $name" "$got" "$want"
}

# ---------------------------------------------------------------- layers and tiers

"$SHOAL" query "CREATE LAYER replier AS member IN (SELECT e.member FROM events AS e WHERE e.type = reply GROUP BY e.member HAVING count(*) >= 3);
CREATE LAYER above AS count(post) > (SELECT avg(n) FROM (SELECT count(post) AS n FROM members) AS t);
CREATE LAYER welcomer AS member IN (SELECT e.member FROM events AS e JOIN (SELECT member, first(join) AS joined FROM members) AS m
    ON e.to = m.member WHERE e.type = reply AND e.ts >= m.joined AND e.ts < m.joined + 7 DAYS);
CREATE LAYER eager AS EXISTS (SELECT 1 FROM events WHERE type = essence) AND count(post) >= 5;
CREATE LAYER replier_talker AS member IN replier AND count(comment) > 0;
CREATE TIERS voice (welcomer WHEN member IN welcomer, big WHEN count(post) > (SELECT avg(n) FROM (SELECT count(post) AS n FROM members) AS t), rest OTHERWISE)" \
    >/dev/null 2>&1 || fail compose-deep-layers-create

# an IN subquery with GROUP BY and HAVING
same compose-deep-layer-in \
    "SELECT member FROM members WHERE member IN replier ORDER BY member" \
    "SELECT member FROM ev WHERE type = 'reply' GROUP BY member HAVING count(*) >= 3 ORDER BY member"
# a scalar subquery over a derived table of per-member aggregates (views answer both)
same compose-deep-layer-scalar \
    "SELECT member, count(post) AS n FROM members WHERE member IN above ORDER BY n DESC, member" \
    "SELECT member, n FROM posts WHERE n > (SELECT avg(n) FROM posts) ORDER BY n DESC, member"
# a join: who replied to a member in their first week
same compose-deep-layer-join \
    "SELECT member FROM members WHERE member IN welcomer ORDER BY member" \
    "SELECT DISTINCT e.member FROM ev e JOIN joined m ON e.to_ = m.member WHERE e.type = 'reply' AND e.ts >= m.joined
       AND e.ts < strftime('%Y-%m-%dT%H:%M:%fZ', m.joined, '+7 days') ORDER BY e.member"
# EXISTS, and a layer naming a layer with a subquery
same compose-deep-layer-exists \
    "SELECT count(*) FROM members WHERE member IN eager" \
    "SELECT count(*) FROM posts WHERE n >= 5 AND EXISTS (SELECT 1 FROM ev WHERE type = 'essence')"
same compose-deep-layer-nested \
    "SELECT count(*) FROM members WHERE member IN replier_talker AND member NOT IN above" \
    "SELECT count(*) FROM (SELECT member FROM ev GROUP BY member HAVING sum(type = 'reply') >= 3 AND sum(type = 'comment') > 0)
       WHERE member NOT IN (SELECT member FROM posts WHERE n > (SELECT avg(n) FROM posts))"
# over events: the layer is the set of its members
same compose-deep-layer-events \
    "SELECT type, count(*) FROM events WHERE member IN welcomer GROUP BY type ORDER BY type" \
    "SELECT type, count(*) FROM ev WHERE member IN (SELECT e.member FROM ev e JOIN joined m ON e.to_ = m.member
       WHERE e.type = 'reply' AND e.ts >= m.joined AND e.ts < strftime('%Y-%m-%dT%H:%M:%fZ', m.joined, '+7 days'))
     GROUP BY type ORDER BY type"
# tiers whose conditions hold a join and a scalar subquery
same compose-deep-tiers \
    "SELECT tier, count(*) AS n FROM tiers(voice) GROUP BY tier ORDER BY tier" \
    "WITH w AS (SELECT DISTINCT e.member FROM ev e JOIN joined m ON e.to_ = m.member WHERE e.type = 'reply' AND e.ts >= m.joined
       AND e.ts < strftime('%Y-%m-%dT%H:%M:%fZ', m.joined, '+7 days'))
     SELECT CASE WHEN member IN w THEN 'welcomer' WHEN n > (SELECT avg(n) FROM posts) THEN 'big' ELSE 'rest' END AS tier, count(*)
     FROM posts GROUP BY tier ORDER BY tier"
# the statement's AS OF holds for the layer's subquery too
same compose-deep-layer-asof \
    "SELECT count(*) FROM members WHERE member IN above AS OF '2025-03-31'" \
    "WITH p AS (SELECT member, sum(type = 'post') AS n FROM ev WHERE ts < '2025-04-01' GROUP BY member)
     SELECT count(*) FROM p WHERE n > (SELECT avg(n) FROM p)"
same compose-deep-layer-asof-seq \
    "SELECT count(*) FROM members WHERE member IN above AS OF SEQ 15000" \
    "WITH p AS (SELECT member, sum(type = 'post') AS n FROM ev WHERE seq <= 15000 GROUP BY member)
     SELECT count(*) FROM p WHERE n > (SELECT avg(n) FROM p)"

# the subquery runs once for the statement, before it, and views answer it
ex=$("$SHOAL" query --format csv "EXPLAIN SELECT count(*) FROM members WHERE member IN above" 2>&1)
check_grep compose-deep-layer-explain-once 'subquery 1 \(a value: one row of one column, NULL when none\), run first, once for the statement, of layer ""above""' "$ex"
check_grep compose-deep-layer-explain-views '#1 count\(post\): counters activity' "$ex"

err layer-correlated "CREATE LAYER bad AS (SELECT count(*) FROM events AS e WHERE e.to = members.member) > 2" \
'query:1:68: error: a subquery in a layer'"'"'s or tiers'"'"' condition runs once for the whole statement, so it cannot read the member being tested (a correlated subquery): select the members instead, member IN (SELECT member FROM …)
CREATE LAYER bad AS (SELECT count(*) FROM events AS e WHERE e.to = members.member) > 2
                                                                   ^~~~~~~~~~~~~~'
"$SHOAL" query "CREATE LAYER two AS count(post) > (SELECT count(post) FROM members)" >/dev/null 2>&1 || fail compose-deep-two-create
err layer-run-error "SELECT count(*)
FROM members WHERE member IN two" \
'query:2:30: error: layer "two": the subquery gives more than one row, and a value is one: add an aggregate, a WHERE or LIMIT 1
FROM members WHERE member IN two
                             ^~~'

# ---------------------------------------------------------------- correlations on a range

# each post beside how many events its member had before it, and their words since 30 days
same compose-deep-range-count \
    "SELECT t.seq, (SELECT count(*) FROM events AS e WHERE e.member = t.member AND e.ts < t.ts) AS before,
            (SELECT sum(e.words) FROM events AS e WHERE e.member = t.member AND e.type = post AND e.ts BETWEEN t.ts - 30 DAYS AND t.ts) AS words30,
            (SELECT count(e.words) FROM events AS e WHERE e.member = t.member AND e.seq >= t.seq AND e.seq <= t.seq + 500) AS from_here
     FROM events AS t WHERE t.type = post ORDER BY t.seq" \
    "SELECT t.seq, (SELECT count(*) FROM ev AS e WHERE e.member = t.member AND e.ts < t.ts),
            (SELECT sum(e.words) FROM ev AS e WHERE e.member = t.member AND e.type = 'post'
               AND e.ts BETWEEN strftime('%Y-%m-%dT%H:%M:%fZ', t.ts, '-30 days') AND t.ts),
            (SELECT count(e.words) FROM ev AS e WHERE e.member = t.member AND e.seq >= t.seq AND e.seq <= t.seq + 500)
     FROM ev AS t WHERE t.type = 'post' ORDER BY t.seq"
# the outer side first, <> and a second bound; min and max of a time and of text
same compose-deep-range-minmax \
    "SELECT t.seq, (SELECT min(e.ts) FROM events AS e WHERE t.ts <= e.ts AND e.member = t.to) AS next_by_addressee,
            (SELECT max(e.member) FROM events AS e WHERE e.group = t.group AND e.seq <> t.seq AND e.seq < t.seq + 100 AND e.seq > t.seq - 100) AS mx
     FROM events AS t WHERE t.type = reply ORDER BY t.seq" \
    "SELECT t.seq, (SELECT min(e.ts) FROM ev AS e WHERE t.ts <= e.ts AND e.member = t.to_),
            (SELECT max(e.member) FROM ev AS e WHERE e.grp = t.grp AND e.seq <> t.seq AND e.seq < t.seq + 100 AND e.seq > t.seq - 100)
     FROM ev AS t WHERE t.type = 'reply' ORDER BY t.seq"
# EXISTS and IN on a range: replies answered later, and members who had posted before
same compose-deep-range-exists-in \
    "SELECT t.type, count(*) AS n,
            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM events AS e WHERE e.to = t.member AND e.ts > t.ts)) AS answered,
            count(*) FILTER (WHERE t.member IN (SELECT e.member FROM events AS e WHERE e.type = post AND e.ts < t.ts - 7 DAYS AND e.group = t.group)) AS poster
     FROM events AS t WHERE t.type IN (comment, reply) GROUP BY t.type ORDER BY t.type" \
    "SELECT t.type, count(*), sum(EXISTS (SELECT 1 FROM ev AS e WHERE e.to_ = t.member AND e.ts > t.ts)),
            sum(t.member IN (SELECT e.member FROM ev AS e WHERE e.type = 'post' AND e.ts < strftime('%Y-%m-%dT%H:%M:%fZ', t.ts, '-7 days') AND e.grp = t.grp))
     FROM ev AS t WHERE t.type IN ('comment', 'reply') GROUP BY t.type ORDER BY t.type"
# over members: the members whose first join came after somebody's 10th post
same compose-deep-range-members \
    "SELECT m.member, (SELECT count(*) FROM events AS e WHERE e.type = post AND e.ts < m.joined) AS posts_before
     FROM (SELECT member, first(join) AS joined FROM members WHERE first(join) IS NOT NULL) AS m ORDER BY m.member" \
    "SELECT m.member, (SELECT count(*) FROM ev AS e WHERE e.type = 'post' AND e.ts < m.joined) FROM joined AS m ORDER BY m.member"

err range-two-values "SELECT (SELECT count(*) FROM events AS e WHERE e.ts < t.ts AND e.seq > t.seq) FROM events AS t" \
'query:1:64: error: this condition reads the statement around the subquery, which a correlated subquery does through equalities (inner = outer.column) and comparisons of one inner value (<, <=, >, >=, <>, BETWEEN): test it in the outer WHERE, or join
SELECT (SELECT count(*) FROM events AS e WHERE e.ts < t.ts AND e.seq > t.seq) FROM events AS t
                                                               ^~~~~~~~~~~~~'
err range-cap "SELECT count(*), sum((SELECT max(e.words) FROM events AS e WHERE e.ts < t.ts)) FROM events AS t" \
'query:1:22: error: this correlated subquery on a range would examine more than 100000000 of its rows over the outer rows: narrow it with an equality (inner = outer.column), or join
SELECT count(*), sum((SELECT max(e.words) FROM events AS e WHERE e.ts < t.ts)) FROM events AS t
                     ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~'
err range-distinct "SELECT (SELECT count(DISTINCT e.member) FROM events AS e WHERE e.ts < t.ts) FROM events AS t" \
'query:1:16: error: a subquery correlated on a range gives count, sum, avg, min or max of one value (no DISTINCT or FILTER)
SELECT (SELECT count(DISTINCT e.member) FROM events AS e WHERE e.ts < t.ts) FROM events AS t
               ^~~~~~~~~~~~~~~~~~~~~~~~'
err layer-range "CREATE LAYER bad AS count(post) > (SELECT count(*) FROM events AS e WHERE e.ts > members.member)" \
'query:1:82: error: a subquery in a layer'"'"'s or tiers'"'"' condition runs once for the whole statement, so it cannot read the member being tested (a correlated subquery): select the members instead, member IN (SELECT member FROM …)
CREATE LAYER bad AS count(post) > (SELECT count(*) FROM events AS e WHERE e.ts > members.member)
                                                                                 ^~~~~~~~~~~~~~'

# ---------------------------------------------------------------- chains of WITH queries, merged flat

CH="WITH a AS (SELECT member, count(post) AS x, count(comment) AS y FROM members WHERE count(*) DURING all_time > 2),
     b AS (SELECT member AS who, x + y AS both, x FROM a WHERE y >= 1), c AS (SELECT who, both FROM b WHERE x <= 5)"
same compose-deep-chain-members \
    "$CH SELECT both, count(*) AS members FROM c GROUP BY both ORDER BY both" \
    "WITH a AS (SELECT member, sum(type = 'post') AS x, sum(type = 'comment') AS y FROM ev GROUP BY member HAVING count(*) > 2),
     b AS (SELECT member AS who, x + y AS both, x FROM a WHERE y >= 1), c AS (SELECT who, both FROM b WHERE x <= 5)
     SELECT both, count(*) FROM c GROUP BY both ORDER BY both"
ex=$("$SHOAL" query --format csv "EXPLAIN $CH SELECT both, count(*) AS members FROM c GROUP BY both ORDER BY both" 2>&1)
check_grep compose-deep-chain-explain 'WITH query ""c"" over WITH query ""b"" over WITH query ""a"" merged into this SELECT' "$ex"
check_grep compose-deep-chain-views 'counters activity' "$ex"
same compose-deep-chain-events \
    "WITH a AS (SELECT member, type, seq, words FROM events WHERE type IN (post, comment)), b AS (SELECT member AS who, type AS kind, words FROM a WHERE seq % 3 <> 0)
     SELECT kind, count(*) AS n, sum(words) AS s FROM (SELECT kind, words FROM b WHERE who <> 'm-1') AS c GROUP BY kind ORDER BY kind" \
    "SELECT type, count(*), sum(words) FROM ev WHERE type IN ('post', 'comment') AND seq % 3 <> 0 AND member <> 'm-1' GROUP BY type ORDER BY type"
# a link that groups stops the merge there, and EXPLAIN says why
ex=$("$SHOAL" query --format csv "EXPLAIN WITH a AS (SELECT member, count(post) AS n FROM members ORDER BY n DESC LIMIT 10), b AS (SELECT member, n FROM a WHERE n > 0) SELECT count(*) FROM b" 2>&1)
check_grep compose-deep-chain-not-merged 'not merged: it reads a WITH query or subquery it was not merged with \(it has GROUP BY, HAVING, ORDER BY, LIMIT or WINDOW\)' "$ex"
