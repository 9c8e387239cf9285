# formats.sh — the ingest formats through `shoal ingest`: the same events as NDJSON
# and as CSV (CRLF, quoted commas and newlines, byte order mark) give the same log;
# CSV rejects carry the line where the record starts; a 2 MiB line is rejected and the
# lines after it still go in; an unusable CSV header fails the file.
. "$SHOAL_TESTS/lib.sh"

cat > "$T/a.ndjson" <<'X'
{"id":"e-1","ts":"2025-03-04T09:00:12+08:00","member":"m-77","type":"post","group":"g-3","original":true,"words":640}
{"id":"e-2","ts":1741168800000,"member":"m-8","type":"reply","props":{"to":"m-77","score":2.5,"note":"a, \"b\"\nc"}}
{"id":"e-3","ts":"2025-03-06","member":"m-9","type":"checkin","n":2.0}
X
printf '\xef\xbb\xbfid,ts,member,type,group,original,words,to,score,note,n\r\n' > "$T/a.csv"
printf 'e-1,2025-03-04T01:00:12Z,m-77,post,g-3,true,640,,,,\r\n' >> "$T/a.csv"
printf '\r\n' >> "$T/a.csv"
printf 'e-2,2025-03-05T10:00:00Z,m-8,reply,,,,m-77,2.5,"a, ""b""\nc",\r\n' >> "$T/a.csv"
printf 'e-3,1741219200000,m-9,checkin,,,,,,,2\r\n' >> "$T/a.csv"

"$SHOAL" --db "$T/d1" ingest -q "$T/a.ndjson"; rc=$?
check_eq "ndjson ingests cleanly" "$rc" 0
"$SHOAL" --db "$T/d2" ingest -q "$T/a.csv"; rc=$?
check_eq "csv ingests cleanly" "$rc" 0
"$SHOAL" --db "$T/d1" log > "$T/l1"
"$SHOAL" --db "$T/d2" log > "$T/l2"
check_eq "three events" "$(wc -l < "$T/l1")" 3
check "csv and ndjson give the same log" cmp "$T/l1" "$T/l2"
check_grep "canonical number: 2.0 and 2 are the integer 2" '"n":2[,}]' "$(cat "$T/l1")"

# CSV rejects: line numbers are where the record starts, quoted newlines counted.
printf 'ts,member,type,note\n0,a,t,"x\ny"\nbad,b,t,z\n0,c,t,"p\nq"\n0,,t,w\n0,d,t,a"b\n' > "$T/r.csv"
out=$("$SHOAL" --db "$T/d3" ingest "$T/r.csv" 2>/dev/null); rc=$?
check_eq "csv with rejects exits 1" "$rc" 1
check_grep "csv summary" ": 5 read, 2 added, 0 duplicates, 3 rejected" "$out"
rej=$(cat "$T/r.csv.rejects")
check_grep "csv reject at line 4 (after a two-line record)" "r.csv:4: invalid timestamp \"bad\"" "$rej"
check_grep "csv reject at line 7 (missing member)" 'r.csv:7: missing "member"' "$rej"
check_grep "csv reject at line 8 (stray quote)" 'r.csv:8: field 4: quote inside an unquoted field' "$rej"

# A 2 MiB line between good ones.
{
    echo '{"ts":0,"member":"a","type":"t"}'
    printf '{"ts":0,"member":"b","type":"t","s":"'
    head -c 2097152 /dev/zero | tr '\0' x
    echo '"}'
    echo '{"ts":0,"member":"c","type":"t"}'
} > "$T/big.ndjson"
out=$("$SHOAL" --db "$T/d4" ingest "$T/big.ndjson" 2>/dev/null); rc=$?
check_eq "oversized line: exit 1" "$rc" 1
check_grep "oversized line: the others go in" ": 3 read, 2 added, 0 duplicates, 1 rejected" "$out"
check_grep "oversized line: reason with its line" "big.ndjson:2: line too long \(more than 1048576 bytes\)" \
    "$(head -1 "$T/big.ndjson.rejects")"
check_eq "oversized line: the reject file keeps the first 1 MiB" "$(sed -n 2p "$T/big.ndjson.rejects" | wc -c)" 1048577

# An unusable header fails the whole file.
printf 'ts,member,member,type\n0,a,b,t\n' > "$T/h.csv"
out=$("$SHOAL" --db "$T/d5" ingest "$T/h.csv" 2>&1); rc=$?
check_eq "bad header: exit 2" "$rc" 2
check_grep "bad header: reason" 'duplicate column "member" in header' "$out"
