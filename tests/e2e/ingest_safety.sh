# ingest_safety.sh — what ingest promises when things go wrong around it: the reject
# file cannot be written (full disk, /dev/full, a read-only directory) or names the
# input itself, the database's disk fills up, a CSV quote is stray, an id comes back
# with different content, a property name could never be read back; the counts it
# reports; and, for every command, output that cannot be written. Numbered as the
# items of issue 12 they test.
. "$SHOAL_TESTS/lib.sh"

good() { printf '{"id":"%s","ts":0,"member":"m","type":"join"}\n' "$1"; }

# 1. A reject file that cannot be written stops the ingest with the reason, and the
# batch whose rejects could not be written is not committed.
{ good a; echo bad; good b; } > "$T/one.ndjson"
out=$("$SHOAL" --db "$T/d1" ingest --rejects /dev/full "$T/one.ndjson" 2>&1); rc=$?
check_eq "rejects to /dev/full: exit 2" "$rc" 2
check_grep "rejects to /dev/full: the file and the reason" 'cannot write rejects to "/dev/full": No space left on device' "$out"
if printf '%s\n' "$out" | grep -q "see /dev/full"; then fail "rejects to /dev/full: the summary does not point to the lost rejects" "$out"; else ok "rejects to /dev/full: the summary does not point to the lost rejects"; fi
check_eq "rejects to /dev/full: nothing of the batch is committed" "$("$SHOAL" --db "$T/d1" log 2>/dev/null | wc -l)" 0
check_grep "rejects to /dev/full: says what is committed" "lines up to 0 are committed" "$out"
# Many rejects overflow the buffer: the write itself fails, with a reason too.
{ for i in $(seq 1 300); do echo "bad line $i with some padding to fill the buffer quickly"; done; good c; } > "$T/many.ndjson"
out=$("$SHOAL" --db "$T/d1" ingest --rejects /dev/full "$T/many.ndjson" 2>&1); rc=$?
check_eq "many rejects to /dev/full: exit 2" "$rc" 2
check_grep "many rejects to /dev/full: the reason" 'cannot write rejects to "/dev/full": No space left on device' "$out"
# The reject file fills up mid-way (a 64 KiB tmpfs, so root): every line up to the
# one said to be committed is in the log or has its reason in the reject file, and
# nothing after it is in the log.
mkdir "$T/tiny"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=64k shoal-test "$T/tiny" 2>/dev/null; then
    skip "reject file filling up: cannot mount a small tmpfs here (needs root)"
else
    awk 'BEGIN { pad = sprintf("%1000s", ""); gsub(/ /, "x", pad)
        for (i = 1; i <= 200; i++) if (i % 3 == 0) print "bad " i " " pad
        else printf "{\"id\":\"e%d\",\"ts\":0,\"member\":\"m\",\"type\":\"t\"}\n", i }' > "$T/fill.ndjson"
    out=$("$SHOAL" --db "$T/dfill" ingest --batch 4 --rejects "$T/tiny/rej" "$T/fill.ndjson" 2>&1); rc=$?
    acked=$(grep -o 'lines up to [0-9]* are committed' <<<"$out" | grep -o '[0-9][0-9]*')
    rejected=$(grep -o '^[^ ]*fill.ndjson:[0-9]*: ' "$T/tiny/rej" | sed 's/.*ndjson://; s/: //' | awk -v a="${acked:-0}" '$1 <= a' | wc -l)
    logged=$("$SHOAL" --db "$T/dfill" log | wc -l)
    last=$("$SHOAL" --db "$T/dfill" log | tail -1 | grep -o '"id":"e[0-9]*"' | grep -o '[0-9][0-9]*')
    umount "$T/tiny"
    check_eq "reject file fills up: exit 2" "$rc" 2
    check_grep "reject file fills up: the reason" 'cannot write rejects to ".*tiny/rej": No space left on device' "$out"
    check_eq "reject file fills up: some batches went in before" "$([ "${acked:-0}" -gt 0 ] && echo yes)" yes
    check_eq "reject file fills up: every committed line is logged or its reject on disk" "$((logged + rejected))" "${acked:-x}"
    check_eq "reject file fills up: nothing after the committed line is logged" "$([ "${last:-0}" -le "${acked:-0}" ] && echo yes)" yes
fi
# Rejects are in the file once their batch is committed.
{ good p; echo bad1; good q; good r; echo bad2; } > "$T/sync.ndjson"
"$SHOAL" --db "$T/d1s" ingest --batch 2 --rejects "$T/sync.rejects" "$T/sync.ndjson" >/dev/null 2>&1
check_eq "rejects of committed batches are in the file" "$(grep -c '^.*sync.ndjson:[0-9]*: ' "$T/sync.rejects")" 2

# 2. --rejects naming the input (by its name, a symbolic link or a hard link) is
# refused before anything is written, and the input is left whole.
for i in $(seq 1 50); do good "s$i"; done > "$T/self.ndjson"; echo bad >> "$T/self.ndjson"
ln -s "$T/self.ndjson" "$T/self.sym"; ln "$T/self.ndjson" "$T/self.hard"
for r in "$T/self.ndjson" "$T/self.sym" "$T/self.hard"; do
    out=$("$SHOAL" --db "$T/d2" ingest --rejects "$r" "$T/self.ndjson" 2>&1); rc=$?
    check_eq "--rejects $(basename "$r") = the input: exit 2" "$rc" 2
    check_grep "--rejects $(basename "$r") = the input: said" "the reject file \"$r\" is the input itself" "$out"
    check_eq "--rejects $(basename "$r") = the input: input intact" "$(wc -l < "$T/self.ndjson")" 51
done
check_eq "--rejects = the input: no database created" "$([ -e "$T/d2" ] && echo created)" ""
out=$("$SHOAL" --db "$T/d2" ingest --rejects "$T/self.ndjson" - < "$T/self.ndjson" 2>&1); rc=$?
check_eq "--rejects = standard input's file: exit 2" "$rc" 2
check_eq "--rejects = standard input's file: input intact" "$(wc -l < "$T/self.ndjson")" 51

# 3. The input's directory is read-only: the rejects go to the working directory,
# said in the summary, and the good lines go in. Needs a user that is not root.
if [ "$(id -u)" -ne 0 ]; then
    skip "read-only input directory: needs root to switch to user nobody (setpriv)"
elif ! command -v setpriv >/dev/null || ! setpriv --reuid=65534 --regid=65534 --clear-groups "$SHOAL" --version >/dev/null 2>&1; then
    skip "read-only input directory: setpriv cannot run shoal as nobody here"
else
    chmod 755 "$T"
    mkdir "$T/ro" "$T/wd"
    { good r1; echo bad; good r2; } > "$T/ro/in.ndjson"
    chmod 555 "$T/ro"; chmod 777 "$T/wd"
    nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
    out=$(cd "$T/wd" && nobody "$SHOAL" --db "$T/wd/db" ingest "$T/ro/in.ndjson" 2>&1); rc=$?
    check_eq "read-only input directory: exit 1 (a reject)" "$rc" 1
    check_grep "read-only input directory: summary names the fallback" "see in.ndjson.rejects in the working directory" "$out"
    check_grep "read-only input directory: the reject is in the working directory" "in.ndjson:2: " "$(cat "$T/wd/in.ndjson.rejects" 2>/dev/null)"
    check_eq "read-only input directory: the good lines are in" "$(nobody "$SHOAL" --db "$T/wd/db" log | wc -l)" 2
    rm -f "$T/wd/in.ndjson.rejects"; chmod 555 "$T/wd"
    out=$(cd "$T/wd" && nobody "$SHOAL" --db "$T/wd/db" ingest "$T/ro/in.ndjson" 2>&1); rc=$?
    check_eq "no writable place for rejects: exit 2" "$rc" 2
    check_grep "no writable place for rejects: says what to pass" "Permission denied.*pass --rejects FILE" "$out"
    out=$(cd "$T/wd" && nobody "$SHOAL" --db "$T/wd/db" ingest - < "$T/ro/in.ndjson" 2>&1); rc=$?
    check_eq "stdin, working directory read-only: exit 2" "$rc" 2
    check_grep "stdin, working directory read-only: says what to pass" 'rejects to "stdin.rejects": Permission denied \(pass --rejects FILE\)' "$out"
    chmod 755 "$T/ro" "$T/wd"
fi

# 7. The closing line gives the log's real size, even when nothing was added.
for i in 1 2 3 4 5 6 7; do good "c$i"; done > "$T/seven.ndjson"
"$SHOAL" --db "$T/d7" ingest "$T/seven.ndjson" >/dev/null 2>&1
echo bad > "$T/allbad.ndjson"; : > "$T/empty.ndjson"
check_grep "all lines rejected: the log still holds 7" "the log now holds 7 events" "$(cd "$T" && "$SHOAL" --db "$T/d7" ingest "$T/allbad.ndjson" 2>&1)"
check_grep "empty file: the log still holds 7" "the log now holds 7 events" "$("$SHOAL" --db "$T/d7" ingest "$T/empty.ndjson" 2>&1)"
check_grep "all duplicates: the log still holds 7" "the log now holds 7 events" "$("$SHOAL" --db "$T/d7" ingest "$T/seven.ndjson" 2>&1)"

# 2 for import: the reject file may not be one of the dump's files either.
cp -r "$SHOAL_TESTS/data/se-sample" "$T/se"
n=$(wc -l < "$T/se/Votes.xml")
out=$("$SHOAL" --db "$T/dse" import stackexchange --rejects "$T/se/Votes.xml" "$T/se" 2>&1); rc=$?
check_eq "import --rejects = a dump file: exit 2" "$rc" 2
check_grep "import --rejects = a dump file: said" "the reject file \"$T/se/Votes.xml\" is the input" "$out"
check_eq "import --rejects = a dump file: file intact" "$(wc -l < "$T/se/Votes.xml")" "$n"

# 4. The database's disk fills up: the error says so, and where (LMDB reports the
# short write as "Input/output error"). Needs a small tmpfs, so root. 80000 events: 40000
# fit in 2 MB once the id index kept runs (format 8).
mkdir "$T/small"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=2m shoal-test "$T/small" 2>/dev/null; then
    skip "disk full: cannot mount a small tmpfs here (needs root)"
else
    "$SHOAL" gen --events 80000 --seed 3 > "$T/big.ndjson"
    out=$("$SHOAL" --db "$T/small/db" ingest "$T/big.ndjson" 2>&1); rc=$?
    umount "$T/small"
    check_eq "disk full: exit 2" "$rc" 2
    check_grep "disk full: says the disk is full, and which" "no space left on the device holding \"$T/small/db\"" "$out"
    if printf '%s\n' "$out" | grep -q "Input/output error"; then fail "disk full: not reported as an I/O error" "$out"; else ok "disk full: not reported as an I/O error"; fi
fi

# 5. One stray opening quote in a CSV file: that line alone is rejected (file:line)
# and the rest goes in, whether the file ends before the 1 MiB record limit or not.
for n in 2000 60000; do
    awk -v n=$n 'BEGIN { print "id,ts,member,type,title"
        for (i = 1; i <= n; i++) printf "c-%d,2025-01-01T00:00:00Z,m-%d,post,%s\n", i, i % 7, (i == 5 ? "\"stray" : "plain title") }' > "$T/stray$n.csv"
    out=$("$SHOAL" --db "$T/d5-$n" ingest "$T/stray$n.csv" 2>/dev/null); rc=$?
    check_eq "stray quote ($n lines): exit 1" "$rc" 1
    check_grep "stray quote ($n lines): one reject, the rest added" "$n read, $((n - 1)) added, 0 duplicates, 1 rejected" "$out"
    check_grep "stray quote ($n lines): the reject names file:line" "^$T/stray$n.csv:6: unterminated quoted field" "$(head -1 "$T/stray$n.csv.rejects" 2>/dev/null)"
    check_eq "stray quote ($n lines): the reject holds that line only" "$(sed -n 2p "$T/stray$n.csv.rejects" 2>/dev/null)" 'c-5,2025-01-01T00:00:00Z,m-5,post,"stray'
done
# A stray quote that a later quoted field closes: only its own line is lost.
awk 'BEGIN { print "id,ts,member,type,title"
    for (i = 1; i <= 20; i++) printf "c-%d,2025-01-01T00:00:00Z,m-%d,post,%s\n", i, i % 7, (i == 5 ? "\"stray" : i == 9 ? "\"quoted, fine\"" : "plain") }' > "$T/stray_mid.csv"
out=$("$SHOAL" --db "$T/d5m" ingest "$T/stray_mid.csv" 2>/dev/null)
check_grep "stray quote closed later: one reject, the rest added" "20 read, 19 added, 0 duplicates, 1 rejected" "$out"
check_grep "stray quote closed later: the reject names its line" "^$T/stray_mid.csv:6: unterminated quoted field: this line alone is rejected" "$(head -1 "$T/stray_mid.csv.rejects" 2>/dev/null)"

# 6. Conflicting duplicates (same id, different content) are counted apart from true
# duplicates, each goes to the reject file with file:line, and the exit status is 1.
# Numbers compare canonically (2 and 2.0 are the same), property order does not matter.
cat > "$T/c1.ndjson" <<'X'
{"id":"a","ts":0,"member":"m","type":"join","n":2,"s":"x"}
{"id":"b","ts":0,"member":"m","type":"join","x":"hello"}
{"id":"c","ts":0,"member":"m","type":"post","group":"g"}
X
cat > "$T/c2.ndjson" <<'X'
{"id":"a","ts":0,"member":"m","type":"join","s":"x","n":2.0}
{"id":"b","ts":0,"member":"m","type":"join","x":"hellO"}
{"id":"c","ts":0,"member":"m","type":"post"}
{"id":"d","ts":0,"member":"m","type":"post"}
{"id":"d","ts":0,"member":"m","type":"post","q":true}
{"id":"d","ts":0,"member":"m","type":"post"}
X
"$SHOAL" --db "$T/d6" ingest "$T/c1.ndjson" >/dev/null 2>&1
out=$("$SHOAL" --db "$T/d6" ingest "$T/c2.ndjson" 2>"$T/c2.err"); rc=$?
check_eq "conflicts: exit 1" "$rc" 1
check_grep "conflicts: counted apart from duplicates" "6 read, 1 added, 2 duplicates, 3 conflicting \(same id, different content\), 0 rejected \(see $T/c2.ndjson.rejects\)" "$out"
rej=$(cat "$T/c2.ndjson.rejects" 2>/dev/null)
check_eq "conflicts: the reject file names each line" "$(grep -o '^[^ ]*ndjson:[0-9]*: conflicting duplicate' <<<"$rej" | sed 's/.*ndjson://; s/:.*//' | tr '\n' ' ')" "2 3 5 "
check_grep "conflicts: the reason names the id and the stored event" "c2.ndjson:2: conflicting duplicate: id \"b\" is in the log \(seq 2\) with different content" "$rej"
check_grep "conflicts: the event follows, as NDJSON" '^\{"id":"b","ts":"1970-01-01T00:00:00Z","member":"m","type":"join","x":"hellO"\}$' "$rej"
check_grep "conflicts: echoed to stderr with file:line" "c2.ndjson:5: conflicting duplicate: id \"d\"" "$(cat "$T/c2.err")"
check_eq "conflicts: the log keeps the first version" "$("$SHOAL" --db "$T/d6" log | grep '"id":"b"' | grep -c hello)" 1
check "conflicts: check passes" "$SHOAL" --db "$T/d6" check
# The same file again: its conflicts again, and its own repeats as duplicates.
out=$("$SHOAL" --db "$T/d6" ingest "$T/c2.ndjson" 2>/dev/null); rc=$?
check_grep "conflicts, again" "6 read, 0 added, 3 duplicates, 3 conflicting" "$out"

# 8. shoal log with a member, type or group the log has never seen: an error naming it
# (exit 2, nothing on stdout), with the close name when there is one.
cat > "$T/l.ndjson" <<'X'
{"id":"l1","ts":0,"member":"m-77","type":"post","group":"g-3"}
{"id":"l2","ts":1,"member":"m-8","type":"like"}
X
"$SHOAL" --db "$T/d8" ingest "$T/l.ndjson" >/dev/null 2>&1
for a in "--type posts:event type \"posts\".*did you mean \"post\"" "--member m-78:member \"m-78\".*did you mean \"m-77\"" "--group g-4:group \"g-4\".*did you mean \"g-3\"" "--type zzzzzzzz:event type \"zzzzzzzz\" in the log$"; do
    opt=${a%%:*}; want=${a#*:}
    out=$("$SHOAL" --db "$T/d8" log $opt 2>"$T/l.err"); rc=$?
    check_eq "log $opt: exit 2" "$rc" 2
    check_eq "log $opt: nothing on stdout" "$out" ""
    check_grep "log $opt: says so" "^shoal log: error: ${opt%% *}: no $want" "$(cat "$T/l.err")"
done
check_eq "log --group filters" "$("$SHOAL" --db "$T/d8" log --group g-3 | grep -c '"id":"l1"')" 1
check_eq "log --type known still prints" "$("$SHOAL" --db "$T/d8" log --type like | wc -l)" 1

# 9. Property names the language could never read back are refused at ingest, with
# file:line: seq (the log sequence), and ts, member, type, group in any case.
printf '%s\n' '{"id":"r1","ts":0,"member":"m","type":"t","seq":5}' '{"id":"r2","ts":0,"member":"m","type":"t","Type":"x"}' \
    '{"id":"r3","ts":0,"member":"m","type":"t","props":{"SEQ":1}}' '{"id":"r4","ts":0,"member":"m","type":"t","sequence":1}' > "$T/r.ndjson"
out=$("$SHOAL" --db "$T/d9" ingest "$T/r.ndjson" 2>/dev/null); rc=$?
check_eq "reserved names: exit 1" "$rc" 1
check_grep "reserved names: three rejected, sequence is fine" "4 read, 1 added, 0 duplicates, 3 rejected" "$out"
rej=$(cat "$T/r.ndjson.rejects" 2>/dev/null)
check_grep "reserved names: seq, with file:line" "r.ndjson:1: property \"seq\" is a reserved name" "$rej"
check_grep "reserved names: Type (any case)" "r.ndjson:2: property \"Type\" is a reserved name" "$rej"
check_grep "reserved names: SEQ inside props" "r.ndjson:3: property \"SEQ\" is a reserved name" "$rej"
check_eq "reserved names: a property that is not reserved reads back" "$("$SHOAL" --db "$T/d9" query --format csv "SELECT sequence FROM events" | tail -1)" 1
printf 'ts,member,type,Seq\n0,m,t,1\n' > "$T/r.csv"
check_grep "reserved names: a CSV column is refused at the header" 'column name "Seq" is reserved' "$("$SHOAL" --db "$T/d9" ingest "$T/r.csv" 2>&1)"

# 10. Output that cannot be written (a full disk: /dev/full) fails the command, with a
# message, whatever the command is.
if [ -w /dev/full ]; then
    for cmd in "stats" "stats --json" "log" "help" "help ingest" "--version" "ingest $T/seven.ndjson"; do
        out=$("$SHOAL" --db "$T/d7" $cmd 2>&1 >/dev/full); rc=$?
        check_eq "$cmd > /dev/full: exit 2" "$rc" 2
        check_grep "$cmd > /dev/full: says so" "cannot write the output" "$out"
    done
    out=$("$SHOAL" --db "$T/d7" query "SELECT count(*) FROM events" 2>&1 >/dev/full); rc=$?
    check_eq "query > /dev/full: exit 2" "$rc" 2
    check_grep "query > /dev/full: says so" "cannot write the output" "$out"
else
    skip "output to a full disk: no /dev/full here"
fi
check_status "stats to a working stdout still exits 0" 0 "$SHOAL" --db "$T/d7" stats

# 2, the database's side: a reject file that is one of the database's own files would
# overwrite it (data.mdb truncated: the database is gone). Refused, database intact.
{ good z1; echo bad; } > "$T/z.ndjson"
"$SHOAL" --db "$T/dz" ingest "$T/seven.ndjson" >/dev/null 2>&1
for f in data.mdb lock.mdb; do
    out=$("$SHOAL" --db "$T/dz" ingest --rejects "$T/dz/$f" "$T/z.ndjson" 2>&1); rc=$?
    check_eq "--rejects DB/$f: exit 2" "$rc" 2
    check_grep "--rejects DB/$f: said" "the reject file \"$T/dz/$f\" is a file of the database" "$out"
done
ln -s "$T/dz/data.mdb" "$T/dz.link"
check_status "--rejects a link to data.mdb: exit 2" 2 "$SHOAL" --db "$T/dz" ingest --rejects "$T/dz.link" "$T/z.ndjson"
check_status "--rejects data.mdb: import refuses too" 2 "$SHOAL" --db "$T/dz" import stackexchange --rejects "$T/dz/data.mdb" "$T/se"
check "--rejects data.mdb: the database is intact" "$SHOAL" --db "$T/dz" check
