# ingest_threads.sh — ingest on two threads (a reader parsing while the caller writes)
# gives the database, the reject file and the counts that one thread gives; ids ending
# in a number (format 5: keyed and stored by the number) stay distinct, round-trip,
# and conflict or repeat as any id does.
. "$SHOAL_TESTS/lib.sh"

# Generated events with bad lines, repeats and conflicts spread over many batches.
"$SHOAL" gen --events 20000 --seed 3 > "$T/gen.ndjson" 2>/dev/null
python3 - "$T/gen.ndjson" "$T/mixed.ndjson" <<'X'
import sys, json
lines = open(sys.argv[1]).read().splitlines()
out = []
for i, l in enumerate(lines):
    out.append(l)
    if i % 997 == 5: out.append('{"id":"bad-%d","ts":"2025-13-01T00:00:00Z","member":"m","type":"x"}' % i)
    if i % 1499 == 7: out.append(lines[i // 2])                        # a repeat of an earlier line
    if i % 1777 == 9:                                                  # same id, other content
        e = json.loads(lines[i // 3]); e["member"] = "someone-else"; out.append(json.dumps(e))
    if i % 2003 == 11: out.append('not json %d' % i)
open(sys.argv[2], "w").write("\n".join(out) + "\n")
X

for t in 1 2; do
    out=$("$SHOAL" --db "$T/db$t" ingest --threads $t --batch 700 --nosync --rejects "$T/rej$t" "$T/mixed.ndjson" 2>/dev/null)
    echo "$out" > "$T/sum$t"
done
check_grep "threads 2: counts of reads, adds, duplicates, conflicts and rejects" \
    "20057 read, 20000 added, 14 duplicates, 12 conflicting .*, 31 rejected" "$(cat "$T/sum2")"
check_eq "threads 1 and 2: the same summary" "$(sed "s|$T/rej1||" "$T/sum1")" "$(sed "s|$T/rej2||" "$T/sum2")"
check "threads 1 and 2: the same database file, byte for byte" cmp "$T/db1/data.mdb" "$T/db2/data.mdb"
check "threads 1 and 2: the same reject file" cmp "$T/rej1" "$T/rej2"
check_eq "threads 2: shoal log is the input's events" "$("$SHOAL" --db "$T/db2" log | md5sum)" \
    "$("$SHOAL" --db "$T/db1" log | md5sum)"
check_grep "threads 2: check passes" "^ok" "$("$SHOAL" --db "$T/db2" check)"

# With views (the bench's demo views): on two threads the reader runs each batch's views'
# prepares (the counters' sort, the score's and first/last's refs by member) while the
# committer writes the id index; the views are what one thread makes, and check agrees.
V="CREATE COUNTERS activity AS count(post), count(post WHERE original), sum(post.words), count(essence), count(*), count(comment, reply);
CREATE SCORE engagement AS 1*checkin + 2*like + 3*comment + 4*reply + 5*post + 20*essence HALF_LIFE 30 DAYS;
CREATE FIRSTLAST seen AS first(join), first(post)"
N="SET NOW = '2025-07-01'"
Q="SELECT member, round(engagement, 6) AS e, count(post) DURING last 30 days AS p,
   count(post WHERE original) DURING last 3 days AS o, sum(post.words) DURING all_time AS w, count(*) DURING last 7 days AS n,
   count(comment, reply) DURING last 28 days AS c, first(join) AS j, first(post) AS f FROM members ORDER BY member"
for t in 1 2; do
    "$SHOAL" --db "$T/v$t" ingest -q /dev/null
    "$SHOAL" --db "$T/v$t" query "$V" > /dev/null 2>&1
    "$SHOAL" --db "$T/v$t" ingest --threads $t --batch 700 --nosync -q "$T/gen.ndjson" 2>/dev/null
done
e=$("$SHOAL" --db "$T/v2" query --format csv "$N; EXPLAIN $Q")
check_grep "views, threads 2: the question is read from the views" "every per-member aggregate is read from a view" "$e"
a1=$("$SHOAL" --db "$T/v1" query --format csv "$N; $Q")
check_eq "views, threads 1 and 2: the same answers from the views" "$a1" "$("$SHOAL" --db "$T/v2" query --format csv "$N; $Q")"
check_grep "views, threads 2: every member answered" "^member" "$(echo "$a1" | head -1)"
check_grep "views, threads 2: check passes (the views are what a replay of the log gives)" "^ok" "$("$SHOAL" --db "$T/v2" check)"

# Re-ingest: all duplicates, on either thread count, and check still passes.
out=$("$SHOAL" --db "$T/db2" ingest --threads 2 --nosync --rejects "$T/rej3" "$T/gen.ndjson" 2>/dev/null)
check_grep "threads 2: re-ingest adds nothing" "20000 read, 0 added, 20000 duplicates, 0 rejected" "$out"

# Numeric ids: counters, leading zeros, long numbers, numbers away from the sequence.
cat > "$T/num.ndjson" <<'X'
{"id":"x-7","ts":1000,"member":"a","type":"t"}
{"id":"x-07","ts":1000,"member":"a","type":"t"}
{"id":"x-007","ts":1000,"member":"a","type":"t"}
{"id":"x-10","ts":1000,"member":"a","type":"t"}
{"id":"x-100","ts":1000,"member":"a","type":"t"}
{"id":"x-99","ts":1000,"member":"a","type":"t"}
{"id":"x99","ts":1000,"member":"a","type":"t"}
{"id":"99","ts":1000,"member":"a","type":"t"}
{"id":"x-123456789012345678","ts":1000,"member":"a","type":"t"}
{"id":"x-1234567890123456789","ts":1000,"member":"a","type":"t"}
{"id":"x-18446744073709551616","ts":1000,"member":"a","type":"t"}
{"id":"ü-42","ts":1000,"member":"a","type":"t"}
{"id":"x-2","ts":1000,"member":"a","type":"t"}
{"id":"x-3","ts":1000,"member":"a","type":"t"}
X
out=$("$SHOAL" --db "$T/num" ingest --nosync --rejects "$T/numrej" "$T/num.ndjson" 2>/dev/null)
check_grep "numeric ids: every distinct id is added" "14 read, 14 added, 0 duplicates, 0 rejected" "$out"
check_eq "numeric ids: shoal log gives each id back" \
    "$("$SHOAL" --db "$T/num" log | python3 -c 'import sys,json; print(" ".join(json.loads(l)["id"] for l in sys.stdin))')" \
    "$(python3 -c 'import sys,json; print(" ".join(json.loads(l)["id"] for l in open(sys.argv[1])))' "$T/num.ndjson")"
check_grep "numeric ids: check passes" "^ok" "$("$SHOAL" --db "$T/num" check)"
sed 's/"member":"a"/"member":"b"/' "$T/num.ndjson" > "$T/num2.ndjson"
out=$("$SHOAL" --db "$T/num" ingest --nosync --rejects "$T/numrej2" "$T/num2.ndjson" 2>/dev/null)
check_grep "numeric ids: the same ids with other content are conflicts, not duplicates" \
    "14 read, 0 added, 0 duplicates, 14 conflicting" "$out"
out=$("$SHOAL" --db "$T/num" ingest --nosync --rejects "$T/numrej3" "$T/num.ndjson" 2>/dev/null)
check_grep "numeric ids: the same events again are duplicates" "14 read, 0 added, 14 duplicates, 0 rejected" "$out"
