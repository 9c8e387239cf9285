# import.sh — `shoal import stackexchange`: the sample dump in tests/data/se-sample
# (always) and the real History Meta dump in ../shared/data (when present), each
# checked event by event against se_oracle.py, an independent Python statement of the
# mapping; idempotent re-import; `shoal check`; Posts.xml and Posts.csv agree; broken
# rows rejected with their line numbers; a file that is not well-formed; bad usage.
. "$SHOAL_TESTS/lib.sh"

ORACLE="$SHOAL_TESTS/e2e/se_oracle.py"
SAMPLE="$SHOAL_TESTS/data/se-sample"

# compare NAME DIR DB: per-type counts and every event equal the oracle's.
compare() {
    local name=$1 dir=$2 db=$3 out
    "$SHOAL" --db "$db" log > "$T/$name.log"
    out=$(python3 "$ORACLE" "$dir" --compare "$T/$name.log"); rc=$?
    local bad
    bad=$(awk '$1 != "rejects" && $1 != "differences" && NF == 3 && $2 != $3' <<<"$out")
    if [ -z "$bad" ] && grep -q '^join ' <<<"$out"; then ok "$name: event counts per type equal the oracle's"
    else fail "$name: event counts per type equal the oracle's" "$out"; fi
    if [ "$rc" -eq 0 ]; then ok "$name: every event equals the oracle's (ids, times, members, groups, props)"
    else fail "$name: every event equals the oracle's (ids, times, members, groups, props)" "$out"; fi
    ORACLE_REJECTS=$(awk '$1 == "rejects" {print $2}' <<<"$out")
}

# ---------------------------------------------------------------- the sample

out=$("$SHOAL" --db "$T/s.db" import stackexchange --rejects "$T/s.rej" "$SAMPLE" 2>"$T/err"); rc=$?
check_eq "sample: exit 1 (some rows rejected)" "$rc" 1
check_grep "sample: summary" "^$SAMPLE: 1080 rows read, 1059 events added, 0 duplicates, 20 rows rejected \(see $T/s.rej\)$" "$out"
compare sample "$SAMPLE" "$T/s.db"
check_eq "sample: rejected rows equal the oracle's" "$(grep -c "^$SAMPLE/" "$T/s.rej")" "$ORACLE_REJECTS"
check_grep "sample: rejects name file, line and reason" "^$SAMPLE/Votes.xml:51: vote 71: post 30 is not in the dump \(deleted\)$" "$(cat "$T/s.rej")"
check_grep "sample: the rejected row follows its reason" '^  <row Id="71" PostId="30" VoteTypeId="2"|^<row Id="71" PostId="30" VoteTypeId="2"' "$(cat "$T/s.rej")"
check_grep "sample: first rejects echoed to stderr" "Votes.xml:17: " "$(cat "$T/err")"
check "sample: check passes" "$SHOAL" --db "$T/s.db" check

out=$("$SHOAL" --db "$T/s.db" import stackexchange --rejects "$T/s.rej" "$SAMPLE" 2>/dev/null)
check_grep "sample: re-import adds nothing" ": 1080 rows read, 0 events added, 1059 duplicates, 20 rows rejected" "$out"
check_eq "sample: the log did not grow" "$("$SHOAL" --db "$T/s.db" log | wc -l)" 1059

log=$(cat "$T/sample.log")
check_eq "sample: the Community bot is no member" "$("$SHOAL" --db "$T/s.db" log --member u--1 | wc -l)" 0
check_grep "sample: a reply names the asker and whether they are new" '"id":"se-post-2",.*"type":"reply",.*"to":"u-12","to_newcomer":true' "$log"
check_grep "sample: an acceptance dated by its vote" '"type":"essence",.*"time_from":"vote"' "$log"
check_grep "sample: badges with name and class" '"type":"achievement",.*"name":"Autobiographer","class":"bronze"' "$log"
check_grep "sample: questions are original posts with title and tags" '"id":"se-post-1",.*"type":"post","group":"discussion",.*"original":true,"title":"Should we include sources in answers\?","tags":"discussion answers"' "$log"
check_grep "sample: a vote cast the day a post was made is placed at the post" '"id":"se-vote-1","ts":"2011-10-11T19:44:27.657Z","member":"u-12","type":"like_received"' "$log"

# Default reject file: <basename of DIR>.rejects in the current directory.
(cd "$T" && "$SHOAL" --db "$T/d.db" import stackexchange -q "$SAMPLE/" >/dev/null 2>&1)
check_eq "sample: default reject file is se-sample.rejects here" "$(grep -c "^$SAMPLE/" "$T/se-sample.rejects" 2>/dev/null)" 20

# Posts.xml, as real dumps have it, gives the same events as the CSV conversion.
mkdir -p "$T/x"
cp "$SAMPLE"/*.xml "$T/x/"
python3 - "$SAMPLE/Posts.csv" "$T/x/Posts.xml" <<'X'
import csv, sys
from xml.sax.saxutils import quoteattr
with open(sys.argv[1], newline="", encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8-sig", newline="") as o:
    o.write('<?xml version="1.0" encoding="utf-8"?>\r\n<posts>\r\n')
    for r in csv.DictReader(f):
        attrs = " ".join("%s=%s" % (k, quoteattr(v, {"\n": "&#xA;", "\r": "&#xD;"})) for k, v in r.items() if v != "")
        o.write("  <row %s />\r\n" % attrs)
    o.write("</posts>")
X
"$SHOAL" --db "$T/x.db" import stackexchange -q --rejects "$T/x.rej" "$T/x" >/dev/null 2>&1
"$SHOAL" --db "$T/x.db" log > "$T/x.log"
check "Posts.xml and Posts.csv give the same log" cmp "$T/sample.log" "$T/x.log"

# ---------------------------------------------------------------- broken rows

mkdir -p "$T/b"
cp "$SAMPLE"/* "$T/b/"
python3 - "$T/b" <<'X'
import sys
d = sys.argv[1]
def edit(name, n, old, new):
    p = "%s/%s" % (d, name)
    lines = open(p, "rb").read().split(b"\n")
    assert old in lines[n - 1], (name, n, lines[n - 1])
    lines[n - 1] = lines[n - 1].replace(old, new)
    open(p, "wb").write(b"\n".join(lines))
edit("Votes.xml", 10, b'CreationDate="2011-10-11T00:00:00.000"', b'CreationDate="yesterday"')
edit("Badges.xml", 20, b'Class="3"', b'Class="7"')
edit("Users.xml", 30, b'<row Id="', b'<row Id="x')
edit("Votes.xml", 40, b'VoteTypeId="2"', b'VoteTypeId="99"')
# An answer that lost its ParentId (found by fuzzing): a reply with no question.
import csv
rows = list(csv.reader(open("%s/Posts.csv" % d, newline="", encoding="utf-8")))
h = rows[0]
a = next(r for r in rows[1:] if r[h.index("PostTypeId")] == "2")
a[h.index("ParentId")] = ""
csv.writer(open("%s/Posts.csv" % d, "w", newline="", encoding="utf-8"), lineterminator="\r\n").writerows(rows)
X
out=$("$SHOAL" --db "$T/b.db" import stackexchange --rejects "$T/b.rej" "$T/b" 2>/dev/null); rc=$?
check_eq "broken rows: exit 1" "$rc" 1
rej=$(cat "$T/b.rej")
check_grep "broken rows: a bad time is rejected with its line" "^$T/b/Votes.xml:10: vote [0-9]+: invalid timestamp \"yesterday\"" "$rej"
check_grep "broken rows: a bad badge class is rejected with its line" "^$T/b/Badges.xml:20: badge [0-9]+: Class must be 1, 2 or 3" "$rej"
check_grep "broken rows: a bad user id is rejected with its line" "^$T/b/Users.xml:30: user: Id \"x[0-9]+\" is not an integer" "$rej"
check_grep "broken rows: an unknown vote type is rejected with its line" "^$T/b/Votes.xml:40: vote [0-9]+: VoteTypeId 99 is not mapped" "$rej"
check_grep "broken rows: the rest goes in" "1080 rows read, 1055 events added, 0 duplicates, 24 rows rejected" "$out"
compare broken "$T/b" "$T/b.db"
check_grep "broken rows: an answer without a question is a reply without \"to\"" '"id":"se-post-2",.*"type":"reply",.*"post":2,"score":26}' "$("$SHOAL" --db "$T/b.db" log)"

# A file that is not well-formed: the import stops there, keeps what it read.
mkdir -p "$T/nw"
cp "$SAMPLE"/* "$T/nw/"
python3 - "$T/nw/Comments.xml" <<'X'
import sys
p = sys.argv[1]
lines = open(p, "rb").read().split(b"\n")
lines[49] = lines[49][:60]   # line 50 ends inside an attribute
open(p, "wb").write(b"\n".join(lines))
X
out=$("$SHOAL" --db "$T/nw.db" import stackexchange --rejects "$T/nw.rej" "$T/nw" 2>&1); rc=$?
check_eq "not well-formed: exit 2" "$rc" 2
check_grep "not well-formed: the error names file and line" "Comments.xml:5[01]: not well-formed XML" "$out"
check_grep "not well-formed: the reject file says where" "^$T/nw/Comments.xml:5[01]: not well-formed XML" "$(cat "$T/nw.rej")"
check_eq "not well-formed: what came before is committed" "$("$SHOAL" --db "$T/nw.db" log | grep -c '"type":"join"')" 131
check "not well-formed: check passes" "$SHOAL" --db "$T/nw.db" check

# ---------------------------------------------------------------- usage

check_status "no such directory exits 2" 2 "$SHOAL" --db "$T/u.db" import stackexchange "$T/none"
check_grep "no such directory is named" "no dump directory at \"$T/none\"" "$("$SHOAL" --db "$T/u.db" import stackexchange "$T/none" 2>&1)"
mkdir -p "$T/empty"
check_grep "a directory without Posts is refused" "no Posts.xml or Posts.csv" "$("$SHOAL" --db "$T/u.db" import stackexchange "$T/empty" 2>&1)"
check_status "unknown source exits 2" 2 "$SHOAL" --db "$T/u.db" import reddit "$SAMPLE"
check_status "missing directory argument exits 2" 2 "$SHOAL" --db "$T/u.db" import stackexchange
check_grep "help import" "usage: shoal import stackexchange" "$("$SHOAL" help import)"

# ---------------------------------------------------------------- the real dump

REAL=$(shared_data history-meta-stackexchange)
if [ -z "$REAL" ]; then
    skip "real dump: ../shared/data/history-meta-stackexchange is not present"
else
    t0=$(date +%s.%N)
    out=$("$SHOAL" --db "$T/r.db" import stackexchange --nosync --rejects "$T/r.rej" "$REAL" 2>/dev/null); rc=$?
    t1=$(date +%s.%N)
    echo "# real dump: $out ($(python3 -c "print('%.2f s' % ($t1 - $t0))"))"
    check_eq "real dump: exit 1 (deleted posts and accounts are rejected)" "$rc" 1
    compare real "$REAL" "$T/r.db"
    check_eq "real dump: rejected rows equal the oracle's" "$(grep -c "^$REAL/" "$T/r.rej")" "$ORACLE_REJECTS"
    check "real dump: check passes" "$SHOAL" --db "$T/r.db" check
    out=$("$SHOAL" --db "$T/r.db" import stackexchange --nosync --rejects "$T/r.rej" "$REAL" 2>/dev/null)
    check_grep "real dump: re-import adds nothing" ": [0-9]+ rows read, 0 events added, [0-9]+ duplicates" "$out"
fi
