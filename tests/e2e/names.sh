# names.sh — the names table (format 7, docs/ARCHITECTURE.md "The names table"):
# the names a query prints are the log's, after ingests in many batches across chunk
# boundaries, duplicates and a kill -9; an older database is read through the
# dictionary until its first writable open makes the table; a damaged chunk fails
# `shoal check` and makes a query that prints its names fail with a clear error.
. "$SHOAL_TESTS/lib.sh"

# The names table behind shoal's back (dbpoke, tests/tools/): names_tool DIR MODE, MODE
#   byte    flips the last name byte of the members' chunk 0 (key 01 00000000)
#   offset  sets an offset of the members' chunk 0 past its end (slot 4's end)
#   header  flips bits of the members' chunk 0's count (make fuzz found it: the chunk
#           was kept after its header failed, and the next name read off it)
#   drop    deletes the members' chunk 1
#   old     makes the database one of format 5: no names table, meta format "5"
#   format  prints meta's format
names_tool() {
    case $2 in
        byte) "$DBPOKE" "$1" names 0x0100000000 xor -1 1 ;;
        offset) "$DBPOKE" "$1" names 0x0100000000 set 24 0x7f7f7f7f ;;
        header) "$DBPOKE" "$1" names 0x0100000000 xor 0 35 ;;
        drop) "$DBPOKE" "$1" names 0x0100000001 del ;;
        old) "$DBPOKE" "$1" names - drop && "$DBPOKE" "$1" meta format put 5 ;;
        format) "$DBPOKE" "$1" meta format text ;;
    esac
}
TOOL=names_tool

# 150k events of 4545 members: two chunks of members, ingested 1000 events a batch, so
# that the first chunk is appended to some hundred times and a batch crosses into the
# second.
"$SHOAL" gen --events 150000 --seed 7 > "$T/ev.ndjson"
head -70000 "$T/ev.ndjson" > "$T/a.ndjson"
tail -n +70001 "$T/ev.ndjson" > "$T/b.ndjson"
members_of() { grep -ho '"member":"[^"]*"' "$@" | sed 's/"member":"//; s/"$//' | LC_ALL=C sort -u; }
groups_of() { grep -ho '"group":"[^"]*"' "$@" | sed 's/"group":"//; s/"$//' | LC_ALL=C sort -u; }
want_m=$(members_of "$T/ev.ndjson")
want_g=$(groups_of "$T/ev.ndjson")
printed_m() { "$SHOAL" --db "$1" query --format csv "${@:2}" 'SELECT member FROM members' | tail -n +2 | LC_ALL=C sort; }
printed_g() {
    "$SHOAL" --db "$1" query --format csv "${@:2}" 'SELECT group, count(*) FROM events GROUP BY group' | tail -n +2 |
        sed 's/,[0-9]*$//; /^$/d' | LC_ALL=C sort
}

"$SHOAL" --db "$T/db" ingest -q --batch 1000 "$T/a.ndjson"
"$SHOAL" --db "$T/db" ingest -q --batch 1000 "$T/b.ndjson"
check_eq "4545 members in two chunks" "$(printf '%s\n' "$want_m" | wc -l)" 4545
check_eq "printed member names are the log's" "$(printed_m "$T/db")" "$want_m"
check_eq "printed group names are the log's" "$(printed_g "$T/db")" "$want_g"
check_status "  check passes" 0 "$SHOAL" --db "$T/db" check

# Duplicates: the same file again adds no name and leaves the chunks sound.
"$SHOAL" --db "$T/db" ingest -q --batch 1000 "$T/ev.ndjson"
check_eq "after a duplicate ingest: the same names" "$(printed_m "$T/db")" "$want_m"
check_status "  check passes" 0 "$SHOAL" --db "$T/db" check

# kill -9 in the middle of an ingest, then the ingest again: the chunks hold what
# the committed batches interned, and the rest is added.
"$SHOAL" --db "$T/k" ingest -q --batch 200 "$T/ev.ndjson" &
pid=$!
for _ in $(seq 200); do
    [ -f "$T/k/data.mdb" ] && [ "$(stat -c %s "$T/k/data.mdb")" -gt 2000000 ] && break
    sleep 0.02
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check_status "after kill -9: check passes" 0 "$SHOAL" --db "$T/k" check
"$SHOAL" --db "$T/k" ingest -q --batch 1000 "$T/ev.ndjson"
check_eq "  and after the ingest again, the same names" "$(printed_m "$T/k")" "$want_m"
check_status "  check passes" 0 "$SHOAL" --db "$T/k" check

# 8, not 7: its ids e-10, e-11, ... are kept as runs in the id index (format 8).
check_eq "a new database, ingested, is of format 8" "$("$TOOL" "$T/db" format)" 8

# An older database (format 5: no names table). Read-only, it is read through the
# dictionary and left as it is; the first writable open makes the table and format 7.
cp -r "$T/db" "$T/old" && "$TOOL" "$T/old" old
check_eq "older database, read-only: the same names" "$(printed_m "$T/old" --readonly)" "$want_m"
check_status "  check passes" 0 "$SHOAL" --db "$T/old" --readonly check
check_eq "  still of format 5" "$("$TOOL" "$T/old" format)" 5
check_eq "first writable open: the same names" "$(printed_m "$T/old")" "$want_m"
check_eq "  and format 7" "$("$TOOL" "$T/old" format)" 7
check_status "  check passes" 0 "$SHOAL" --db "$T/old" check
"$SHOAL" --db "$T/old" ingest -q "$T/ev.ndjson"
"$SHOAL" gen --events 3000 --seed 8 | sed 's/"id":"e-/"id":"x-/; s/"member":"m-/"member":"n-/' > "$T/c.ndjson"
"$SHOAL" --db "$T/old" ingest -q "$T/c.ndjson"
check_eq "  then new members' names" "$(printed_m "$T/old")" "$(members_of "$T/ev.ndjson" "$T/c.ndjson")"
check_status "  check passes" 0 "$SHOAL" --db "$T/old" check

# Damage: a flipped name byte is check's to find; an offset past the chunk and a
# missing chunk also fail a query that prints those names, with a clear error.
cp -r "$T/db" "$T/d1" && "$TOOL" "$T/d1" byte
out=$("$SHOAL" --db "$T/d1" check 2>&1); rc=$?
check_eq "a flipped name byte: check exits 1" "$rc" 1
check_grep "  and names it" "FAILED.*names table's name of id [0-9]+ in namespace 1 is not the dictionary's" "$out"
cp -r "$T/db" "$T/d2" && "$TOOL" "$T/d2" offset
out=$("$SHOAL" --db "$T/d2" query --format csv 'SELECT member FROM members ORDER BY member' 2>&1); rc=$?
check_eq "an offset past its chunk: the query fails" "$rc" 1
check_grep "  saying which chunk" "is damaged: chunk 0 of the names table \(members\) has a name outside it" "$out"
check_status "  check exits 1" 1 "$SHOAL" --db "$T/d2" check
cp -r "$T/db" "$T/d4" && "$TOOL" "$T/d4" header
out=$("$SHOAL" --db "$T/d4" check 2>&1); rc=$?
check_eq "a chunk's count damaged: check exits 1 (no crash)" "$rc" 1
check_grep "  and names the chunk" "chunk 0 of the names table \(members\) has a bad header" "$out"
out=$("$SHOAL" --db "$T/d4" query --format csv 'SELECT member FROM members ORDER BY member' 2>&1); rc=$?
check_eq "  a query printing those names fails (no crash)" "$rc" 1
check_grep "  saying which chunk" "is damaged: chunk 0 of the names table \(members\) has a bad header" "$out"
cp -r "$T/db" "$T/d3" && "$TOOL" "$T/d3" drop
out=$("$SHOAL" --db "$T/d3" query --format csv 'SELECT member FROM members' 2>&1); rc=$?
check_eq "a missing chunk: the query fails" "$rc" 1
check_grep "  saying which chunk" "is damaged: chunk 1 of the names table \(members\) is missing" "$out"
out=$("$SHOAL" --db "$T/d3" check 2>&1); rc=$?
check_eq "  check exits 1" "$rc" 1
check_grep "  and names it" "chunk 1 of the names table \(members\) is missing" "$out"
