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
check_eq repl-pipe-error "$(cat "$T/err")" $'query:1:1: error: expected "CREATE", "DROP", "EXPLAIN", "SELECT", "SET", "SHOW", \';\' or end of input but found "SELEC"\nSELEC 1;\n^~~~~'
check_eq repl-pipe-status "$rc" 1
[ -e "$T/.shoal_history" ] && fail repl-pipe-no-history "history written without a terminal" || ok repl-pipe-no-history
out=$(printf 'SELECT 2 AS two;\n\\timing off\n\\nope\n\\q\nSELECT 3;\n' | "$SHOAL" repl 2>&1)
check_eq repl-pipe-backslash "$out" $'two\n2\ntiming is off\nunknown command \\nope (try \\help)'
out=$(printf 'SET FORMAT = csv; SELECT 1 AS a; SELECT 2 AS b;\n' | "$SHOAL" repl --format table 2>&1)
check_eq repl-pipe-several "$out" $'a\n1\nb\n2'

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
else
    fail repl-tty "script(1) is not installed"
fi
