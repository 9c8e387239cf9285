# ingest.sh — `shoal ingest`, `stats`, `log`, `check` on small hand-made files:
# counts, rejects with line numbers, idempotent re-ingest, stdin, CSV, round-trip,
# exit statuses and error messages.
. "$SHOAL_TESTS/lib.sh"

cat > "$T/ev.ndjson" <<'X'
{"id":"e-1","ts":"2025-03-04T09:00:12+08:00","member":"m-77","type":"join","group":"g-3"}
{"id":"e-2","ts":"2025-03-04T10:00:00Z","member":"m-77","type":"post","group":"g-3","original":true,"words":640}
this is not json

{"id":"e-3","ts":"2025-03-05T10:00:00Z","type":"post"}
{"id":"e-4","ts":1741168800000,"member":"m-8","type":"reply","props":{"to":"m-77","score":2.5}}
{"id":"e-5","ts":"2025-13-01T00:00:00Z","member":"m-8","type":"like"}
{"ts":"2025-03-06T00:00:00Z","member":"m-9","type":"checkin","note":"caf\u00e9 \ud83d\udc1f"}
{"id":"e-2","ts":"2025-03-04T10:00:00Z","member":"m-77","type":"post","group":"g-3","original":true,"words":640}
X

out=$("$SHOAL" ingest "$T/ev.ndjson" 2>"$T/err"); rc=$?
check_eq "ingest exits 1 when some lines are rejected" "$rc" 1
check_grep "summary counts read, added, duplicates, rejected" "^$T/ev.ndjson: 8 read, 4 added, 1 duplicates, 3 rejected" "$out"
rej=$(cat "$T/ev.ndjson.rejects" 2>/dev/null)
check_grep "reject file names line 3" "^$T/ev.ndjson:3: " "$rej"
check_grep "reject file names line 5 and the missing field" "^$T/ev.ndjson:5: .*member" "$rej"
check_grep "reject file names line 7 (bad month)" "^$T/ev.ndjson:7: " "$rej"
check_grep "reject file keeps the original line" "^this is not json$" "$rej"
check_eq "reject file has two lines per reject" "$(wc -l < "$T/ev.ndjson.rejects")" 6
check_grep "rejects are echoed to stderr with file:line" "ev.ndjson:3: " "$(cat "$T/err")"

out=$("$SHOAL" ingest "$T/ev.ndjson" 2>/dev/null); rc=$?
check_grep "re-ingest adds nothing" ": 8 read, 0 added, 5 duplicates, 3 rejected" "$out"

stats=$("$SHOAL" stats --json)
check_eq "stats: events" "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])' <<<"$stats")" 4
check_eq "stats: members" "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["members"])' <<<"$stats")" 3
check_eq "stats: types with counts" "$(python3 -c 'import json,sys; d=json.load(sys.stdin)["types"]; print(sorted(d.items()))' <<<"$stats")" "[('checkin', 1), ('join', 1), ('post', 1), ('reply', 1)]"
check_eq "stats: time range (offset applied)" "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["first"], d["last"])' <<<"$stats")" "2025-03-04T01:00:12Z 2025-03-06T00:00:00Z"
check_grep "stats table shows the disk size" "on disk" "$("$SHOAL" stats)"

log=$("$SHOAL" log)
check_eq "log prints every event" "$(wc -l <<<"$log")" 4
check_grep "log: props flattened, numbers kept" '"member":"m-8","type":"reply","score":2.5,"to":"m-77"|"to":"m-77","score":2.5' "$log"
check_grep "log: escapes decoded and re-encoded as UTF-8" '"note":"café 🐟"' "$log"
check_eq "log --member" "$("$SHOAL" log --member m-77 | wc -l)" 2
check_eq "log --from --limit" "$("$SHOAL" log --from 2 --limit 1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')" "e-2"
check_status "log --member unknown is an error" 2 "$SHOAL" log --member nobody

# Round trip: the log ingests into a fresh database and prints the same log.
"$SHOAL" log > "$T/a.ndjson"
"$SHOAL" --db "$T/db2" ingest -q "$T/a.ndjson"; rc=$?
check_eq "log output ingests cleanly" "$rc" 0
"$SHOAL" --db "$T/db2" log > "$T/b.ndjson"
check "ingest → log → ingest → log is identical" cmp "$T/a.ndjson" "$T/b.ndjson"
check "check passes" "$SHOAL" check

# stdin, and the default reject file name for it.
out=$(cd "$T" && printf '%s\n' '{"id":"s-1","ts":0,"member":"m-1","type":"join"}' 'oops' | "$SHOAL" --db "$T/dbs" ingest - 2>/dev/null); rc=$?
check_eq "stdin: exit 1 with a reject" "$rc" 1
check_grep "stdin: summary" "^<stdin>: 2 read, 1 added, 0 duplicates, 1 rejected" "$out"
check_grep "stdin: rejects go to stdin.rejects" "^<stdin>:2: " "$(cat "$T/stdin.rejects" 2>/dev/null)"

# CSV with a header, quoted fields spanning lines.
printf 'id,ts,member,type,group,title,words\nc-1,2025-01-01T00:00:00Z,m-1,post,g-1,"hello, ""world""\nsecond line",12\nc-2,2025-01-02T00:00:00Z,m-2,like,,,\n' > "$T/ev.csv"
out=$("$SHOAL" --db "$T/dbc" ingest "$T/ev.csv" 2>&1); rc=$?
check_eq "csv ingests" "$rc" 0
check_grep "csv: quoted field with comma, quote and newline" '"title":"hello, \\"world\\"\\nsecond line","words":12' "$("$SHOAL" --db "$T/dbc" log)"

# Errors: what and where, and the right exit status.
check_status "missing input file exits 2" 2 "$SHOAL" ingest "$T/nope.ndjson"
check_grep "missing input file is named" "nope.ndjson" "$("$SHOAL" ingest "$T/nope.ndjson" 2>&1)"
check_status "stats on a missing database exits 2" 2 "$SHOAL" --db "$T/none" stats
check_grep "missing database is named" "no database at \"$T/none\"" "$("$SHOAL" --db "$T/none" stats 2>&1)"
check_status "unknown command exits 2" 2 "$SHOAL" frobnicate
check_status "unknown option exits 2" 2 "$SHOAL" ingest --frob x
check_grep "help lists the commands" "ingest.*stats|stats" "$("$SHOAL" help)"
check_grep "help COMMAND shows its usage" "usage: shoal ingest" "$("$SHOAL" help ingest)"
check_grep "--version" "^shoal [0-9]+\.[0-9]+" "$("$SHOAL" --version)"
check_grep "SHOAL_DB chooses the database" "events +4" "$(SHOAL_DB="$T/db" "$SHOAL" stats)"

# Progress on a terminal only: under a pty (script) a progress line appears, without
# one it does not.
"$SHOAL" gen --events 50000 --seed 3 > "$T/p.ndjson"
script -qec "\"$SHOAL\" --db \"$T/dbp\" ingest --nosync --batch 1000 \"$T/p.ndjson\"" /dev/null > "$T/pty.out" 2>&1
check_grep "progress line on a terminal" "M events, [0-9]+ MB, [0-9.]+M events/s" "$(tr '\r' '\n' < "$T/pty.out")"
"$SHOAL" --db "$T/dbq" ingest --nosync --batch 1000 "$T/p.ndjson" > "$T/nopty.out" 2>&1
if grep -q "events/s   " "$T/nopty.out"; then fail "no progress line without a terminal" "$(cat "$T/nopty.out")"; else ok "no progress line without a terminal"; fi
