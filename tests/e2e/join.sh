#!/usr/bin/env bash
# tests/e2e/join.sh — relating an event to the member it names (query/join.c): FROM a
# [LEFT] JOIN b ON …, over events, SELECTs over members (answered by views), tiers and
# WITH queries. Every answer is checked against sqlite3 over the same events (shoal
# gen's, whose joins arrive up to days late), with views and with SET VIEWS = off;
# EXPLAIN shows each source's plan; errors point at the construct.
. "$(dirname "$0")/../lib.sh"

if ! command -v sqlite3 >/dev/null; then
    fail join "sqlite3 is not installed (apt-get install sqlite3)"
    exit 0
fi
"$SHOAL" gen --events 30000 --seed 11 > "$T/gen.ndjson" 2>/dev/null || { fail join-gen "shoal gen failed"; exit 0; }
# every 7th join arrives at the end of the log, after the replies to its member
awk '/"type":"join"/ && ++j % 7 == 0 { late[++n] = $0; next } { print } END { for (i = 1; i <= n; i++) print late[i] }' \
    "$T/gen.ndjson" > "$T/ev.ndjson"
"$SHOAL" ingest "$T/ev.ndjson" >/dev/null 2>&1 || { fail join-ingest; exit 0; }
# views for the members' side: first/last answers first(join) and last(…), counters count(post)
"$SHOAL" query "CREATE FIRSTLAST fl AS first(join), last(post, comment, reply), first(exposure);
                CREATE COUNTERS activity AS count(post), count(comment), count(*);
                CREATE TIERS t (core WHEN count(post) >= 8, talker WHEN count(comment) >= 5, quiet OTHERWISE)" >/dev/null 2>&1 ||
    { fail join-views; exit 0; }

oracle_load "$T/ev.ndjson" <<'SQL' || { fail join-load; exit 0; }
CREATE VIEW ev AS SELECT rowid AS seq, json_extract(j, '$.ts') AS ts, json_extract(j, '$.member') AS member,
    json_extract(j, '$.type') AS type, json_extract(j, '$.group') AS grp, json_extract(j, '$.to') AS to_,
    json_extract(j, '$.arm') AS arm, json_extract(j, '$.experiment') AS experiment FROM raw;
CREATE TABLE joined AS SELECT member, min(ts) AS joined FROM ev WHERE type = 'join' GROUP BY member;
CREATE TABLE jp AS SELECT member, type FROM ev WHERE type IN ('join', 'post');
CREATE INDEX jp_member ON jp(member);
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

# the data has what the tests need: late joins, replies to members who joined
late=$(sqlite3 "$T/oracle.db" "SELECT count(*) FROM ev a WHERE type = 'join' AND EXISTS (SELECT 1 FROM ev b WHERE b.seq < a.seq AND b.ts > a.ts)")
[ "$late" -gt 0 ] && ok join-data-late-joins || fail join-data-late-joins "no join arrives late in the generated data"

M="(SELECT member, first(join) AS joined FROM members WHERE first(join) IS NOT NULL)"

# ---------------------------------------------------------------- who answers newcomers

# Replies whose addressee joined less than 7 days before: per replier.
same join-newcomers \
    "SELECT e.member, count(*) AS welcomes FROM events AS e JOIN $M AS m ON e.to = m.member
     WHERE e.type = reply AND e.ts >= m.joined AND e.ts < m.joined + 7 DAYS
     GROUP BY e.member ORDER BY welcomes DESC, e.member LIMIT 25" \
    "SELECT e.member, count(*) AS w FROM ev e JOIN joined m ON e.to_ = m.member
     WHERE e.type = 'reply' AND e.ts >= m.joined AND e.ts < strftime('%Y-%m-%dT%H:%M:%fZ', m.joined, '+7 days')
     GROUP BY e.member ORDER BY w DESC, e.member LIMIT 25"

# A joined source with several rows of a key: every match (join.c's id cache finds the
# first by the event's interned id, then the rows of the same key in order).
same join-many-rows \
    "SELECT m.type, count(*) AS n, count(DISTINCT e.seq) AS d FROM events AS e JOIN (SELECT member, type FROM events WHERE type IN (join, post)) AS m ON e.to = m.member
     WHERE e.type = reply GROUP BY m.type ORDER BY m.type" \
    "SELECT m.type, count(*), count(DISTINCT e.seq) FROM ev e JOIN jp m ON e.to_ = m.member
     WHERE e.type = 'reply' GROUP BY m.type ORDER BY m.type"

# The same count per replier as the anchored aggregate gives (two mechanisms, one answer).
a=$("$SHOAL" query --format csv "SELECT e.member, count(*) AS n FROM events e JOIN $M m ON e.to = m.member
     WHERE e.type = reply AND e.ts >= m.joined AND e.ts < m.joined + 7 DAYS GROUP BY e.member ORDER BY e.member" 2>&1)
b=$("$SHOAL" query --format csv "SELECT member, count(reply) WITHIN 7 DAYS AFTER first(join) OF to AS n FROM members
     WHERE count(reply) WITHIN 7 DAYS AFTER first(join) OF to > 0 ORDER BY member" 2>&1)
check_eq join-newcomers-anchor "$a" "$b"

# Every reply with its addressee's join, LEFT JOIN keeping those to members who never joined.
same join-left-replies \
    "SELECT count(*) AS replies, count(m.joined) AS to_joined, count(DISTINCT e.to) AS addressees
     FROM events e LEFT JOIN $M AS m ON m.member = e.to WHERE e.type = reply" \
    "SELECT count(*), count(m.joined), count(DISTINCT e.to_) FROM ev e LEFT JOIN joined m ON m.member = e.to_ WHERE e.type = 'reply'"

# ON's other conditions limit the matches of a LEFT JOIN (a WHERE would drop the rows).
same join-left-on-extra \
    "SELECT e.member, count(*) AS replies, count(m.member) AS to_newcomers FROM events e
     LEFT JOIN $M AS m ON m.member = e.to AND e.ts < m.joined + 7 DAYS AND e.ts >= m.joined
     WHERE e.type = reply GROUP BY e.member ORDER BY to_newcomers DESC, replies DESC, e.member LIMIT 20" \
    "SELECT e.member, count(*) AS r, count(m.member) AS n FROM ev e LEFT JOIN joined m ON m.member = e.to_
       AND e.ts < strftime('%Y-%m-%dT%H:%M:%fZ', m.joined, '+7 days') AND e.ts >= m.joined
     WHERE e.type = 'reply' GROUP BY e.member ORDER BY n DESC, r DESC, e.member LIMIT 20"

# ---------------------------------------------------------------- referrals

# Whether referred members became active after the referral: their last word later than it.
same join-referrals \
    "SELECT r.member AS referrer, count(*) AS referrals, count(*) FILTER (WHERE m.last_spoke > r.ts) AS became_active
     FROM events r LEFT JOIN (SELECT member, last(post, comment, reply) AS last_spoke FROM members) AS m ON m.member = r.to
     WHERE r.type = referral GROUP BY r.member ORDER BY became_active DESC, referrals DESC, referrer LIMIT 20" \
    "SELECT r.member, count(*) AS n, sum(m.last_spoke > r.ts) AS a FROM ev r
     LEFT JOIN (SELECT member, max(ts) AS last_spoke FROM ev WHERE type IN ('post', 'comment', 'reply') GROUP BY member) m
       ON m.member = r.to_
     WHERE r.type = 'referral' GROUP BY r.member ORDER BY coalesce(a, 0) DESC, n DESC, r.member LIMIT 20"

# ---------------------------------------------------------------- exposures, tiers, arms

# An exposure's member's tier, per arm.
same join-exposure-tier \
    "SELECT e.arm, t.tier, count(*) AS exposures FROM events e JOIN tiers(t) AS t ON t.member = e.member
     WHERE e.type = exposure GROUP BY e.arm, t.tier ORDER BY e.arm, t.tier" \
    "WITH c AS (SELECT member, sum(type = 'post') AS p, sum(type = 'comment') AS c FROM ev GROUP BY member),
          t AS (SELECT member, CASE WHEN p >= 8 THEN 'core' WHEN c >= 5 THEN 'talker' ELSE 'quiet' END AS tier FROM c)
     SELECT e.arm, t.tier, count(*) FROM ev e JOIN t ON t.member = e.member WHERE e.type = 'exposure'
     GROUP BY e.arm, t.tier ORDER BY e.arm, t.tier"

# The arm of each exposed member beside their metrics (from the views), as one statement.
same join-arm-metrics \
    "WITH arms AS (SELECT member, min(arm) AS arm FROM events WHERE type = exposure GROUP BY member)
     SELECT a.arm, count(*) AS members, sum(m.posts) AS posts, sum(m.comments) AS comments
     FROM (SELECT member, count(post) AS posts, count(comment) AS comments FROM members) AS m
     JOIN arms AS a ON a.member = m.member GROUP BY a.arm ORDER BY a.arm" \
    "WITH arms AS (SELECT member, min(arm) AS arm FROM ev WHERE type = 'exposure' GROUP BY member),
          m AS (SELECT member, sum(type = 'post') AS posts, sum(type = 'comment') AS comments FROM ev GROUP BY member)
     SELECT a.arm, count(*), sum(m.posts), sum(m.comments) FROM m JOIN arms a ON a.member = m.member GROUP BY a.arm ORDER BY a.arm"

# ---------------------------------------------------------------- several joins, many to many

same join-two \
    "SELECT CASE WHEN p.posts >= 5 THEN 1 ELSE 0 END AS prolific, count(*) AS replies FROM events e
     JOIN $M AS m ON m.member = e.to JOIN (SELECT member, count(post) AS posts FROM members) AS p ON p.member = e.member
     WHERE e.type = reply AND e.ts < m.joined + 30 DAYS GROUP BY prolific ORDER BY prolific" \
    "WITH p AS (SELECT member, sum(type = 'post') AS posts FROM ev GROUP BY member)
     SELECT p.posts >= 5 AS pr, count(*) FROM ev e JOIN joined m ON m.member = e.to_ JOIN p ON p.member = e.member
     WHERE e.type = 'reply' AND e.ts < strftime('%Y-%m-%dT%H:%M:%fZ', m.joined, '+30 days') GROUP BY pr ORDER BY pr"

# Many rows on both sides: each pair is a row (joins and posts of a group).
same join-many \
    "SELECT a.group, count(*) AS pairs FROM (SELECT member, group FROM events WHERE type = join) AS a
     JOIN (SELECT member, group FROM events WHERE type = essence) AS b ON a.group = b.group
     GROUP BY a.group ORDER BY pairs DESC, a.group LIMIT 10" \
    "SELECT a.grp, count(*) AS n FROM (SELECT grp FROM ev WHERE type = 'join') a JOIN (SELECT grp FROM ev WHERE type = 'essence') b
     ON a.grp = b.grp GROUP BY a.grp ORDER BY n DESC, a.grp LIMIT 10"

# A statement's DURING and AS OF hold for the sources.
same join-during-asof \
    "SELECT count(*) AS replies, count(m.joined) AS to_joined FROM events e LEFT JOIN $M AS m ON m.member = e.to
     WHERE e.type = reply DURING BETWEEN '2025-02-01' AND '2025-02-28' AS OF '2025-03-15'" \
    "SELECT count(*), count(m.joined) FROM ev e LEFT JOIN (SELECT member, min(ts) AS joined FROM ev WHERE type = 'join'
       AND ts < '2025-03-15' GROUP BY member) m ON m.member = e.to_
     WHERE e.type = 'reply' AND e.ts >= '2025-02-01' AND e.ts < '2025-03-01'"

# SELECT * gives every source's columns; a bare name of one source's column needs no source.
a=$("$SHOAL" query --format csv "SELECT * FROM (SELECT seq, to FROM events WHERE type = reply LIMIT 1) AS e JOIN (SELECT member FROM members) AS m ON e.to = m.member" 2>&1 | head -1)
check_eq join-star-columns "$a" "seq,to,member"

# ---------------------------------------------------------------- EXPLAIN

out=$("$SHOAL" query "EXPLAIN SELECT e.member, m.joined FROM events e JOIN $M AS m ON e.to = m.member WHERE e.type = reply" 2>&1)
check_grep join-explain-hash "JOIN subquery .+m.+: its rows run first, kept and hashed by m.member, looked up by e.to" "$out"
check_grep join-explain-view "firstlast fl" "$out"
check_grep join-explain-pushed "then the rows of events AS e, streamed, each joined to those \(its WHERE: e.type = reply\)" "$out"
check_grep join-explain-types "only types \{reply\}" "$out"

# ---------------------------------------------------------------- errors

err() {   # err NAME QUERY REGEX: refused (status 1), the message and its caret match
    local out
    out=$("$SHOAL" query "$2" 2>&1); local rc=$?
    if [ $rc -ne 1 ]; then fail "$1" "exit $rc, want 1" "$out"; return; fi
    check_grep "$1" "$3" "$out"
}
err join-err-ambiguous "SELECT member FROM events e JOIN (SELECT member FROM members) m ON e.member = m.member" \
    'query:1:8: error: column "member" is ambiguous \(e.member, m.member\): name its source'
err join-err-no-equality-types "SELECT e.seq FROM events e JOIN (SELECT member FROM members) m ON e.member != m.member AND e.ts > m.member" \
    'query:1:97: error: cannot compare e.ts \(a time\) with m.member \(text\)'
err join-err-unknown-source "SELECT x.seq FROM events e JOIN (SELECT member FROM members) m ON e.to = m.member" \
    'query:1:8: error: no source "x" in this statement \(its sources: e, m\)'
err join-err-unknown-column "SELECT m.joined FROM events e JOIN (SELECT member FROM members) m ON e.to = m.member" \
    'query:1:8: error: unknown column "m.joined" \(m has: m.member\)'
err join-err-members "SELECT e.seq FROM events e JOIN members m ON e.to = m.member" \
    'query:1:33: error: a join reads rows, and members.* only column is member: join a SELECT over members'
err join-err-right "SELECT e.seq FROM events e RIGHT JOIN (SELECT member FROM members) m ON e.to = m.member" \
    'query:1:28: error: RIGHT JOIN is not supported: only JOIN, INNER JOIN and LEFT \[OUTER\] JOIN'
err join-err-later "SELECT e.seq FROM events e JOIN (SELECT member FROM members) m ON e.to = m.member AND n.member = e.member JOIN (SELECT member FROM members) n ON n.member = e.member" \
    'query:1:87: error: this ON reads "n", a source joined after it'
err join-err-twice "SELECT e.seq FROM events e JOIN events e ON e.seq = e.seq" \
    'query:1:40: error: two sources are called "e"'
err join-err-during "SELECT m.member FROM (SELECT member FROM members) m JOIN (SELECT member FROM members) n ON m.member = n.member DURING last 7 days" \
    'error: DURING in a join is the window of the first source.s events'
err join-err-per "SELECT e.seq FROM events e JOIN (SELECT member FROM members) m ON e.to = m.member PER MONTH" \
    'error: PER does not apply to a join'
err join-err-inner-error "SELECT e.seq FROM events e JOIN (SELECT member, nosuch(post) FROM members) m ON e.to = m.member" \
    'query:1:49: error: '

# "join" is still an event type and "on" a word of CREATE RETENTION
a=$("$SHOAL" query --format csv "SELECT count(*) FROM events WHERE type = join" 2>&1 | tail -1)
b=$(sqlite3 "$T/oracle.db" "SELECT count(*) FROM ev WHERE type = 'join'")
check_eq join-word-type "$a" "$b"

# ---------------------------------------------------------------- correlated subqueries (correlate.c)

# the oracle's events as a table with indexes: its correlated subqueries run per row
sqlite3 "$T/oracle.db" "CREATE TABLE evt AS SELECT ev.*, json_extract(raw.j, '\$.words') AS words FROM ev JOIN raw ON raw.rowid = ev.seq;
    CREATE INDEX evt_mg ON evt(member, grp); CREATE INDEX evt_g ON evt(type, grp);
    CREATE INDEX evt_to ON evt(to_); CREATE INDEX evt_tm ON evt(type, member)" || fail join-oracle-index

# Posts at least as long as their group's average: a value per row, grouped once.
same corr-group-avg \
    "SELECT t.group, count(*) AS long_posts FROM events AS t WHERE t.type = post
     AND t.words >= (SELECT avg(e.words) FROM events AS e WHERE e.type = post AND e.group = t.group)
     GROUP BY t.group ORDER BY long_posts DESC, t.group LIMIT 15" \
    "SELECT t.grp, count(*) AS n FROM evt t
     WHERE t.type = 'post' AND t.words >= (SELECT avg(e.words) FROM evt e WHERE e.type = 'post' AND e.grp = t.grp)
     GROUP BY t.grp ORDER BY n DESC, t.grp LIMIT 15"

# The issue's form: a WITH query's rows against their group's average, read twice.
same corr-with-avg \
    "WITH p AS (SELECT member, group, count(*) AS n FROM events WHERE type = comment AND group IS NOT NULL GROUP BY member, group)
     SELECT p.group, count(*) AS above FROM p WHERE p.n >= (SELECT avg(q.n) FROM p AS q WHERE q.group = p.group)
     GROUP BY p.group ORDER BY above DESC, p.group LIMIT 15" \
    "WITH p AS (SELECT member, grp, count(*) AS n FROM ev WHERE type = 'comment' AND grp IS NOT NULL GROUP BY member, grp)
     SELECT p.grp, count(*) AS a FROM p WHERE p.n >= (SELECT avg(q.n) FROM p AS q WHERE q.grp = p.grp)
     GROUP BY p.grp ORDER BY a DESC, p.grp LIMIT 15"

# Over members: replies each member received beside their posts (count is 0 for nobody).
same corr-members-count \
    "SELECT m.member, count(post) AS posts, (SELECT count(*) FROM events AS e WHERE e.type = reply AND e.to = m.member) AS received
     FROM members AS m WHERE count(post) > 3 ORDER BY received DESC, posts DESC, m.member LIMIT 20" \
    "SELECT m.member, sum(m.type = 'post') AS p, (SELECT count(*) FROM evt e WHERE e.type = 'reply' AND e.to_ = m.member) AS r
     FROM evt m GROUP BY m.member HAVING p > 3 ORDER BY r DESC, p DESC, m.member LIMIT 20"

# In WHERE over members (whose rows would otherwise be shared by members alike).
same corr-members-where \
    "SELECT count(*) AS members, sum(count(post)) AS posts FROM members AS m
     WHERE (SELECT count(*) FROM events AS e WHERE e.type = reply AND e.to = m.member) >= 3" \
    "SELECT count(*), sum(p) FROM (SELECT m.member, sum(m.type = 'post') AS p FROM evt m GROUP BY m.member) o
     WHERE (SELECT count(*) FROM evt e WHERE e.type = 'reply' AND e.to_ = o.member) >= 3"

out=$("$SHOAL" query "EXPLAIN SELECT m.member, (SELECT count(*) FROM events AS e WHERE e.to = m.member) AS n FROM members AS m" 2>&1)
check_grep corr-explain "subquery 1 \(correlated: run once grouped by its correlation, each row's value looked up\)" "$out"
# Two correlations: each comment beside the comments its member wrote in the same group.
same corr-two-keys \
    "SELECT t.member, t.group, count(*) AS n, max((SELECT count(*) FROM events AS e WHERE e.type = comment AND e.member = t.member AND e.group = t.group)) AS mine
     FROM events AS t WHERE t.type = reply GROUP BY t.member, t.group ORDER BY mine DESC, n DESC, t.member, t.group LIMIT 20" \
    "SELECT t.member, t.grp, count(*) AS n, max((SELECT count(*) FROM evt e WHERE e.type = 'comment' AND e.member = t.member AND e.grp = t.grp)) AS mine
     FROM evt t WHERE t.type = 'reply' GROUP BY t.member, t.grp ORDER BY mine DESC, n DESC, t.member, t.grp LIMIT 20"

# Correlated IN: replies answered in kind (the addressee replied to the replier).
same corr-in \
    "SELECT r.group, count(*) AS n FROM events AS r WHERE r.type = reply
     AND r.member IN (SELECT e.to FROM events AS e WHERE e.type = reply AND e.member = r.to) GROUP BY r.group ORDER BY r.group" \
    "SELECT r.grp, count(*) FROM evt r WHERE r.type = 'reply'
     AND r.member IN (SELECT e.to_ FROM evt e WHERE e.type = 'reply' AND e.member = r.to_) GROUP BY r.grp ORDER BY r.grp"
# NOT IN with two correlations, over values that may be NULL (SQL's three values)
same corr-not-in-nulls \
    "SELECT t.type, count(*) AS n FROM events AS t WHERE t.to NOT IN (SELECT e.to FROM events AS e WHERE e.member = t.member AND e.group = t.group AND e.type = reply) GROUP BY t.type ORDER BY t.type" \
    "SELECT t.type, count(*) FROM evt t WHERE t.to_ NOT IN (SELECT e.to_ FROM evt e WHERE e.member = t.member AND e.grp = t.grp AND e.type = 'reply') GROUP BY t.type ORDER BY t.type"
same corr-in-values \
    "SELECT (t.to IN (SELECT e.to FROM events AS e WHERE e.member = t.member AND e.group = t.group AND e.type = comment)) AS v, count(*) AS n FROM events AS t GROUP BY 1 ORDER BY 1 NULLS FIRST" \
    "SELECT CASE (t.to_ IN (SELECT e.to_ FROM evt e WHERE e.member = t.member AND e.grp = t.grp AND e.type = 'comment')) WHEN 1 THEN 'true' WHEN 0 THEN 'false' END AS v, count(*) FROM evt t GROUP BY 1 ORDER BY 1 NULLS FIRST"
# an aggregate after IN: each member's last event
same corr-in-agg \
    "SELECT t.type, count(*) AS n FROM events AS t WHERE t.seq IN (SELECT max(e.seq) FROM events AS e WHERE e.member = t.member) GROUP BY t.type ORDER BY t.type" \
    "SELECT t.type, count(*) FROM evt t WHERE t.seq IN (SELECT max(e.seq) FROM evt e WHERE e.member = t.member) GROUP BY t.type ORDER BY t.type"
# over members: those who replied to themselves
same corr-in-members \
    "SELECT count(*) AS n, sum(count(post)) AS p FROM members AS m WHERE m.member IN (SELECT e.to FROM events AS e WHERE e.type = reply AND e.member = m.member)" \
    "SELECT count(*), sum(p) FROM (SELECT member, sum(type = 'post') AS p FROM evt GROUP BY member) m
     WHERE m.member IN (SELECT e.to_ FROM evt e WHERE e.type = 'reply' AND e.member = m.member)"

# EXISTS and NOT EXISTS: replies to a member who posted in that group; members never replied to
same corr-exists \
    "SELECT r.group, count(*) AS n FROM events AS r WHERE r.type = reply
     AND EXISTS (SELECT 1 FROM events AS p WHERE p.type = post AND p.member = r.to AND p.group = r.group) GROUP BY r.group ORDER BY r.group" \
    "SELECT r.grp, count(*) FROM evt r WHERE r.type = 'reply'
     AND EXISTS (SELECT 1 FROM evt p WHERE p.type = 'post' AND p.member = r.to_ AND p.grp = r.grp) GROUP BY r.grp ORDER BY r.grp"
same corr-not-exists-members \
    "SELECT count(*) AS n, sum(count(*) DURING all_time) AS events FROM members AS m WHERE NOT EXISTS (SELECT * FROM events AS e WHERE e.type = reply AND e.to = m.member)" \
    "SELECT count(*), sum(c) FROM (SELECT member, count(*) AS c FROM evt GROUP BY member) m WHERE NOT EXISTS (SELECT * FROM evt e WHERE e.type = 'reply' AND e.to_ = m.member)"
# without a correlation: whether the SELECT gives a row at all
same exists-uncorrelated \
    "SELECT count(*) AS n, EXISTS (SELECT member FROM events WHERE type = referral) AS a, EXISTS (SELECT member FROM events WHERE type = referral AND member = 'nobody') AS b FROM events WHERE type = join" \
    "SELECT count(*), 'true', 'false' FROM evt WHERE type = 'join'"
# in a join: an outer source by its alias
same corr-exists-in-join \
    "SELECT count(*) AS n FROM events AS e JOIN $M AS m ON e.to = m.member
     WHERE e.type = reply AND EXISTS (SELECT 1 FROM events AS p WHERE p.type = post AND p.member = e.to AND p.group = e.group)" \
    "SELECT count(*) FROM evt e JOIN joined m ON e.to_ = m.member
     WHERE e.type = 'reply' AND EXISTS (SELECT 1 FROM evt p WHERE p.type = 'post' AND p.member = e.to_ AND p.grp = e.grp)"

out=$("$SHOAL" query "EXPLAIN SELECT m.member FROM members AS m WHERE EXISTS (SELECT 1 FROM events AS e WHERE e.to = m.member)" 2>&1)
check_grep corr-explain-exists "subquery 1 \(correlated: run once grouped by its correlation, each row's value looked up\)" "$out"
# comparisons of two inner values with the outer row stay refused, at the second
err corr-err-noneq "SELECT m.member FROM members AS m WHERE count(post) > (SELECT count(*) FROM events AS e WHERE e.to < m.member AND e.member != m.member)" \
    'query:1:115: error: this condition reads the statement around the subquery, which a correlated subquery does through equalities'
err corr-err-item "SELECT m.member FROM members AS m WHERE m.member IN (SELECT m.member FROM events AS e WHERE e.member = m.member)" \
    'query:1:104: error: "m" is a source of the statement around this subquery'
err exists-err-word "SELECT count(*) FROM events WHERE exist (SELECT 1 FROM events)" \
    'query:1:35: error: "exist" before a subquery: only EXISTS \(SELECT …\) takes one'

# ---------------------------------------------------------------- names: FROM p AS q hides p
err alias-hides "SELECT count(*) FROM (SELECT member FROM events AS q WHERE events.type = post) AS t" \
    'query:1:60: error: "events" is called "q" in this statement \(FROM events AS q\): write q.type'
err alias-hides-with "WITH p AS (SELECT member FROM events) SELECT count(*) FROM p AS q WHERE p.member = 'bob'" \
    'query:1:73: error: "p" is called "q" in this statement \(FROM p AS q\): write q.member'
# inside a subquery, p.column of FROM p AS q is the outer p's (a correlation)
same alias-outer \
    "SELECT count(*) AS n FROM events WHERE events.type = reply AND EXISTS (SELECT 1 FROM events AS q WHERE q.member = events.to AND q.type = post)" \
    "SELECT count(*) FROM evt AS ev WHERE ev.type = 'reply' AND EXISTS (SELECT 1 FROM evt AS q WHERE q.member = ev.to_ AND q.type = 'post')"

# a layer's or tiers' subqueries run once per statement: one that reads the member is refused
err layer-err-exists "CREATE TIERS tt (a WHEN EXISTS (SELECT 1 FROM events AS e WHERE e.to = members.member), b OTHERWISE)" \
    'query:1:72: error: a subquery in a layer.s or tiers. condition runs once for the whole statement, so it cannot read the member being tested'
