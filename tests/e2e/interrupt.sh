#!/usr/bin/env bash
# tests/e2e/interrupt.sh — Ctrl-C (SIGINT) in long work stops it promptly, says
# "cancelled" and exits 130, leaving the database as it was: a run of folded scans (a
# leaf page at a time) in `shoal query` and in the REPL (which then takes the next
# statement), and the back-fill of each kind of view at CREATE, which once ran to its
# end whatever the user pressed. (One scan of this log takes milliseconds: the long
# work here is many of them, so a scan that did not look at the flag would still be
# stopped by the statement's end; tests/unit/test_scan.c checks the page reader's
# flag itself.)
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 300000 --seed 5 > "$T/ev.ndjson" 2>/dev/null || { fail interrupt-gen; exit 0; }
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail interrupt-ingest; exit 0; }

# prompt NAME: the last interrupt ended within 2 s of its signal
prompt() { if [ "$ms" -lt 2000 ]; then ok "$1"; else fail "$1" "${ms} ms after the signal"; fi; }

# ---------------------------------------------------------------- folded scans
scan="SELECT type, month(ts) AS m, count(*) AS n FROM events GROUP BY 1, 2 ORDER BY n DESC LIMIT 1;"
for i in $(seq 2000); do printf '%s\n' "$scan"; done > "$T/scans.shoal"
check_grep interrupt-scan-plan 'scan log: seq 1\.\.300000' "$("$SHOAL" query "EXPLAIN $scan")"

interrupt 1 "$SHOAL" query -f "$T/scans.shoal"
check_eq interrupt-query-status "$rc" 130
check_eq interrupt-query-message "$(cat "$T/err")" "cancelled"
prompt interrupt-query-prompt
done_n=$(grep -c '^[a-z_]*,[0-9-]*,[0-9]*$' "$T/out")
if [ "$done_n" -lt 2000 ]; then ok interrupt-query-stopped; else fail interrupt-query-stopped "all 2000 scans ran"; fi

# The REPL (statements from a pipe): the scan under way stops, the statements after it
# on the line are dropped, and the next line runs.
mkfifo "$T/in"
{ tr '\n' ' ' < "$T/scans.shoal"; echo; sleep 3; echo 'SELECT 2 AS two;'; } > "$T/in" &
IN=$T/in interrupt 1 "$SHOAL" repl
check_eq interrupt-repl-message "$(cat "$T/err")" "cancelled"
check_eq interrupt-repl-next "$(tail -2 "$T/out")" $'two\n2'
check_eq interrupt-repl-status "$rc" 1
done_n=$(grep -c '^[a-z_]*,[0-9-]*,[0-9]*$' "$T/out")
if [ "$done_n" -lt 2000 ]; then ok interrupt-repl-stopped; else fail interrupt-repl-stopped "all 2000 scans ran"; fi
# (the time to the end includes the 3 s before the next line)
if [ "$ms" -lt 5000 ]; then ok interrupt-repl-prompt; else fail interrupt-repl-prompt "${ms} ms after the signal"; fi

# ---------------------------------------------------------------- back-fills
# A view of each kind made and dropped again and again: Ctrl-C stops the back-fill
# under way, before its view is stored, so no view is left.
kinds=("COUNTERS x AS count(post), count(*), sum(post.words)"
       "SCORE x AS 1*post + 2*comment + 3*reply HALF_LIFE 30 DAYS"
       "FIRSTLAST x AS first(post), last(comment)"
       "RETENTION x COHORT BY first(join) PER WEEK ACTIVE ON post, comment"
       "ACTIVITY x ON post, comment, reply"
       "EXPERIMENT x ARMS (a 50, b 50) METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure")
for k in "${kinds[@]}"; do
    word=${k%% *}
    drop=$word
    case $word in COUNTERS | SCORE | FIRSTLAST) drop=VIEW ;; esac
    for i in $(seq 300); do printf 'CREATE %s; DROP %s x;\n' "$k" "$drop"; done > "$T/create.shoal"
    interrupt 1 "$SHOAL" query -q -f "$T/create.shoal"
    check_eq "interrupt-create-$word-status" "$rc" 130
    check_eq "interrupt-create-$word-message" "$(cat "$T/err")" "cancelled"
    prompt "interrupt-create-$word-prompt"
    check_eq "interrupt-create-$word-no-view" "$("$SHOAL" query --format csv "SHOW VIEWS" | grep -c '^x,')" 0
done
check_grep interrupt-create-check '^ok$' "$("$SHOAL" check 2>&1)"
