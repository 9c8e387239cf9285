#!/usr/bin/env bash
# tests/e2e/define_first.sh — definitions before the events: the bench's views, layers,
# tiers, retention and experiment created on an empty database (their event types and
# properties not seen yet: a warning names them), then the events ingested, answer every
# question as the same definitions created after the ingest do; a misspelt type is
# named by the warning, and a query's own text still refuses it.
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 30000 --seed 5 > "$T/ev.ndjson" 2>/dev/null || { fail define-first-gen; exit 0; }
DEFS="$SHOAL_TESTS/../bench/queries"
{ grep -v '^--' "$DEFS/views.shoal"; grep -v '^--' "$DEFS/definitions.shoal"; grep -v '^--' "$DEFS/experiments.shoal"; } > "$T/defs.shoal"
echo "CREATE ACTIVITY active ON post, comment, reply, checkin;" >> "$T/defs.shoal"

A="$T/a" B="$T/b"
: > "$T/empty.ndjson"
# No database yet (issue 13): a text that only reads says so and makes nothing; with
# --readonly, definitions make nothing either; a directory that holds other files is
# someone else's. Then the definitions themselves create the database.
out=$("$SHOAL" --db "$A" query "SELECT count(*) FROM events" 2>&1)
check_grep "define-first: a query of no database says so" 'no database at' "$out"
check_eq "define-first: … and creates nothing" "$([ -e "$A" ] && echo made || echo none)" "none"
out=$("$SHOAL" --readonly --db "$A" query -f "$T/defs.shoal" 2>&1)
check_grep "define-first: --readonly definitions create nothing" 'no database at' "$out"
check_eq "define-first: … nothing" "$([ -e "$A" ] && echo made || echo none)" "none"
mkdir -p "$T/other" && echo keep > "$T/other/notes.txt"
out=$("$SHOAL" --db "$T/other" query -f "$T/defs.shoal" 2>&1)
check_grep "define-first: not in a directory of other files" 'is not empty and holds no shoal database' "$out"
check_eq "define-first: … which is left as it was" "$(ls "$T/other")" "notes.txt"
warn=$("$SHOAL" --db "$A" query -f "$T/defs.shoal" 2>&1 >/dev/null)
check_eq "define-first: the definitions load with no database directory (it is created)" "$?" "0"
check_eq "define-first: all of them" "$("$SHOAL" --db "$A" query --format csv "SHOW VIEWS" | tail -n +2 | wc -l)" "11"
check_grep "define-first: a warning names the types not seen yet" "warning: layer connector names what no event has yet: comment, reply, referral" "$warn"
check_grep "define-first: … for a view's series too" "warning: firstlast seen names what no event has yet: join, post" "$warn"
"$SHOAL" --db "$A" ingest -q "$T/ev.ndjson" || { fail define-first-ingest; exit 0; }
"$SHOAL" --db "$B" ingest -q "$T/ev.ndjson" || { fail define-first-ingest2; exit 0; }
"$SHOAL" --db "$B" query -f "$T/defs.shoal" > /dev/null 2>&1 || { fail define-first-defs-after; exit 0; }
check "define-first: check after the ingest" "$SHOAL" --db "$A" check

NOW="SET NOW = '2025-06-30T23:59:59.999Z';"
same() {
    local name=$1 q=$2 a b
    a=$("$SHOAL" --db "$A" query --format csv "$NOW $q" 2>&1)
    b=$("$SHOAL" --db "$B" query --format csv "$NOW $q" 2>&1)
    if [ "$a" == "$b" ] && [ "$(printf '%s\n' "$b" | wc -l)" -gt 1 ]; then ok "$name"; else fail "$name" "defined first:" "$(printf '%s\n' "$a" | head -5)" "defined after:" "$(printf '%s\n' "$b" | head -5)"; fi
}
for q in "$DEFS"/layers.shoal "$DEFS"/core_creator.shoal "$DEFS"/first_post.shoal "$DEFS"/retention.shoal "$DEFS"/top_engagement.shoal; do
    same "define-first: $(basename "$q")" "$(grep -v '^--' "$q" | grep -v '^SET NOW' | sed 's/:NOW_ISO/2025-06-30T23:59:59.999Z/g')"
done
same "define-first: connector (a type never seen)" "SELECT count(*) FROM members WHERE member IN connector"
same "define-first: activity" "SELECT * FROM activity(active) PER MONTH"
same "define-first: experiment" "EVALUATE EXPERIMENT welcome_ritual"
same "define-first: views off" "SET VIEWS = off; SELECT tier, count(*) FROM tiers(pyramid) GROUP BY tier ORDER BY tier"

# a misspelt type: the warning names it, a query's own text refuses it
"$SHOAL" --db "$A" ingest -q "$T/empty.ndjson"
w=$("$SHOAL" --db "$A" query "CREATE LAYER typo AS count(psot) >= 1" 2>&1)
check_grep "define-first: a misspelt type is named" 'warning: layer typo names what no event has yet: psot \(misspelt\?' "$w"
w=$("$SHOAL" --db "$A" query "SELECT count(psot) FROM members" 2>&1)
check_grep "define-first: a query's own text refuses it" 'error: unknown event type "psot"' "$w"
w=$("$SHOAL" --db "$A" query "CREATE LAYER known AS count(post) >= 1" 2>&1)
check_eq "define-first: no warning when every type is known" "$(printf '%s\n' "$w" | grep -c warning)" "0"
