#!/usr/bin/env bash
# tests/e2e/bench_spawn.sh — bench/spawn.c, the bench's clock for whole processes: a
# warm-up and RUNS timed runs, each a process started and waited for, its output and
# errors in the files given (the last run's), the times comma-separated; a failing run
# fails the whole (the bench then reports the error, not a time).
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")/../.." && pwd)
if ! cc -std=c11 -O2 -Wall -Wextra -Werror -o "$T/spawn" "$here/bench/spawn.c" 2> "$T/cc.err"; then
    fail bench-spawn-builds "$(cat "$T/cc.err")"
    exit 0
fi
P=$T/spawn
# a command that counts its runs in a file: 1 + RUNS of them
out=$("$P" 4 "$T/o" "$T/e" -- sh -c 'echo run >> "$0"; echo out; echo err >&2' "$T/count")
check_eq "bench-spawn: four times" "$(printf '%s\n' "$out" | tr ',' '\n' | grep -cE '^[0-9]+\.[0-9]{6}$')" 4
check_eq "bench-spawn: a warm-up and four runs" "$(wc -l < "$T/count")" 5
check_eq "bench-spawn: the output into OUT, once" "$(cat "$T/o")" out
check_eq "bench-spawn: the errors into ERR, once" "$(cat "$T/e")" err
# a run of 0.2 s is timed as at least 0.2 s
t=$("$P" 1 "$T/o" "$T/e" -- sleep 0.2)
check_eq "bench-spawn: a 0.2 s run's time" "$(awk -v t="$t" 'BEGIN { print (t >= 0.2 && t < 5) ? "ok" : t }')" ok
check_eq "bench-spawn: a failing run fails" "$("$P" 2 "$T/o" "$T/e" -- sh -c 'exit 3' 2>&1; echo "rc=$?")" \
    "spawn: sh exited with 3
rc=1"
check_status "bench-spawn: no such program" 1 "$P" 2 "$T/o" "$T/e" -- "$T/no-such-program"
check_status "bench-spawn: RUNS not a number" 2 "$P" x "$T/o" "$T/e" -- true
check_status "bench-spawn: no --" 2 "$P" 2 "$T/o" "$T/e" true
