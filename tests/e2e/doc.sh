#!/usr/bin/env bash
# tests/e2e/doc.sh — docs/LANGUAGE.md must not drift: every ```sql block that is
# followed by a ```text block is run, in order, with `shoal query --format table` over
# the fixture in the doc's <!-- fixture --> ```json block (--quiet: without the status lines
# of SET and CREATE), and its output (or its error)
# must equal the text block.
. "$(dirname "$0")/../lib.sh"
doc="$SHOAL_TESTS/../docs/LANGUAGE.md"
[ -f "$doc" ] || { fail doc "docs/LANGUAGE.md is missing"; exit 0; }

awk -v dir="$T" '
    /^<!-- fixture -->$/ { fixture = 1; next }
    fixture && /^```json$/ { infx = 1; next }
    infx && /^```$/ { infx = 0; fixture = 0; next }
    infx { print > (dir "/fixture.ndjson"); next }
    /^```sql$/ { insql = 1; n++; q = ""; next }
    insql && /^```$/ { insql = 0; pending = 1; next }
    insql { q = q $0 "\n"; next }
    pending && /^```text$/ { intext = 1; pending = 0; printf "%s", q > (dir "/q" n); printf "" > (dir "/o" n); next }
    pending { pending = 0 }
    intext && /^```$/ { intext = 0; next }
    intext { print > (dir "/o" n); next }
' "$doc"
"$SHOAL" ingest "$T/fixture.ndjson" >/dev/null 2>&1 || { fail doc-fixture "cannot ingest the doc's fixture"; exit 0; }
n=0
for q in $(ls "$T"/q* 2>/dev/null | sort -V); do
    i=${q##*/q}
    [ -f "$T/o$i" ] || continue
    n=$((n + 1))
    got=$("$SHOAL" query --format table --quiet "$(cat "$q")" 2>&1)
    want=$(cat "$T/o$i")
    first=$(head -n 1 "$q" | cut -c1-50)
    if [ "$got" == "$want" ]; then ok "doc-example-$i"; else fail "doc-example-$i ($first)" "got:" "$got" "want:" "$want"; fi
done
[ "$n" -ge 10 ] && ok doc-has-examples || fail doc-has-examples "only $n examples found"
