#!/usr/bin/env bash
# tests/e2e/scan_dense.sh — a GROUP BY over events of member, type and group with count,
# sum and avg of properties, grouped in dense cells (query/exec_dense.c), gives the hash
# table's answer to the last digit: the same groups in the same order (no ORDER BY: the
# order of their first rows), NULL groups, 40 types, integers, doubles, booleans and
# sums past int64 (the cells' side accumulators), HAVING, WHERE, DURING, the same error
# for text in a sum, on one and two threads, and within a memory budget the cells fit
# (one part) or do not (the hash table's spill). The hash table's answer is the same
# statement with a key the cells do not take (seq = seq, true for every row).
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || { fail scan-dense "python3 is not installed"; exit 0; }

# 40000 events (10 blocks of 4096), 400 members, 40 types, a group on 3 events of 4;
# words: integers, some doubles, some booleans, some missing; big: integers near 2^62
# (their sums pass int64); label: text
python3 - "$T/ev.ndjson" <<'EOF'
import json, random, sys
r = random.Random(5)
with open(sys.argv[1], "w") as f:
    for i in range(40000):
        e = {"id": "e%d" % i, "ts": "2024-%02d-%02dT%02d:00:00Z" % (1 + i * 12 // 40000, 1 + i % 28, i % 24),
             "member": "m-%d" % r.randrange(400), "type": "t%d" % (r.randrange(40) if i % 7 else r.randrange(3))}
        if i % 4: e["group"] = "g-%d" % r.randrange(30)
        k = r.random()
        if k < 0.7: e["words"] = r.randrange(1000)
        elif k < 0.8: e["words"] = r.randrange(100000) / 8
        elif k < 0.85: e["words"] = r.random() < 0.5
        if r.random() < 0.2: e["big"] = (1 << 62) + r.randrange(1 << 40)
        if i % 5 == 0: e["label"] = "l%d" % r.randrange(5)
        f.write(json.dumps(e) + "\n")
EOF
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail scan-dense-ingest; exit 0; }

alike() {   # alike NAME A B: A (dense cells) and B (the hash table) give the same JSON, on 1 and 2 threads
    local name=$1 a b t
    for t in 1 2; do
        a=$(SHOAL_THREADS=$t "$SHOAL" query --format json "$2" 2>&1)
        b=$(SHOAL_THREADS=$t "$SHOAL" query --format json "$3" 2>&1)
        case "$name:$a" in
            error*:*error:*) a=$(printf '%s' "$a" | head -1) b=$(printf '%s' "$b" | head -1) ;;   # (not the statement)
            *error:*|*:) fail "scan-dense-$name-$t" "$a"; return ;;
        esac
        if [ "$a" != "$b" ]; then
            fail "scan-dense-$name-$t" "$2" "$(printf '%s' "$a" | head -c 300)" "$3" "$(printf '%s' "$b" | head -c 300)"
            return
        fi
    done
    ok "scan-dense-$name"
}

# the statements do go to the cells (and the hash table's do not)
check_grep scan-dense-explain "dense cells by dictionary id" \
    "$("$SHOAL" query "EXPLAIN SELECT member, type, count(*) FROM events GROUP BY member, type" 2>&1)"
out=$("$SHOAL" query "EXPLAIN SELECT member, type, count(*) FROM events GROUP BY member, type, seq = seq" 2>&1)
case "$out" in *"dense cells"*) fail scan-dense-explain-hash "$out" ;; *) ok scan-dense-explain-hash ;; esac

aggs="count(*) AS n, count(words) AS nw, sum(words) AS sw, avg(words) AS aw, sum(big) AS sb, avg(big) AS ab, count(label) AS nl"
alike member-type "SELECT member, type, $aggs FROM events GROUP BY member, type ORDER BY member, type" \
    "SELECT member, type, $aggs FROM events GROUP BY member, type, seq = seq ORDER BY member, type"
alike first-rows "SELECT member, type, $aggs FROM events GROUP BY member, type" \
    "SELECT member, type, $aggs FROM events GROUP BY member, type, seq = seq"
alike null-groups "SELECT type, group, member, $aggs FROM events GROUP BY type, group, member" \
    "SELECT type, group, member, $aggs FROM events GROUP BY type, group, member, seq = seq"
alike one-key "SELECT group, $aggs FROM events GROUP BY group" "SELECT group, $aggs FROM events GROUP BY group, seq = seq"
alike having-where "SELECT type, member, sum(words) AS s FROM events WHERE words > 10 AND group <> 'g-3'
        GROUP BY type, member HAVING count(*) > 2 ORDER BY s DESC, type, member" \
    "SELECT type, member, sum(words) AS s FROM events WHERE words > 10 AND group <> 'g-3'
        GROUP BY type, member, seq = seq HAVING count(*) > 2 ORDER BY s DESC, type, member"
alike during "SELECT member, type, count(*), sum(words) FROM events DURING BETWEEN '2024-03-01' AND '2024-05-01'
        GROUP BY member, type" \
    "SELECT member, type, count(*), sum(words) FROM events DURING BETWEEN '2024-03-01' AND '2024-05-01'
        GROUP BY member, type, seq = seq"
alike error-text "SELECT member, type, sum(label) FROM events GROUP BY member, type" \
    "SELECT member, type, sum(label) FROM events GROUP BY member, type, seq = seq"
# the budget: the cells of member × type (401 × 41 × 40 bytes) fit 4MB (one part), not
# 256KB (the hash table, in partitions)
for lim in 4MB 256KB; do
    alike "budget-$lim" "SET MEMORY_LIMIT = '$lim'; SELECT member, type, $aggs FROM events GROUP BY member, type ORDER BY n DESC, member, type" \
        "SELECT member, type, $aggs FROM events GROUP BY member, type, seq = seq ORDER BY n DESC, member, type"
done
# EXPLAIN says which: the cells under 4MB, the hash table under 256KB
check_grep scan-dense-explain-budget-fits "dense cells by dictionary id" \
    "$("$SHOAL" query "SET MEMORY_LIMIT = '4MB'; EXPLAIN SELECT member, type, $aggs FROM events GROUP BY member, type ORDER BY n DESC" 2>&1)"
out=$("$SHOAL" query "SET MEMORY_LIMIT = '256KB'; EXPLAIN SELECT member, type, $aggs FROM events GROUP BY member, type ORDER BY n DESC" 2>&1)
case "$out" in *"dense cells"*) fail scan-dense-explain-budget-over "$out" ;; *"hash table of groups"*) ok scan-dense-explain-budget-over ;; *) fail scan-dense-explain-budget-over "$out" ;; esac
# the cells come from the session's cache of big arrays: a second statement in the same
# process finds the first's cells (1MB: big enough to be kept), zeroed (two alike, then
# one of another shape)
qs="SELECT member, type, $aggs FROM events GROUP BY member, type ORDER BY member, type"
one=$(SHOAL_THREADS=2 "$SHOAL" query --format csv "$qs")
three=$(SHOAL_THREADS=2 "$SHOAL" query --format csv "$qs; $qs; SELECT type, group, count(*) FROM events GROUP BY type, group ORDER BY 1, 2; $qs")
check_eq scan-dense-cells-reused "$three" "$(printf '%s\n%s\n%s\n%s' "$one" "$one" \
    "$(SHOAL_THREADS=2 "$SHOAL" query --format csv "SELECT type, group, count(*) FROM events GROUP BY type, group ORDER BY 1, 2")" "$one")"
# rows that go out in the keys' order are not kept, so the cells (1.05MB) have all of a
# 1.5MB budget; under ORDER BY another term the rows are kept and the cells get half
check_grep scan-dense-explain-budget-streamed "dense cells by dictionary id" \
    "$("$SHOAL" query "SET MEMORY_LIMIT = '1.5MB'; EXPLAIN SELECT member, type, $aggs FROM events GROUP BY member, type ORDER BY member DESC, type" 2>&1)"
out=$("$SHOAL" query "SET MEMORY_LIMIT = '1.5MB'; EXPLAIN SELECT member, type, $aggs FROM events GROUP BY member, type ORDER BY n, member, type" 2>&1)
case "$out" in *"hash table of groups"*) ok scan-dense-explain-budget-kept ;; *) fail scan-dense-explain-budget-kept "$out" ;; esac
for lim in 1.5MB 3MB; do
    alike "budget-streamed-$lim" "SET MEMORY_LIMIT = '$lim'; SELECT member, type, $aggs FROM events GROUP BY member, type ORDER BY member DESC, type" \
        "SELECT member, type, $aggs FROM events GROUP BY member, type, seq = seq ORDER BY member DESC, type"
done
# ORDER BY the keys: the cells go out in its order, the rows unsorted (DESC, NULLS FIRST
# and LAST, positions, aliases, another precedence than GROUP BY's, a term after the
# keys, LIMIT and OFFSET); a prefix of the keys leaves the ties to the sort
for o in "group, type DESC" "group DESC, type" "group NULLS FIRST, type" "group DESC NULLS LAST, type DESC" \
    "2, 1" "t, g DESC, n" "type, group LIMIT 7 OFFSET 5" "group LIMIT 20"; do
    alike "order-${o//[^a-zA-Z0-9]/-}" "SELECT group AS g, type AS t, count(*) AS n, sum(words) FROM events GROUP BY group, type ORDER BY $o" \
        "SELECT group AS g, type AS t, count(*) AS n, sum(words) FROM events GROUP BY group, type, seq = seq ORDER BY $o"
done
# under a budget the log's pages read leave the resident set (the cells fit 8MB);
# without one they stay mapped: on one thread (the same cells either way) the peak RSS
# some 12MB apart at 400k events (24MB without the release; 4MB apart when the release
# stopped at the current record's page, the log's pages not being in its records' order)
if grep -qa __asan_init "$SHOAL"; then
    skip "scan-dense-rss: AddressSanitizer's shadow memory is in the RSS"
elif [ -x /usr/bin/time ]; then
    "$SHOAL" gen --events 400000 --seed 9 > "$T/big.ndjson" 2>/dev/null
    SHOAL_DB="$T/big" "$SHOAL" ingest -q "$T/big.ndjson"
    qb="SELECT member, type, count(*), sum(words) FROM events GROUP BY member, type ORDER BY member, type"
    rss() { SHOAL_THREADS=1 SHOAL_DB="$T/big" /usr/bin/time -f '%M' "$SHOAL" query --format csv "$1" 2>&1 >"$2" | tail -1; }
    free=$(rss "SET MEMORY_LIMIT = '4GB'; $qb" "$T/free.csv")
    bound=$(rss "SET MEMORY_LIMIT = '8MB'; $qb" "$T/bound.csv")
    check_eq scan-dense-rss-same-answer "$(cmp -s "$T/free.csv" "$T/bound.csv" && echo same)" same
    check_grep scan-dense-rss-cells "dense cells" "$(SHOAL_DB="$T/big" "$SHOAL" query "SET MEMORY_LIMIT = '8MB'; EXPLAIN $qb" 2>&1)"
    if [ "$((bound + 8 * 1024))" -lt "$free" ]; then ok scan-dense-rss-bound
    else fail scan-dense-rss-bound "peak RSS with 8MB: ${bound} KB, without: ${free} KB"; fi
else
    skip "scan-dense-rss: /usr/bin/time is not installed"
fi
