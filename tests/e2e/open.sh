# open.sh — opening what is not ours, read-only use, damaged files, stale readers
# (docs/ARCHITECTURE.md, "Opening"). Every command on a damaged database gives a clear
# error and an exit status, never a signal; `check` says FAILED with exit 1.
. "$SHOAL_TESTS/lib.sh"
# Background readers and holders are this script's: none outlives it.
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT

# run_st NAME WANT PATTERN COMMAND...: the command exits with one of the statuses in
# WANT (a list: "1" or "0 2"), not by a signal, and its output (both streams) matches
# PATTERN (grep -E; "" for any).
run_st() {
    local name=$1 want=$2 pat=$3; shift 3
    local out rc
    out=$("$@" 2>&1); rc=$?
    local shown
    shown=$(printf '%s\n' "$out" | head -5 | sed '2,$s/^/  /')
    if [[ " $want " != *" $rc "* ]]; then fail "$name" "exit $rc, want one of $want: $*" "$shown"
    elif [ -n "$pat" ] && ! printf '%s\n' "$out" | grep -Eq -- "$pat"; then fail "$name" "no match for /$pat/ in:" "$shown"
    else ok "$name"; fi
}

# To make environments that are not shoal's and to damage what shoal keeps in meta:
# lmdbput DIR TABLE KEY VALUE ("-" is the main table; \xHH in VALUE is a byte), through
# dbpoke (tests/tools/).
lmdbput() { "$DBPOKE" "$1" "$2" "$3" put "$4"; }
PUT=lmdbput

"$SHOAL" gen --events 3000 --seed 3 > "$T/ev.ndjson"
"$SHOAL" gen --events 6000 --seed 4 | sed 's/"id":"/"id":"b/' > "$T/ev2.ndjson"
"$SHOAL" --db "$T/base" ingest -q "$T/ev.ndjson"

# ---------------------------------------------------------------- stale readers

# A reader killed inside its transaction leaves its slot in LMDB's reader table for as
# long as some process keeps the database open (the first to open it alone resets the
# table). `shoal log` into a full pipe sits in its read transaction; an idle REPL keeps
# the database open without one.
mkfifo "$T/pipe" "$T/repl_in"
exec 3<>"$T/pipe" 4<>"$T/repl_in"
n_readers() { "$SHOAL" --db "$1" stats --json 2>/dev/null | grep -o '"pid"' | wc -l; }
wait_readers() {   # DB N: until N other readers are open (at most 10 s)
    for _ in $(seq 100); do [ "$(n_readers "$1")" -eq "$2" ] && return 0; sleep 0.1; done
    return 1
}
cp -r "$T/base" "$T/r"
"$SHOAL" --db "$T/r" repl < "$T/repl_in" > /dev/null 2>&1 &
holder=$!
stuck=1
for round in 1 2 3; do
    pids=()
    for _ in $(seq 60); do "$SHOAL" --db "$T/r" log > "$T/pipe" 2>/dev/null & pids+=($!); done
    wait_readers "$T/r" 60 || stuck=0
    kill -9 "${pids[@]}" 2>/dev/null
    wait "${pids[@]}" 2>/dev/null
done
if [ $stuck -eq 1 ]; then ok "60 readers at a time, three times over (180 killed in their transactions)"
else fail "60 readers at a time, three times over" "some could not start: $("$SHOAL" --db "$T/r" stats 2>&1 | tail -2)"; fi
out=$("$SHOAL" --db "$T/r" stats 2>&1)
check_grep "stats reclaims the slots of killed readers and says so" '60 stale slots of killed readers reclaimed' "$out"
check_grep "and lists no reader left" '^readers +0 other' "$out"
check_eq "reads work after 180 killed readers" "$("$SHOAL" --db "$T/r" query --format csv 'SELECT count(*) FROM events' 2>&1)" $'count(*)\n3000'

# A reader that stays (stuck in its transaction) while batches are written keeps the
# pages they free: stats names it, how far behind it is and what it keeps.
"$SHOAL" --db "$T/r" log > "$T/pipe" 2>/dev/null &
old=$!
wait_readers "$T/r" 1
"$SHOAL" --db "$T/r" ingest -q --batch 100 "$T/ev2.ndjson"
"$SHOAL" --db "$T/r" stats > "$T/stats.out" 2> "$T/stats.err"
check_grep "stats lists the old reader, transactions behind" "pid +$old +[0-9]+ transactions behind, keeps [0-9.]+ [KM]iB from reuse" "$(cat "$T/stats.out")"
check_grep "stats warns about the reader that pins pages" "warning: reader pid $old is [0-9]+ transactions behind and keeps" "$(cat "$T/stats.err")"
behind=$("$SHOAL" --db "$T/r" stats --json 2>/dev/null | grep -o '"behind":[0-9]*' | grep -o '[0-9]*$')
if [ "${behind:-0}" -ge 60 ]; then ok "stats --json: the reader is $behind transactions behind"; else fail "stats --json gives the reader's age" "behind: $behind"; fi
kill -9 $old; wait $old 2>/dev/null

# One killed reader, while another process keeps the database open: before the slots
# were reclaimed, its snapshot pinned every page freed after it and the file grew.
grow() {   # DB KILL: bytes of DB's data.mdb after ingesting ev2 in small batches
    "$SHOAL" --db "$1" repl < "$T/repl_in" > /dev/null 2>&1 &
    local h=$!
    if [ "$2" = 1 ]; then
        "$SHOAL" --db "$1" log > "$T/pipe" 2>/dev/null &
        local p=$!
        wait_readers "$1" 1
        kill -9 $p; wait $p 2>/dev/null
    fi
    "$SHOAL" --db "$1" ingest -q --batch 100 "$T/ev2.ndjson"
    kill $h; wait $h 2>/dev/null
    stat -c %s "$1/data.mdb"
}
cp -r "$T/base" "$T/g1"; cp -r "$T/base" "$T/g2"
a=$(grow "$T/g1" 1); b=$(grow "$T/g2" 0)
if [ "$a" -le $((b + b / 10)) ]; then ok "a killed reader does not make the file grow ($a bytes, $b without it)"
else fail "a killed reader does not make the file grow" "$a bytes with a killed reader, $b without"; fi
kill $holder; wait $holder 2>/dev/null
exec 3>&- 4>&-

# ---------------------------------------------------------------- damaged files

"$SHOAL" --db "$T/base" query "CREATE COUNTERS acts AS count(*); CREATE SCORE eng AS 1*join + 2*purchase HALF_LIFE 30 DAYS" > /dev/null
size=$(stat -c %s "$T/base/data.mdb")
# Truncated: LMDB maps the file and reads a page past its end as SIGBUS. Each
# command refuses with the file's name; check says FAILED, exit 1.
for cut in 100 5000 8192 $((size / 2)) $((size - 4096)) $((size - 1)); do
    rm -rf "$T/d"; cp -r "$T/base" "$T/d"; truncate -s $cut "$T/d/data.mdb"
    run_st "truncated to $cut: check finds it (exit 1)" 1 "FAILED: .*d/data.mdb\" is truncated: $cut bytes, the database needs at least" "$SHOAL" --db "$T/d" check
    run_st "truncated to $cut: stats refuses, naming the file" 2 "error: .*d/data.mdb\" is truncated" "$SHOAL" --db "$T/d" stats
    run_st "truncated to $cut: query refuses" 2 "is truncated" "$SHOAL" --db "$T/d" query 'SELECT count(*) FROM events'
    run_st "truncated to $cut: ingest refuses" 2 "is truncated" "$SHOAL" --db "$T/d" ingest -q "$T/ev2.ndjson"
done

# One byte flipped in a meta page, at every byte of both: no signal ever; check
# passes (the byte is one LMDB ignores, like the address) or says FAILED (exit 1); the
# others run or refuse (exit 2, or 1 for a statement).
flip() {   # DB OFFSET: flips the byte at OFFSET of DB/data.mdb
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1/data.mdb" | tr -d ' ')
    printf "$(printf '\\x%02x' $((b ^ 255)))" | dd of="$1/data.mdb" bs=1 seek="$2" conv=notrunc status=none
}
psize=$(getconf PAGESIZE)
for page in 0 1; do
    bad=() n_failed=0
    for off in $(seq 16 151); do
        rm -rf "$T/d"; cp -r "$T/base" "$T/d"; flip "$T/d" $((page * psize + off))
        out=$("$SHOAL" --db "$T/d" check 2>&1); rc=$?
        [ $rc -eq 1 ] && n_failed=$((n_failed + 1))
        if [ $rc -gt 1 ] || { [ $rc -eq 1 ] && ! grep -q '^FAILED: ' <<< "$out"; }; then bad+=("check@$off:$rc"); fi
        "$SHOAL" --db "$T/d" query 'SELECT count(*), count(DISTINCT member) FROM events' > /dev/null 2>&1; rc=$?
        [ $rc -gt 2 ] && bad+=("query@$off:$rc")
    done
    if [ ${#bad[@]} -eq 0 ]; then ok "meta page $page, each of its 136 bytes flipped: no signal, check exit 0 or 1 ($n_failed found)"
    else fail "meta page $page flipped: no signal, check exit 0 or 1" "${bad[*]}"; fi
done
# Which meta page is the current one: the one with the greater transaction id.
t0=$(od -An -tu8 -j 144 -N8 "$T/base/data.mdb" | tr -d ' '); t1=$(od -An -tu8 -j $((psize + 144)) -N8 "$T/base/data.mdb" | tr -d ' ')
cur=$(( t1 > t0 ? psize : 0 ))
rm -rf "$T/d"; cp -r "$T/base" "$T/d"; flip "$T/d" $((cur + 16))
run_st "current meta's magic flipped: a clear message" 1 "FAILED: .*d/data.mdb\" is not an LMDB file, or its (first|second) meta page is damaged" "$SHOAL" --db "$T/d" check
rm -rf "$T/d"; cp -r "$T/base" "$T/d"; flip "$T/d" $((cur + 138))
run_st "current meta's last page flipped: the file is too short for it" 2 "d/data.mdb\" is truncated: $size bytes, the database needs at least" "$SHOAL" --db "$T/d" stats
# A file that ends before the meta's last page with nothing in use there: LMDB does
# not write a page its transaction took and freed again (a loose page), though its
# last page counts it (an ingest's batch of duplicates met it, session 15). A view made
# and dropped leaves the file's last pages free: the last one cut off makes such a
# file. Every command runs on it, check passes, an ingest writes on (its new pages past
# the end). A page in use cut off is still refused (above).
rm -rf "$T/d"; cp -r "$T/base" "$T/d"
"$SHOAL" --db "$T/d" query "CREATE SCORE tmp AS 1*join + 3*purchase HALF_LIFE 3 DAYS; DROP VIEW tmp" > /dev/null ||
    fail "loose pages past the end: make and drop a view"
truncate -s $(( $(stat -c %s "$T/d/data.mdb") - psize )) "$T/d/data.mdb"
n_ev=$("$SHOAL" --db "$T/base" query --format csv 'SELECT count(*) AS n FROM events' | tail -1)
run_st "loose pages past the end: stats runs" 0 "" "$SHOAL" --db "$T/d" stats
run_st "loose pages past the end: query runs" 0 "^$n_ev\$" "$SHOAL" --db "$T/d" query --format csv 'SELECT count(*) AS n FROM events'
run_st "loose pages past the end: check passes" 0 "^ok" "$SHOAL" --db "$T/d" check
run_st "loose pages past the end: ingest writes on" 0 "" "$SHOAL" --db "$T/d" ingest -q "$T/ev2.ndjson"
run_st "loose pages past the end: check after the ingest" 0 "^ok" "$SHOAL" --db "$T/d" check
rm -rf "$T/d"; cp -r "$T/base" "$T/d"; flip "$T/d" $((cur + 43))
run_st "current meta's page size flipped: refused" 2 "(meta page of .*d/data.mdb\" is damaged|d/data.mdb\" is not an LMDB file, or its first meta page is damaged)" "$SHOAL" --db "$T/d" log
rm -rf "$T/d"; cp -r "$T/base" "$T/d"; flip "$T/d" $((cur + 44))
run_st "current meta's free-page flags flipped: ingest refuses (LMDB asserted)" 2 "is damaged" "$SHOAL" --db "$T/d" ingest -q "$T/ev2.ndjson"
rm -rf "$T/d"; cp -r "$T/base" "$T/d"; flip "$T/d" $((cur + 100))
run_st "current meta's page count flipped: check finds the pages do not add up" 1 "FAILED: .*pages do not add up" "$SHOAL" --db "$T/d" check

# Pages LMDB finds damaged (every page's flags flipped): a clear message, exit 1.
rm -rf "$T/d"; cp -r "$T/base" "$T/d"
for p in $(seq 2 $((size / psize - 1))); do flip "$T/d" $((p * psize + 10)); done
run_st "damaged pages: check names the page" 1 "FAILED: .*d\" is damaged: page [0-9]+ of table \"\(tables\)\" is damaged: it is neither a branch nor a leaf page" "$SHOAL" --db "$T/d" check
run_st "damaged pages: query says so" "1 2" "is damaged" "$SHOAL" --db "$T/d" query 'SELECT count(*) FROM events'

# One bit flipped anywhere in the data pages (a fixed sample): check walks LMDB's
# B-trees itself before LMDB reads them, so a damaged node offset or key size is a
# problem it reports (LMDB would read outside the page and die of SIGSEGV).
RANDOM=5
bad=() n_failed=0
for _ in $(seq 80); do
    rm -rf "$T/d"; cp -r "$T/base" "$T/d"
    pos=$(( (RANDOM * 32768 + RANDOM) % (size - 2 * psize) + 2 * psize ))
    b=$(od -An -tu1 -j "$pos" -N1 "$T/d/data.mdb" | tr -d ' ')
    printf "$(printf '\\x%02x' $((b ^ (1 << (RANDOM % 8)))))" | dd of="$T/d/data.mdb" bs=1 seek="$pos" conv=notrunc status=none
    out=$("$SHOAL" --db "$T/d" check 2>&1); rc=$?
    [ $rc -eq 1 ] && n_failed=$((n_failed + 1))
    if [ $rc -gt 1 ] || { [ $rc -eq 1 ] && ! grep -q '^FAILED: ' <<< "$out"; }; then bad+=("$pos:$rc"); fi
done
if [ ${#bad[@]} -eq 0 ]; then ok "80 single bits flipped in data pages: check exit 0 or 1, never a signal ($n_failed found)"
else fail "single bits flipped in data pages: check exit 0 or 1" "${bad[*]}"; fi

# A file cut while a command reads it: SIGBUS cannot be prevented, and is a message.
rm -rf "$T/d"; cp -r "$T/base" "$T/d"
exec 3<>"$T/pipe"
"$SHOAL" --db "$T/d" log > "$T/pipe" 2> "$T/cut.err" 3>&- &
p=$!
wait_readers "$T/d" 1
truncate -s 8192 "$T/d/data.mdb"
# The drain holds no end of the test's output (run_one waits for every writer of it)
# and is killed by its own pid.
cat "$T/pipe" > /dev/null 2>&1 3>&- &
c=$!
wait $p; rc=$?
exec 3>&-
kill $c 2>/dev/null; wait $c 2>/dev/null
if [ $rc -eq 2 ] && grep -q 'is damaged, or was cut while in use: a read went past the end of its data.mdb (SIGBUS)' "$T/cut.err"; then ok "a file cut under a reader: a message and exit 2, not SIGBUS"
else fail "a file cut under a reader: a message and exit 2" "exit $rc" "$(cat "$T/cut.err")"; fi

# ---------------------------------------------------------------- what is not ours

mkdir "$T/other"; echo notes > "$T/other/README"
run_st "ingest into a directory holding other files: refused, naming it" 2 "other\" is not empty and holds no shoal database" "$SHOAL" --db "$T/other" ingest -q "$T/ev.ndjson"
check_eq "and nothing was created there" "$(ls "$T/other")" "README"
run_st "a read-only command there: no database" 2 "no database at .*other\"" "$SHOAL" --db "$T/other" stats
run_st "query there: no database" 2 "no database at .*other\"" "$SHOAL" --db "$T/other" query 'SELECT count(*) FROM events'
check_eq "still nothing created" "$(ls "$T/other")" "README"
run_st "--db naming a file: refused" 2 "other/README\" is not a directory" "$SHOAL" --db "$T/other/README" stats
run_st "ingest with --db naming a file: refused" 2 "is not a directory" "$SHOAL" --db "$T/other/README" ingest -q "$T/ev.ndjson"
mkdir "$T/empty"
run_st "ingest into an empty directory creates the database" 0 "" "$SHOAL" --db "$T/empty" ingest -q "$T/ev.ndjson"
run_st "ingest into a new directory creates it" 0 "" "$SHOAL" --db "$T/newdb" ingest -q "$T/ev.ndjson"
run_st "ingest into an existing shoal database adds to it" 0 "" "$SHOAL" --db "$T/empty" ingest -q "$T/ev2.ndjson"
check_eq "  which holds both" "$("$SHOAL" --db "$T/empty" query --format csv 'SELECT count(*) FROM events')" $'count(*)\n9000'

# LMDB environments of someone else: one with a named table, one with keys in its
# main table. Nothing of shoal's is added to them; every command refuses.
mkdir "$T/foreign" "$T/plain"
"$PUT" "$T/foreign" things key value && "$PUT" "$T/plain" - key value || fail "lmdbput makes environments"
for env in foreign plain; do
    sum=$(md5sum < "$T/$env/data.mdb")
    run_st "$env LMDB environment: ingest refuses, naming it" 2 "$env\" holds an LMDB environment that is not a shoal database" "$SHOAL" --db "$T/$env" ingest -q "$T/ev.ndjson"
    run_st "$env LMDB environment: query refuses (not 0 rows)" 2 "not a shoal database" "$SHOAL" --db "$T/$env" query 'SELECT count(*) FROM events'
    run_st "$env LMDB environment: stats refuses" 2 "not a shoal database" "$SHOAL" --db "$T/$env" stats
    run_st "$env LMDB environment: check says FAILED" 1 "FAILED: .*not a shoal database" "$SHOAL" --db "$T/$env" check
    check_eq "$env LMDB environment: left as it was" "$(md5sum < "$T/$env/data.mdb")" "$sum"
done

# The format version is read strictly: garbage is damage, not an old format.
for bad in 2x ' 2' 02 '' 0 -1 1.5 '\x00'; do
    rm -rf "$T/d"; cp -r "$T/base" "$T/d"; "$PUT" "$T/d" meta format "$bad"
    run_st "format \"$bad\": refused as damaged" 2 "d\" has a damaged format version .* in its meta \(this shoal reads 1 to [0-9]+\)" "$SHOAL" --db "$T/d" query 'SELECT count(*) FROM events'
    run_st "format \"$bad\": check says FAILED" 1 "FAILED: .*damaged format version" "$SHOAL" --db "$T/d" check
done
rm -rf "$T/d"; cp -r "$T/base" "$T/d"; "$PUT" "$T/d" meta format 99
run_st "format 99: a newer shoal's" 2 "has format version 99, newer than this shoal" "$SHOAL" --db "$T/d" stats

# A view definition that does not decode names its view; statements that do not need
# it run, SHOW VIEWS lists it as broken, check reports it, DROP VIEW removes it.
for bad in 'garbage\x00\x01' '\x01\x01\x03eng\x00\x00\x00\x00' '\x01\x09\x04acts'; do
    rm -rf "$T/d"; cp -r "$T/base" "$T/d"; "$PUT" "$T/d" meta view.acts "$bad"
    run_st "view definition \"$bad\": statements that do not need it run" 0 "^3000$" "$SHOAL" --db "$T/d" query --format csv 'SELECT count(*) AS n FROM events'
    run_st "  a score from another view still reads" 0 "" "$SHOAL" --db "$T/d" query 'SELECT member, eng FROM members ORDER BY eng DESC LIMIT 3'
    run_st "  SHOW VIEWS lists it as broken" 0 "^acts,broken,\(damaged: its definition does not decode\)" "$SHOAL" --db "$T/d" query --format csv 'SHOW VIEWS'
    run_st "  check names it" 1 "FAILED: .*the definition of view \"acts\" does not decode \(damaged\); DROP VIEW acts removes it" "$SHOAL" --db "$T/d" check
    run_st "  ingest refuses, naming it (the view would fall behind)" 2 "the definition of view \"acts\" does not decode" "$SHOAL" --db "$T/d" ingest -q "$T/ev2.ndjson"
    run_st "  rebuild refuses, naming it" 2 "view \"acts\"" "$SHOAL" --db "$T/d" rebuild
    run_st "  DROP VIEW removes it" 0 "" "$SHOAL" --db "$T/d" query 'DROP VIEW acts'
    run_st "  then check passes" 0 "^ok$" "$SHOAL" --db "$T/d" check
    run_st "  and ingest works" 0 "" "$SHOAL" --db "$T/d" ingest -q "$T/ev2.ndjson"
done
# A layer's definition without its text: listed as broken, named by check, and
# DROP VIEW removes it; other statements run.
rm -rf "$T/d"; cp -r "$T/base" "$T/d"
"$SHOAL" --db "$T/d" query 'CREATE LAYER lay AS count(join) DURING all_time > 1' > /dev/null
"$PUT" "$T/d" meta def.lay 'layer'
run_st "damaged layer: SHOW VIEWS lists it as broken" 0 "^lay,broken,\(damaged: its definition does not decode\)" "$SHOAL" --db "$T/d" query --format csv 'SHOW VIEWS'
run_st "  other statements run" 0 "^3000$" "$SHOAL" --db "$T/d" query --format csv 'SELECT count(*) AS n FROM events'
run_st "  a query naming it: no such layer" 1 "unknown layer \"lay\"" "$SHOAL" --db "$T/d" query 'SELECT count(*) FROM members WHERE member IN lay'
run_st "  check names it" 1 "FAILED: .*the definition of \"lay\" does not decode \(damaged\); DROP VIEW lay removes it" "$SHOAL" --db "$T/d" check
run_st "  DROP VIEW removes it" 0 "" "$SHOAL" --db "$T/d" query 'DROP VIEW lay'
run_st "  then check passes" 0 "^ok$" "$SHOAL" --db "$T/d" check

# ---------------------------------------------------------------- --readonly

cp -r "$T/base" "$T/ro"
run_st "--readonly: stats" 0 "^events +3000" "$SHOAL" --readonly --db "$T/ro" stats
run_st "--readonly after the command: query" 0 "^3000$" "$SHOAL" --db "$T/ro" query --readonly --format csv 'SELECT count(*) AS n FROM events'
for st in "CREATE COUNTERS c2 AS count(join)" "DROP VIEW acts" "SET DATABASE TIMEZONE = 'Europe/Paris'" "CREATE LAYER l AS count(join) DURING all_time > 1"; do
    run_st "--readonly: $st is refused" 1 "error: the database is open read-only" "$SHOAL" --readonly --db "$T/ro" query "$st"
done
run_st "--readonly: ingest is refused" 2 "this command writes to the database, which --readonly forbids" "$SHOAL" --readonly --db "$T/ro" ingest -q "$T/ev2.ndjson"
run_st "--readonly: rebuild is refused" 2 "which --readonly forbids" "$SHOAL" --readonly --db "$T/ro" rebuild
out=$("$SHOAL" --db "$T/ro" query --format csv "SELECT count(*) AS n FROM events; SHOW VIEWS" 2>&1 | grep -v '^n\|^name' | cut -d, -f1 | tr '\n' ',')
check_eq "--readonly: nothing was written" "$out" "3000,acts,eng,"
run_st "--readonly: no database is created" 2 "no database at" "$SHOAL" --readonly --db "$T/nothing" query 'SELECT count(*) FROM events'
[ -e "$T/nothing" ] && fail "--readonly creates no directory" || ok "--readonly creates no directory"

# A user who may read the database but not write its directory or lock file.
as_other=()
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null && id nobody > /dev/null 2>&1; then
    as_other=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --)
fi
if [ ${#as_other[@]} -gt 0 ] && "${as_other[@]}" test -x "$SHOAL" && chmod 755 "$T" && "${as_other[@]}" test -r "$T/ro/data.mdb"; then
    chmod 755 "$T/ro"; chmod 644 "$T/ro/data.mdb" "$T/ro/lock.mdb"
    run_st "another user without --readonly: told to pass it" 2 "cannot open .*ro\": Permission denied \(to read a database you cannot write, pass --readonly\)" "${as_other[@]}" "$SHOAL" --db "$T/ro" stats
    run_st "another user, --readonly: stats" 0 "^events +3000" "${as_other[@]}" "$SHOAL" --readonly --db "$T/ro" stats
    run_st "  stats says readers are unknown (no locks)" 0 "^readers +unknown" "${as_other[@]}" "$SHOAL" --readonly --db "$T/ro" stats
    run_st "  stats --json too" 0 '"readers_unknown":true' "${as_other[@]}" "$SHOAL" --readonly --db "$T/ro" stats --json
    run_st "  query, from the views" 0 "^3000$" "${as_other[@]}" "$SHOAL" --readonly --db "$T/ro" query --format csv 'SELECT count(*) AS n FROM events'
    run_st "  log" 0 "" "${as_other[@]}" "$SHOAL" --readonly --db "$T/ro" log
    run_st "  check" 0 "^ok$" "${as_other[@]}" "$SHOAL" --readonly --db "$T/ro" check
    run_st "  repl" 0 "^3000$" "${as_other[@]}" "$SHOAL" --readonly --db "$T/ro" repl --format csv <<< 'SELECT count(*) AS n FROM events;'
    run_st "  a write is refused" 1 "open read-only" "${as_other[@]}" "$SHOAL" --readonly --db "$T/ro" query "SET DATABASE TIMEZONE = 'UTC'"
    run_st "  a damaged copy: still a clear message" 1 "FAILED: .*is truncated" sh -c "cp -r '$T/ro' '$T/ro2' && truncate -s 20000 '$T/ro2/data.mdb' && exec ${as_other[*]} '$SHOAL' --readonly --db '$T/ro2' check"
else
    skip "--readonly as a user who cannot write: needs root, setpriv and a user nobody who can reach the binary"
fi
