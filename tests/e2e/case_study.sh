# case_study.sh — docs/CASE-STUDY.md is real: every ```sql block followed by a ```text
# block is run with `shoal query --format table` over the History Meta Stack Exchange
# dump imported with `shoal import stackexchange`, and its output must be the text
# block. With CASE_STUDY_UPDATE=1 (`make case-study`) the text blocks are rewritten
# with the outputs instead. Skips, with the reason, when the dump is absent or the
# binary has no `query` command. QSHOAL may name another binary for the queries.
. "$SHOAL_TESTS/lib.sh"

DOC="$SHOAL_TESTS/../docs/CASE-STUDY.md"
QSHOAL=${QSHOAL:-$SHOAL}
REAL=$(shared_data history-meta-stackexchange)
if [ -z "$REAL" ]; then
    skip "case study: ../shared/data/history-meta-stackexchange is not present"
    exit 0
fi
if ! "$QSHOAL" help query >/dev/null 2>&1; then
    skip "case study: this shoal has no query command"
    exit 0
fi
"$SHOAL" --db "$T/cs.db" import stackexchange -q --nosync --rejects "$T/cs.rej" "$REAL" >/dev/null 2>&1
if [ "$("$SHOAL" --db "$T/cs.db" log | wc -l)" -lt 1000 ]; then
    fail "case study: the dump imports" "$(cat "$T/cs.rej" | head -5)"
    exit 0
fi

python3 - "$DOC" "$QSHOAL" "$T/cs.db" "${CASE_STUDY_UPDATE:-0}" <<'X'
import re, subprocess, sys
doc, shoal, db, update = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
text = open(doc, encoding="utf-8").read()
pat = re.compile(r"```sql\n(.*?)```\n```text\n(.*?)```\n", re.S)
out, pos, n = [], 0, 0
for m in pat.finditer(text):
    n += 1
    sql, want = m.group(1), m.group(2)
    r = subprocess.run([shoal, "--db", db, "query", "--format", "table", "--quiet", sql], capture_output=True, text=True)
    got = r.stdout + r.stderr
    first = sql.strip().splitlines()[-1][:60]
    if update:
        out.append(text[pos:m.start()] + "```sql\n" + sql + "```\n```text\n" + got + "```\n")
        pos = m.end()
        print("ok case study: %d updated (%s)" % (n, first))
    elif got == want:
        print("ok case study: %d (%s)" % (n, first))
    else:
        print("FAIL case study: %d (%s)\n  want:\n%s\n  got:\n%s" % (n, first, want, got))
if update:
    out.append(text[pos:])
    open(doc, "w", encoding="utf-8").write("".join(out))
if n == 0:
    print("FAIL case study: no sql blocks in %s" % doc)
X
