#!/usr/bin/env bash
# tests/e2e/sql.sh — runs the language tests in tests/sql/*.test (jq.test style: data).
#
# A .test file is a sequence of blocks, each opened by a line starting with "%%":
#   %%DATA            NDJSON lines, ingested into the file's fresh database before its
#                     first query (several DATA blocks add up)
#   %%QUERY NAME [ARGS…]  the statements, run as `shoal query ARGS… TEXT` (ARGS default
#                     to --format csv)
#   %%OUT             the exact standard output expected (exit status 0)
#   %%FAIL            the exact error expected on standard error (exit status 1):
#                     query:LINE:COL: error: MSG, the source line, the caret
#   %%# …             a comment
# Trailing blank lines of a block are ignored.
. "$(dirname "$0")/../lib.sh"

run_file() {
    local file=$1 base
    base=$(basename "$file" .test)
    local db="$T/$base.db" data="$T/$base.ndjson"
    : > "$data"
    local mode="" name="" args="" query="" expect="" loaded=0
    flush() {
        [ -z "$name" ] && return
        if [ $loaded -eq 0 ]; then
            loaded=1
            if [ -s "$data" ]; then
                "$SHOAL" --db "$db" ingest "$data" >/dev/null 2>&1 || { fail "$base: ingest"; return; }
            else
                printf '{"ts":0,"member":"m","type":"t"}\n' | "$SHOAL" --db "$db" ingest - >/dev/null 2>&1
            fi
        fi
        local out err rc
        query=$(printf '%s' "$query" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')
        expect=$(printf '%s' "$expect" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')
        # shellcheck disable=SC2086
        out=$("$SHOAL" --db "$db" query ${args:---format csv} "$query" 2>"$T/err"); rc=$?
        err=$(cat "$T/err")
        if [ "$kind" = OUT ]; then
            if [ $rc -eq 0 ] && [ "$out" == "$expect" ]; then ok "$base: $name"
            else fail "$base: $name" "exit $rc" "got:" "$out$err" "want:" "$expect"; fi
        else
            if [ $rc -eq 1 ] && [ "$err" == "$expect" ]; then ok "$base: $name"
            else fail "$base: $name" "exit $rc" "got:" "$err" "want:" "$expect"; fi
        fi
        name=""
    }
    local kind=""
    while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in
        %%\#*) continue ;;
        %%DATA*) flush; mode=data ;;
        %%QUERY*)
            flush
            mode=query
            set -- ${line#%%QUERY}
            name=${1:-unnamed}; shift || true
            args="$*"; query=""; expect="" ;;
        %%OUT*) mode=expect; kind=OUT ;;
        %%FAIL*) mode=expect; kind=FAIL ;;
        *)
            case $mode in
            data) printf '%s\n' "$line" >> "$data" ;;
            query) query+="$line"$'\n' ;;
            expect) expect+="$line"$'\n' ;;
            esac ;;
        esac
    done < "$file"
    flush
}

for f in "$SHOAL_TESTS"/sql/*.test; do
    [ -f "$f" ] && run_file "$f"
done
