# pipe_room.sh — `shoal query` writing into a pipe gives it room for 1 MB (Linux,
# cli/util.c: shoal_cli_grow_stdout_pipe), so that a statement's output past the 64 kB
# a pipe holds by default does not wait for its reader. 4000 members listed (some
# 300 kB of a table, 200 kB of CSV): with a reader that starts reading 3 s late, the query has ended
# long before (it waited those 3 s with a pipe of 64 kB), and the reader still gets
# every row, byte for byte as into a file; the same for CSV.
. "$SHOAL_TESTS/lib.sh"

python3 - "$T/ev.ndjson" <<'X'
import json, sys
out = open(sys.argv[1], "w")
t = 1700000000000
for i in range(4000):
    m = "member-%06d-%s" % (i, "x" * (i % 80))
    for k in range(1 + i % 3):
        t += 1000
        out.write(json.dumps({"ts": t, "member": m, "type": "post"}) + "\n")
X
"$SHOAL" ingest -q "$T/ev.ndjson" 2>"$T/err"
check_eq "ingests" "$?" 0
q="SELECT member, count(post) AS n FROM members ORDER BY member;"
for fmt in table csv; do
    "$SHOAL" query --format $fmt "$q" > "$T/file.$fmt" 2>"$T/err.$fmt"
    check_eq "$fmt: into a file" "$?:$(cat "$T/err.$fmt")" "0:"
    check "$fmt: more than a pipe's 64 kB" test "$(wc -c < "$T/file.$fmt")" -gt 131072
    { "$SHOAL" query --format $fmt "$q"; date +%s%N > "$T/done.$fmt"; } | { sleep 3; date +%s%N > "$T/read.$fmt"; cat > "$T/pipe.$fmt"; }
    check "$fmt: the query ended before its reader began reading" test "$(cat "$T/done.$fmt")" -lt "$(cat "$T/read.$fmt")"
    check "$fmt: the reader got every byte" cmp "$T/pipe.$fmt" "$T/file.$fmt"
done
