# id_runs.sh — the id index's runs (format 8, docs/ARCHITECTURE.md "Runs") through the
# command line: a counter's ids in order are a few entries; the same file again,
# shuffled, or with one event changed inside a run is found stored, with the stored
# sequence; the same ids out of order make a database that answers the same.
. "$SHOAL_TESTS/lib.sh"

"$SHOAL" gen --events 3000 --seed 4 > "$T/g.ndjson"
"$SHOAL" --db "$T/a" ingest -q "$T/g.ndjson"
out=$("$SHOAL" --db "$T/a" check 2>&1)
# e-1 … e-9 keep their text (one entry each), e-10 … e-255 and e-256 … e-3000 a run each
check_grep "in order: 3000 ids in 11 entries" "ids 3000 in 11 entries" "$out"
check_eq "  of format 8" "$("$DBPOKE" "$T/a" meta format text)" 8

out=$("$SHOAL" --db "$T/a" ingest "$T/g.ndjson" 2>&1)
check_grep "the same file again: all duplicates" ": 3000 read, 0 added, 3000 duplicates" "$out"
awk 'BEGIN { srand(4) } { print rand() "\t" $0 }' "$T/g.ndjson" | sort -n | cut -f2- > "$T/s.ndjson"
check_eq "  (the shuffled copy is out of order)" "$(cmp -s "$T/g.ndjson" "$T/s.ndjson"; echo $?)" 1
out=$("$SHOAL" --db "$T/a" ingest "$T/s.ndjson" 2>&1)
check_grep "shuffled: all duplicates" ": 3000 read, 0 added, 3000 duplicates" "$out"

# the shuffled file into a new database: an entry an id, check clean, the same answers
"$SHOAL" --db "$T/b" ingest -q "$T/s.ndjson"
out=$("$SHOAL" --db "$T/b" check 2>&1)
check_grep "shuffled into a new database: check clean" "ids 3000 in [0-9]+ entries" "$out"
check_status "  check exits 0" 0 "$SHOAL" --db "$T/b" check
q='SELECT type, count(*) AS n, count(DISTINCT member) AS m FROM events GROUP BY type ORDER BY type'
check_eq "  the same answers" "$("$SHOAL" --db "$T/b" query --format csv "$q" 2>&1)" "$("$SHOAL" --db "$T/a" query --format csv "$q" 2>&1)"
out=$("$SHOAL" --db "$T/b" ingest "$T/g.ndjson" 2>&1)
check_grep "  and the in-order file into it: all duplicates" ": 3000 read, 0 added, 3000 duplicates" "$out"

# one event inside the run e-256 … e-3000 changed: a conflict, named with its sequence
sed -n 1500p "$T/g.ndjson" | sed 's/"type":"[^"]*"/"type":"changed"/' > "$T/c.ndjson"
check_grep "  (e-1500 is changed)" '"id":"e-1500".*"type":"changed"' "$(cat "$T/c.ndjson")"
out=$("$SHOAL" --db "$T/a" ingest "$T/c.ndjson" 2>&1)
check_grep "one changed inside a run: a conflict" "1 conflicting" "$out"
check_grep "  with the stored sequence" 'id "e-1500" is in the log \(seq 1500\)' "$out"
# and one past the run's end is new, lengthening it
sed -n 3000p "$T/g.ndjson" | sed 's/"id":"e-3000"/"id":"e-3001"/' > "$T/n.ndjson"
out=$("$SHOAL" --db "$T/a" ingest "$T/n.ndjson" 2>&1)
check_grep "the id after the run: added" ": 1 read, 1 added, 0 duplicates" "$out"
check_grep "  the run lengthened" "ids 3001 in 11 entries" "$("$SHOAL" --db "$T/a" check 2>&1)"
