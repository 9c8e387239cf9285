#!/usr/bin/env bash
# tests/e2e/repl.sh — `shoal repl` fed from a pipe (no prompts, statements from stdin) and
# under a pseudo-terminal with `script` (completion, history, Ctrl-C).
. "$(dirname "$0")/../lib.sh"

cat > "$T/ev.ndjson" <<'NDJSON'
{"id":"1","ts":"2025-03-03T09:00:00Z","member":"alice","type":"join","group":"g1"}
{"id":"2","ts":"2025-03-04T09:00:00Z","member":"alice","type":"post","group":"g1","original":true,"words":640}
{"id":"3","ts":"2025-03-05T09:00:00Z","member":"bob","type":"post","group":"g1","original":false,"words":20}
NDJSON
"$SHOAL" ingest "$T/ev.ndjson" >/dev/null 2>&1 || fail ingest

# ---------------------------------------------------------------- from a pipe
out=$(printf '%s\n' 'SELECT count(*) AS n' 'FROM events;' '\format json' 'SELECT 1 AS x;' \
      'SELEC 1;' 'SELECT member FROM members' 'ORDER BY member' | HOME="$T" "$SHOAL" repl 2>"$T/err")
rc=$?
check_eq repl-pipe-output "$out" $'n\n3\nformat is json\n[\n{"x":1}\n]\n[\n{"member":"alice"},\n{"member":"bob"}\n]'
check_eq repl-pipe-error "$(cat "$T/err")" $'query:1:1: error: expected "CREATE", "DROP", "EVALUATE", "EXPLAIN", "SELECT", "SET", "SHOW", "WITH", \';\' or end of input but found "SELEC"\nSELEC 1;\n^~~~~'
check_eq repl-pipe-status "$rc" 1
[ -e "$T/.shoal_history" ] && fail repl-pipe-no-history "history written without a terminal" || ok repl-pipe-no-history
out=$(printf 'SELECT 2 AS two;\n\\timing off\n\\nope\n\\q\nSELECT 3;\n' | "$SHOAL" repl 2>&1)
check_eq repl-pipe-backslash "$out" $'two\n2\ntiming is off\nunknown command \\nope (try \\help)'
out=$(printf 'SET FORMAT = csv; SELECT 1 AS a; SELECT 2 AS b;\n' | "$SHOAL" repl --format table 2>&1)
check_eq repl-pipe-several "$out" $'a\n1\nb\n2'

# psql's and the DuckDB shell's words: quit, exit, .quit, \q leave; help, \? list the
# commands. Only a whole line, with nothing pending: in a statement they are names.
for w in quit exit .quit 'QUIT;' '\q' ' exit '; do
    out=$(printf 'SELECT 1 AS a;\n%s\nSELECT 2 AS b;\n' "$w" | "$SHOAL" repl 2>&1)
    check_eq "repl-pipe-leave-$w" "$out" $'a\n1'
done
for w in help '\?' '.help'; do
    check_grep "repl-pipe-help-$w" '^  \\o +\[FILE\]' "$(printf '%s\n' "$w" | "$SHOAL" repl 2>&1)"
done
out=$(printf 'SELECT count(*) AS quit\nFROM events;\n' | "$SHOAL" repl 2>&1)
check_eq repl-pipe-quit-in-statement "$out" $'quit\n3'
# \o FILE sends results there and \o alone back; \i FILE runs a file's statements as
# `shoal query -f` does (parsed whole first: a syntax error runs none of them, and is
# shown at its line in the file).
printf 'SELECT 5 AS five;\nSELECT member FROM members\nORDER BY member;\n' > "$T/inc.shoal"
printf 'SELECT 1 AS one;\nSELEC 2;\n' > "$T/bad.shoal"
out=$(printf '%s\n' "\\o $T/out.csv" 'SELECT 1 AS a;' '\o' 'SELECT 2 AS b;' "\\i $T/inc.shoal" "\\i $T/bad.shoal" "\\i $T/none.shoal" | "$SHOAL" repl 2>"$T/err")
rc=$?
check_eq repl-pipe-o-file "$(cat "$T/out.csv")" $'a\n1'
check_eq repl-pipe-o-back-and-i "$out" $'b\n2\nfive\n5\nmember\nalice\nbob'
check_grep repl-pipe-i-error-position "^$T/bad.shoal:2:1: error: expected" "$(cat "$T/err")"
check_grep repl-pipe-i-missing "^\\\\i: cannot open $T/none.shoal" "$(cat "$T/err")"
check_eq repl-pipe-i-status "$rc" 1
# \maxrows N: a table shows its first N rows and says how many more there are (only
# those N are kept); other formats are not capped.
out=$(printf '%s\n' '\maxrows 1' 'SELECT member FROM members ORDER BY member;' 'SET FORMAT = csv;' 'SELECT member FROM members ORDER BY member;' | "$SHOAL" repl --format table 2>&1)
check_eq repl-pipe-maxrows "$out" $'tables show up to 1 row\nmember\n------\nalice\n… 1 more row (\\maxrows N shows more, \\maxrows 0 all; or LIMIT)\n(2 rows)\nmember\nalice\nbob'

# \tz sets this session's zone only: the next session is in the database's again.
out=$(printf '%s\n' '\tz Asia/Shanghai' 'SELECT ts FROM events WHERE seq = 1;' '\tz' | "$SHOAL" repl 2>&1)
check_eq repl-pipe-tz-session "$out" $'time zone is Asia/Shanghai\nts\n2025-03-03T17:00:00+08:00\ntime zone is Asia/Shanghai'
check_eq repl-pipe-tz-not-kept "$(printf '%s\n' '\tz' 'SELECT ts FROM events WHERE seq = 1;' | "$SHOAL" repl 2>&1)" $'time zone is UTC\nts\n2025-03-03T09:00:00Z'

# ---------------------------------------------------------------- under a terminal
pty() {   # pty SCRIPT-OF-INPUT: runs the repl under `script`, input written with delays
    local input=$1
    ( eval "$input" ) | HOME="$T" timeout 20 script -q -c "$SHOAL repl" /dev/null 2>&1 \
        | tr -d '\r' | sed 's/\x1b\[[?0-9]*[hl]//g'
}
if command -v script >/dev/null; then
    out=$(pty "printf 'SEL\\t count(*) AS n FROM ev\\t;\\n'; sleep 1; printf '\\\\q\\n'; sleep 0.5")
    check_grep repl-tty-complete-keyword 'shoal> SELECT  count\(\*\) AS n FROM events ;' "$out"
    check_grep repl-tty-result '^3$' "$out"
    check_grep repl-tty-history 'SELECT  count\(\*\) AS n FROM events ;' "$(cat "$T/.shoal_history" 2>/dev/null)"

    out=$(pty "printf 'SELECT member FROM members WHERE count(po\\t) > 0;\\n'; sleep 1; printf '\\\\q\\n'; sleep 0.5")
    check_grep repl-tty-complete-type 'count\(post \) > 0' "$out"

    "$SHOAL" query "CREATE LAYER posters_layer AS count(post) > 0" > /dev/null
    out=$(pty "printf 'SELECT count(*) AS n FROM members WHERE member IN posters_l\\t;\\n'; sleep 1; printf '\\\\q\\n'; sleep 0.5")
    check_grep repl-tty-complete-layer 'member IN posters_layer ;' "$out"

    start=$(date +%s)
    out=$(pty "printf 'SELECT sleep(10);\\n'; sleep 1; printf '\\003'; sleep 0.5; printf 'SELECT 1\\n'; sleep 0.3; printf '\\003'; sleep 0.3; printf 'SELECT 2 AS two;\\n'; sleep 0.8; printf '\\\\q\\n'; sleep 0.3")
    took=$(( $(date +%s) - start ))
    check_grep repl-tty-ctrl-c-cancels 'cancelled' "$out"
    check_grep repl-tty-ctrl-c-keeps-session '^  2$' "$out"
    if [ "$took" -lt 9 ]; then ok repl-tty-ctrl-c-prompt; else fail repl-tty-ctrl-c-prompt "took ${took}s"; fi
    check_grep repl-tty-multiline-prompt '   \.\.\.> ' "$out"

    # A statement of two lines is one history entry, also after a restart: Up recalls
    # it whole and Enter runs it.
    rm -f "$T/.shoal_history"
    pty "printf 'SELECT count(*) AS two_lines\\n'; sleep 0.3; printf 'FROM events;\\n'; sleep 0.8; printf 'quit\\n'; sleep 0.3" >/dev/null
    check_eq repl-tty-history-one-line "$(grep -c 'two_lines' "$T/.shoal_history")" 1
    out=$(pty "printf '\\033[A\\033[A'; sleep 0.3; printf '\\n'; sleep 0.8; printf '\\\\q\\n'; sleep 0.3")
    check_grep repl-tty-history-multiline-back '^two_lines$' "$out"
    check_grep repl-tty-history-multiline-entry 'FROM events;$' "$out"

    # Completion knows where it is: event types after `type =` and `type IN (`,
    # sources after FROM.
    # ("p" alone would be PER, properties, period, … anywhere else)
    out=$(pty "printf 'SELECT count(*) AS n FROM events WHERE type = p\\t;\\n'; sleep 1; printf '\\\\q\\n'; sleep 0.5")
    check_grep repl-tty-complete-type-eq 'WHERE type = post ;' "$out"
    out=$(pty "printf 'SELECT count(*) AS n FROM events WHERE type IN (join, p\\t);\\n'; sleep 1; printf '\\\\q\\n'; sleep 0.5")
    check_grep repl-tty-complete-type-in 'type IN \(join, post \);' "$out"
    # "m" after FROM is members only (not member, max, min, median, …): one match.
    out=$(pty "printf 'SELECT count(*) AS n FROM m\\t;\\n'; sleep 1; printf '\\\\q\\n'; sleep 0.5")
    check_grep repl-tty-complete-source 'FROM members ;' "$out"
    # after "type =", "o" is no keyword (OR, ORDER, OFFSET) and no function
    out=$(pty "printf 'SELECT count(*) AS n FROM events WHERE type = o\\t\\t'; sleep 1; printf '\\003'; sleep 0.3; printf '\\\\q\\n'; sleep 0.5")
    if printf '%s' "$out" | grep -qi 'order\|offset'; then fail repl-tty-complete-type-only "$out"; else ok repl-tty-complete-type-only; fi

    # On a terminal a table shows its first 40 rows.
    for i in $(seq 60); do printf '{"ts":"2025-03-03T09:00:00Z","member":"many%02d","type":"join"}\n' "$i"; done > "$T/many.ndjson"
    "$SHOAL" ingest -q "$T/many.ndjson"
    out=$(pty "printf 'SELECT member FROM members ORDER BY member;\\n'; sleep 1; printf 'exit\\n'; sleep 0.3")
    check_grep repl-tty-maxrows-last 'many38$' "$out"
    if printf '%s' "$out" | grep -q 'many39'; then fail repl-tty-maxrows-cut "$out"; else ok repl-tty-maxrows-cut; fi
    check_grep repl-tty-maxrows-more '^… 22 more rows' "$out"
    check_grep repl-tty-maxrows-count '^\(62 rows\)' "$out"
else
    fail repl-tty "script(1) is not installed"
fi
