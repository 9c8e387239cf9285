# tests/lib.sh — helpers for end-to-end scripts: each check prints "ok NAME" or
# "FAIL NAME" (with what went wrong) and tests/run counts them.
# Every script gets a fresh scratch directory $T, removed on exit.
set -u
T=$(mktemp -d "${TMPDIR:-/tmp}/shoal-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
: "${SHOAL:?}"
export SHOAL_DB="$T/db"

ok()   { echo "ok $1"; }
skip() { echo "skip $1"; }   # a check that cannot run here, with why; counted apart
fail() { echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '  %s\n' "$@"; return 0; }

# check NAME COMMAND...: passes when the command exits 0.
check() {
    local name=$1; shift
    local out
    if out=$("$@" 2>&1); then ok "$name"; else fail "$name" "command: $*" "$out"; fi
}

# check_eq NAME GOT WANT
check_eq() {
    if [ "$2" == "$3" ]; then ok "$1"; else fail "$1" "got:  $2" "want: $3"; fi
}

# check_status NAME WANT COMMAND...: passes when the command exits with status WANT.
check_status() {
    local name=$1 want=$2; shift 2
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$name"; else fail "$name" "exit $rc, want $want: $*" "$out"; fi
}

# check_grep NAME PATTERN FILE-OR-TEXT: passes when the text matches (grep -E).
check_grep() {
    if printf '%s\n' "$3" | grep -Eq -- "$2"; then ok "$1"; else fail "$1" "no match for /$2/ in:" "$3"; fi
}

# interrupt AFTER CMD...: runs CMD (stdin $IN or nothing, stdout $T/out, stderr $T/err),
# sends it SIGINT AFTER seconds in and waits for its end (SIGKILL at 30 s); sets rc, its
# exit status, and ms, the time from the signal to its end.
interrupt() {
    local after=$1; shift
    "$@" < "${IN:-/dev/null}" > "$T/out" 2> "$T/err" &
    local pid=$! i t0
    sleep "$after"
    t0=$(date +%s%N)
    kill -INT "$pid"
    # (polled from this shell: a killer in a subshell, killed in turn when done with,
    # could run the EXIT trap it inherited, before resetting it, and remove $T)
    for ((i = 0; i < 1500; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"; rc=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# counted_members SEED NAME: $T/db holds 150k generated events (gen --seed SEED) of some
# 9000 members over 120 days (more than one block of 64 words of members, the last
# word part full), with the counters view act (count(*), count(post), count(comment));
# sets end, the last event's time, and noon, that day's noon. A failure is reported as
# NAME-gen or NAME-ingest.
counted_members() {
    "$SHOAL" gen --events 150000 --members 9000 --days 120 --seed "$1" > "$T/ev.ndjson" 2>/dev/null || fail "$2-gen"
    "$SHOAL" --db "$T/db" ingest -q "$T/ev.ndjson" &&
        "$SHOAL" --db "$T/db" query "CREATE COUNTERS act AS count(*), count(post), count(comment)" > /dev/null ||
        fail "$2-ingest"
    end=$("$SHOAL" --db "$T/db" query --format csv "SELECT max(ts) AS t FROM events" | tail -1)
    noon=${end:0:10}T12:00:00.000Z
}

# poked_moves WHAT DB TABLE KEY PATTERN STATEMENT: in a copy of DB ($T/poke), the first
# entry's count of view table TABLE's key KEY raised behind shoal's back (dbpoke, $POKE:
# xor 2 at byte 2): `shoal check` names it (PATTERN) and STATEMENT's answer moves, since
# the damaged entry is what the view's read takes.
poked_moves() {
    local what=$1 db=$2 table=$3 key=$4 pattern=$5 stmt=$6 before out
    cp -r "$db" "$T/poke"
    before=$("$SHOAL" --db "$T/poke" query --format csv "$stmt")
    "$POKE" "$T/poke" "$table" "$key" xor 2 0x02 || fail "$what: dbpoke"
    out=$("$SHOAL" --db "$T/poke" check 2>&1)
    check_grep "$what: check names a damaged one" "$pattern" "$out"
    check_eq "$what: a damaged one is read (the answer moves)" \
        "$([ "$("$SHOAL" --db "$T/poke" query --format csv "$stmt")" != "$before" ] && echo moved)" moved
}

# shared_data NAME: the path of ../shared/data/NAME beside the repository, or empty.
shared_data() {
    local d
    d=$(cd "$SHOAL_TESTS/../.." 2>/dev/null && pwd)/shared/data/$1
    [ -d "$d" ] && echo "$d"
}

# rows_close A B: the CSV rows A and B are the same, numbers within 1e-9 relative (sums
# of non-integral values and scores are added in other orders by other engines).
rows_close() {
    awk -v A="$1" -v B="$2" 'BEGIN {
        na = split(A, la, "\n"); nb = split(B, lb, "\n"); if (na != nb) exit 1
        for (i = 1; i <= na; i++) {
            nf = split(la[i], fa, ","); ng = split(lb[i], fb, ","); if (nf != ng) exit 1
            for (k = 1; k <= nf; k++) {
                if (fa[k] == fb[k]) continue
                # (numbers only: "2025-02" would compare as 2025)
                if (fa[k] ~ /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ && fb[k] ~ /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/) {
                    d = fa[k] - fb[k]; if (d < 0) d = -d; m = fb[k] < 0 ? -fb[k] : fb[k]
                    if (d <= 1e-9 * (m > 1 ? m : 1)) continue
                }
                exit 1
            }
        }
    }'
}

# oracle_load FILE: loads FILE's lines into table raw(j) of the oracle database
# $T/oracle.db, one row each in file order (rowid = line number), then runs the SQL on
# standard input, which defines what the test queries. Fails as sqlite3 does.
oracle_load() {
    {
        echo "BEGIN; CREATE TABLE raw(j TEXT);"
        awk "{ gsub(/'/, \"''\"); print \"INSERT INTO raw VALUES('\" \$0 \"');\" }" "$1"
        echo "COMMIT;"
        cat
    } | sqlite3 "$T/oracle.db"
}

# oracle NAME QUERY SQL: shoal's CSV answer to QUERY (header dropped) equals, and is not
# empty like, sqlite3's answer to SQL over the oracle database $T/oracle.db.
oracle() {
    local name=$1 q=$2 sql=$3 a b
    a=$("$SHOAL" query --format csv "$q" 2>&1 | tail -n +2)
    b=$(sqlite3 -csv "$T/oracle.db" "$sql" 2>&1)
    if [ "$a" == "$b" ] && [ -n "$b" ]; then ok "$name"; else fail "$name" "shoal:" "$(printf '%s\n' "$a" | head -5)" "sqlite:" "$(printf '%s\n' "$b" | head -5)"; fi
}

# views_hot_built LABEL DEFS BATCH: the events of $T/ev.ndjson in two databases with the
# views DEFS: $T/hot, DEFS made on the empty database and the events then ingested by
# batches of BATCH (the views kept batch by batch), and $T/built, DEFS made after the
# events (the views built by back-fill over the log). Each must then pass check
# ("LABEL: check, hot|built"). Sets end, the latest event's time.
views_hot_built() {
    local label=$1 def=$2 batch=$3 name=${1// /-} d
    "$SHOAL" --db "$T/hot" ingest -q /dev/null && "$SHOAL" --db "$T/hot" query "$def" > /dev/null 2>&1 &&
        "$SHOAL" --db "$T/hot" ingest -q --batch "$batch" "$T/ev.ndjson" || fail "$name-ingest-hot"
    "$SHOAL" --db "$T/built" ingest -q "$T/ev.ndjson" && "$SHOAL" --db "$T/built" query "$def" > /dev/null ||
        fail "$name-ingest-built"
    for d in hot built; do
        check_grep "$label: check, $d" "^ok" "$("$SHOAL" --db "$T/$d" check 2>&1)"
    done
    end=$("$SHOAL" --db "$T/hot" query --format csv "SELECT max(ts) AS t FROM events" | tail -1)
}

# at HOURS [hour|day [PLUS]]: the instant HOURS (fractional) before the latest event
# ($end, views_hot_built's), or the start of its UTC hour or day, then PLUS hours on.
at() {
    python3 -c "import datetime, sys
t = datetime.datetime.fromisoformat(sys.argv[1].replace('Z', '+00:00')) - datetime.timedelta(hours=float(sys.argv[2]))
if sys.argv[3] == 'hour': t = t.replace(minute=0, second=0, microsecond=0)
if sys.argv[3] == 'day': t = t.replace(hour=0, minute=0, second=0, microsecond=0)
t += datetime.timedelta(hours=float(sys.argv[4]))
print(t.isoformat(timespec='milliseconds').replace('+00:00', 'Z'))" "$end" "$1" "${2:-}" "${3:-0}"
}
