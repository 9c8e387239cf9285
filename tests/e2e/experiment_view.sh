#!/usr/bin/env bash
# tests/e2e/experiment_view.sh — an experiment's view (engine/view_experiment.c), kept at
# ingest: created over the log's first part, then fed in small batches with late
# exposures, members in two arms, exposures without an arm (the hash) and fractional
# sums; EVALUATE reads it (EXPLAIN says so) and its rows equal the log's (SET VIEWS =
# off) and sqlite's; check passes, rebuild keeps the rows; AS OF before the latest
# event, a first exposure too late for the view and text in a summed property read the
# log, with the same rows or error; SHOW VIEWS lists it; DROP removes it; a definition
# a view cannot keep is evaluated from the log.
. "$(dirname "$0")/../lib.sh"

python3 "$SHOAL_TESTS/e2e/experiment_data.py" 9 1200 0.2 0 300 > "$T/ev.ndjson" || { fail experiment_view-gen; exit 0; }
head -n 400 "$T/ev.ndjson" > "$T/first.ndjson"
"$SHOAL" ingest -q "$T/first.ndjson" || { fail experiment_view-ingest; exit 0; }
DEF="CREATE EXPERIMENT ritual ARMS (control 50, ritual 50) SALT 's1'
  METRICS (posts = count(post) WITHIN 7 DAYS, posted = count(post) WITHIN 7 DAYS > 3, amount = sum(post.amount) WITHIN 3 DAYS,
           busy = count(post, exposure) WITHIN 2 DAYS)
  EXPOSURE exposure"
out=$("$SHOAL" query --format table "$DEF" 2>&1)
check_grep "experiment_view: CREATE back-fills its view" 'CREATE EXPERIMENT ritual \(view back-filled 400 events\)' "$out"
check "experiment_view: the rest in batches of 37" "$SHOAL" ingest -q --batch 37 "$T/ev.ndjson"
N_EV=$(wc -l < "$T/ev.ndjson")

Q="SELECT * FROM experiment(ritual)"
on() { "$SHOAL" query --format csv "$1" 2>&1; }
off() { "$SHOAL" query --format csv "SET VIEWS = off; $1" 2>&1; }
out=$(on "EXPLAIN $Q")
check_grep "experiment_view: EXPLAIN says the view answers" "kept by its view experiment:ritual \(sequence $N_EV; no log read\)" "$out"
rows=$(on "$Q")
check_grep "experiment_view: rows" '^posts,[a-z]*,ritual,' "$rows"
check_eq "experiment_view: views on and off give the same rows" "$rows" "$(off "$Q")"
# every double to the last bit (JSON prints 17 digits), with sums of fractions: the
# log's path sums the units' values exactly, as the view does, so both round alike
sed -E 's/"amount": ([0-9]+)/"amount": \1.37/' "$T/ev.ndjson" > "$T/frac.ndjson"
FDB="$T/frac.db"
"$SHOAL" --db "$FDB" ingest -q "$T/first.ndjson" 2>/dev/null
"$SHOAL" --db "$FDB" query "CREATE EXPERIMENT ritual ARMS (control 50, ritual 50) SALT 's1'
  METRICS (amount = sum(post.amount) WITHIN 3 DAYS, aov = sum(post.amount) / count(post) WITHIN 5 DAYS, posts = count(post) WITHIN 4 DAYS)
  COVARIATE sum(post.amount) WITHIN 6 DAYS EXPOSURE exposure" >/dev/null 2>&1
"$SHOAL" --db "$FDB" ingest -q --batch 37 "$T/frac.ndjson" 2>/dev/null
FQ="SELECT metric, arm, mean, sd, diff, rel_diff, p, cuped_reduction, method FROM experiment(ritual)"
fon=$("$SHOAL" --db "$FDB" query --format json "$FQ" 2>&1)
check_grep "experiment_view: fractional sums evaluated" '"arm":"ritual","mean":[0-9]+\.[0-9]{10}' "$fon"
check_eq "experiment_view: views on and off agree to the last bit on fractional sums" \
    "$fon" "$("$SHOAL" --db "$FDB" query --format json "SET VIEWS = off; $FQ" 2>&1)"
# a ratio metric and a covariate (CUPED) from the view: its sums Σy, Σy², Σxy, Σc, Σc², Σxc
check_grep "experiment_view: a ratio and a covariate, the view answers" "kept by its view .*cuped" \
    "$("$SHOAL" --db "$FDB" query "EXPLAIN $FQ" 2>&1)"
check_grep "experiment_view: …the ratio evaluated" '"metric":"aov","arm":"ritual","mean":[0-9]+\.[0-9]+.*"method":"ratio: delta method, cuped"' "$fon"
check_grep "experiment_view: …CUPED reduces variance" '"metric":"posts","arm":"ritual",.*"cuped_reduction":0\.[0-9]+' "$fon"
check_grep "experiment_view: …and check passes" "^ok$" "$("$SHOAL" --db "$FDB" check 2>&1)"
out=$(off "EXPLAIN $Q")
check_grep "experiment_view: views off, EXPLAIN says why not" "not from its view \(SET VIEWS = off\)" "$out"
# EXPLAIN EVALUATE EXPERIMENT says the same as EXPLAIN of its SELECT, and its errors name the word
check "experiment_view: EXPLAIN EVALUATE = EXPLAIN SELECT * FROM experiment(…)" test "$(on "EXPLAIN EVALUATE EXPERIMENT ritual AS OF SEQ 500")" = "$(on "EXPLAIN $Q AS OF SEQ 500")"
check_grep "experiment_view: …from the view" "kept by its view experiment:ritual" "$(on "EXPLAIN EVALUATE EXPERIMENT ritual")"
check_grep "experiment_view: EXPLAIN EVALUATE of no experiment names it" '^query:1:29: error: unknown experiment "nope"' "$(on "EXPLAIN EVALUATE EXPERIMENT nope")"

# against sqlite over the same events (the view's path)
if command -v sqlite3 >/dev/null; then
    D=86400000
    oracle_load "$T/ev.ndjson" <<SQL || fail experiment_view-oracle-load
CREATE TABLE ev AS SELECT rowid AS seq,
    CAST(round((julianday(json_extract(j, '\$.ts')) - 2440587.5) * 86400000) AS INTEGER) AS ms,
    json_extract(j, '\$.member') AS member, json_extract(j, '\$.type') AS type,
    json_extract(j, '\$.experiment') AS experiment, json_extract(j, '\$.arm') AS arm,
    json_extract(j, '\$.amount') AS amount FROM raw;
SQL
    # members with an arm only (the hashed ones have none: left to the views-off comparison)
    got=$(on "SELECT metric, units + two_arms FROM experiment(ritual) WHERE arm = 'control'" | tail -n +2 | head -1)
    want=$(sqlite3 -csv "$T/oracle.db" "SELECT 'posts', count(*) FROM (SELECT member FROM ev WHERE type = 'exposure' AND experiment = 'ritual' AND arm IS NOT NULL GROUP BY member HAVING max(arm) = 'control' OR count(DISTINCT arm) > 1)")
    # control's units by the hash come on top: at least the named ones
    a=${got#*,}; b=${want#*,}
    if [ "$a" -ge "$b" ] 2>/dev/null; then ok "experiment_view: control's units against sqlite"; else fail "experiment_view: control's units against sqlite" "shoal $got" "sqlite $want"; fi
    got=$(on "SELECT sum(two_arms) / count(*) FROM experiment(ritual)" | tail -1)
    want=$(sqlite3 -csv "$T/oracle.db" "SELECT count(*) FROM (SELECT member FROM ev WHERE type = 'exposure' AND experiment = 'ritual' GROUP BY member HAVING count(DISTINCT arm) > 1)")
    check_eq "experiment_view: units in two arms against sqlite" "$got" "$want"
else
    skip "experiment_view: sqlite3 is not installed"
fi

out=$("$SHOAL" check 2>&1)
check_grep "experiment_view: check (incremental == rebuild) passes" "^ok$" "$out"
check_grep "experiment_view: check counts the view" "1 views" "$out"
out=$("$SHOAL" query --format csv "SHOW VIEWS" 2>&1)
check_grep "experiment_view: SHOW VIEWS lists it" "^ritual,experiment,\"CREATE EXPERIMENT ritual " "$out"
check_grep "experiment_view: …with its size, sequence and lag" "^  EXPOSURE exposure\",[1-9][0-9]*,[0-9.]+,$N_EV,0$" "$out"
check "experiment_view: rebuild" "$SHOAL" rebuild
check_grep "experiment_view: rebuild by the experiment's name" "rebuilt 1 view" "$("$SHOAL" rebuild ritual 2>&1)"
check_eq "experiment_view: the same rows after rebuild (the same arms)" "$(on "$Q")" "$rows"

# AS OF: a sequence before the view's reads the log; a time before its latest event (AS
# OF, or a now before it) reads each unit's record again, windows cut there, and equals
# the log's answer to the last bit (JSON: 17 digits)
K=$((N_EV * 2 / 3))
out=$(on "EXPLAIN $Q AS OF SEQ $K")
check_grep "experiment_view: AS OF SEQ reads the log" "not from its view \(AS OF SEQ $K is before" "$out"
check_eq "experiment_view: AS OF SEQ, the same rows as views off" "$(on "$Q AS OF SEQ $K")" "$(off "$Q AS OF SEQ $K")"
jon() { "$SHOAL" query --format json "$1" 2>&1; }
joff() { "$SHOAL" query --format json "SET VIEWS = off; $1" 2>&1; }
out=$(on "EXPLAIN $Q AS OF '2025-03-15'")
check_grep "experiment_view: AS OF a date before the latest event reads the view" "kept by its view .*as of the statement's time" "$out"
check_eq "experiment_view: AS OF a date, the same rows as views off" "$(jon "$Q AS OF '2025-03-15'")" "$(joff "$Q AS OF '2025-03-15'")"
out=$(on "SET NOW = '2025-03-15T12:00:00Z'; EXPLAIN $Q")
check_grep "experiment_view: a now before the latest event reads the view" "kept by its view .*as of the statement's time" "$out"
check_eq "experiment_view: SET NOW, the same rows as views off" "$(jon "SET NOW = '2025-03-15T12:00:00Z'; $Q")" "$(joff "SET NOW = '2025-03-15T12:00:00Z'; $Q")"
# instants at random over the log's span (every unit's exposure and windows cut anywhere)
first_ms=$(python3 -c "import json,sys,datetime as d
ts=[json.loads(l)['ts'] for l in open('$T/ev.ndjson')]
f=lambda s: int(d.datetime.fromisoformat(s.replace('Z','+00:00')).timestamp()*1000)
print(min(map(f,ts)), max(map(f,ts)))")
lo=${first_ms% *}; hi=${first_ms#* }
bad=0; n_at=0
for i in 1 2 3 4 5 6 7 8; do
    at=$(python3 -c "import random,datetime as d; random.seed($i); t=random.randint($lo,$hi); print(d.datetime.fromtimestamp(t/1000,d.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]+'Z')")
    a=$(jon "$Q AS OF '$at'"); b=$(joff "$Q AS OF '$at'")
    n_at=$((n_at + 1))
    if [ "$a" != "$b" ]; then bad=1; fail "experiment_view: AS OF $at, views on and off" "$a" "$b"; break; fi
    case "$(on "EXPLAIN $Q AS OF '$at'")" in *"as of the statement's time"*) ;; *) bad=1; fail "experiment_view: AS OF $at from the view";; esac
done
[ $bad = 0 ] && ok "experiment_view: $n_at AS OF instants at random, the view's rows equal the log's to the last bit"
check_grep "experiment_view: AS OF, fractional sums from the view" "as of the statement's time" \
    "$("$SHOAL" --db "$FDB" query "EXPLAIN $FQ AS OF '2025-03-20T10:00:00Z'" 2>&1)"
check_eq "experiment_view: AS OF, fractional sums to the last bit" "$("$SHOAL" --db "$FDB" query --format json "$FQ AS OF '2025-03-20T10:00:00Z'" 2>&1)" \
    "$("$SHOAL" --db "$FDB" query --format json "SET VIEWS = off; $FQ AS OF '2025-03-20T10:00:00Z'" 2>&1)"
out=$(on "EXPLAIN $Q AS OF '2030-01-01'")
check_grep "experiment_view: AS OF after the latest event reads the view" "kept by its view" "$out"
check_eq "experiment_view: AS OF after it, the whole log's rows" "$(on "$Q AS OF '2030-01-01'" | cut -d, -f1-17)" "$(echo "$rows" | cut -d, -f1-17)"

# a late exposure within 30 days moves a unit's window: still the view, still the log's rows
printf '%s\n' '{"ts":"2025-03-02T00:00:00Z","member":"m-3","type":"exposure","experiment":"ritual","arm":"control"}' \
    '{"ts":"2025-03-02T01:00:00Z","member":"m-new","type":"post","amount":2.5}' \
    '{"ts":"2025-03-02T00:30:00Z","member":"m-new","type":"exposure","experiment":"ritual"}' \
    '{"ts":"2025-03-03T00:00:00Z","member":"m-new","type":"exposure","experiment":"ritual","arm":"ritual"}' \
    '{"ts":"2025-03-02T02:00:00Z","member":"m-new2","type":"exposure","experiment":"ritual","arm":"control"}' \
    '{"ts":"2025-03-04T00:00:00Z","member":"m-new2","type":"exposure","experiment":"ritual","arm":"ritual"}' \
    '{"ts":"2025-03-02T03:00:00Z","member":"m-new3","type":"exposure","experiment":"ritual","arm":"control"}' \
    '{"ts":"2025-03-03T12:00:00Z","member":"m-new3","type":"exposure","experiment":"ritual","arm":"other"}' > "$T/late.ndjson"
"$SHOAL" ingest -q "$T/late.ndjson"
out=$(on "EXPLAIN $Q")
check_grep "experiment_view: late exposures, the view answers" "kept by its view" "$out"
check_eq "experiment_view: late exposures, views on and off agree" "$(on "$Q")" "$(off "$Q")"
# (m-new: by the hash, then naming an arm; m-new2: one arm, then two; m-new3: then an undeclared one)
for at in 2025-03-02T00:00:00Z 2025-03-02T00:29:59.999Z 2025-03-02T00:30:00Z 2025-03-02T01:00:00Z 2025-03-02T23:59:59.999Z \
          2025-03-03 2025-03-03T12:00:00Z 2025-03-04 2025-03-05; do
    check_eq "experiment_view: late exposures, AS OF $at, views on and off agree" "$(jon "$Q AS OF '$at'")" "$(joff "$Q AS OF '$at'")"
done
check_grep "experiment_view: late exposures, check passes" "^ok$" "$("$SHOAL" check 2>&1)"

# shoal gen's stream (late events up to 3 days, duplicates), the experiment created
# over its first part, the rest in batches of several sizes: views on == off, check
for seed in 5 6; do
    export SHOAL_DB="$T/gen$seed"
    "$SHOAL" gen --events 80000 --seed $seed --late 0.1 --dup 0.02 > "$T/gen.ndjson"
    head -n 40000 "$T/gen.ndjson" > "$T/gen1.ndjson"
    "$SHOAL" ingest -q "$T/gen1.ndjson"
    "$SHOAL" query "CREATE EXPERIMENT welcome_ritual ARMS (control 50, ritual 50) METRICS (posts = count(post) WITHIN 7 DAYS,
        spoke = count(post, comment, reply) WITHIN 2 DAYS > 0, words = sum(post.words) WITHIN 3 DAYS) EXPOSURE exposure" >/dev/null
    "$SHOAL" ingest -q --batch $((seed * 97)) "$T/gen.ndjson"
    G="SELECT * FROM experiment(welcome_ritual)"
    check_grep "experiment_view: gen seed $seed, the view answers" "kept by its view" "$(on "EXPLAIN $G")"
    check_eq "experiment_view: gen seed $seed, views on and off agree" "$(on "$G")" "$(off "$G")"
    check_grep "experiment_view: gen seed $seed, check passes" "^ok$" "$("$SHOAL" check 2>&1)"
    for at in 2025-01-10T08:00:00Z 2025-03-01T17:21:05.5Z; do
        check_eq "experiment_view: gen seed $seed, AS OF $at, views on and off agree" "$(jon "$G AS OF '$at'")" "$(joff "$G AS OF '$at'")"
    done
done
export SHOAL_DB="$T/db"

# text in a summed property inside a window: the log's error, views on or off
export SHOAL_DB="$T/text"
"$SHOAL" ingest -q "$T/first.ndjson"
"$SHOAL" query "$DEF" >/dev/null
printf '%s\n' '{"ts":"2025-03-20T00:00:00Z","member":"m-t","type":"exposure","experiment":"ritual","arm":"ritual"}' \
    '{"ts":"2025-03-20T01:00:00Z","member":"m-t","type":"post","amount":"lots"}' > "$T/text.ndjson"
"$SHOAL" ingest -q "$T/text.ndjson"
a=$(on "$Q"); b=$(off "$Q")
check_grep "experiment_view: text in a summed window is an error" "error" "$a"
check_eq "experiment_view: …the same error as the log's" "$a" "$b"

# a definition a view cannot keep (a function in a filter): from the log
export SHOAL_DB="$T/db"
out=$("$SHOAL" query --format table "CREATE EXPERIMENT odd ARMS (control 50, ritual 50) METRICS (p = count(post WHERE abs(amount) > 3) WITHIN 7 DAYS) EXPOSURE exposure" 2>&1)
check_grep "experiment_view: a definition a view cannot keep is kept without one" "kept without a view, evaluated from the log" "$out"
out=$(on "EXPLAIN SELECT * FROM experiment(odd)")
check_grep "experiment_view: …EXPLAIN says it has no view" "not from its view \(it has no view" "$out"
check_eq "experiment_view: …and its rows are the log's" "$(on "SELECT * FROM experiment(odd)")" "$(off "SELECT * FROM experiment(odd)")"

# CREATE OR REPLACE makes the view again; DROP removes it
check "experiment_view: CREATE OR REPLACE" "$SHOAL" query "CREATE OR REPLACE EXPERIMENT ritual ARMS (control 50, ritual 50) METRICS (posts = count(post) WITHIN 3 DAYS) EXPOSURE exposure"
check_grep "experiment_view: …the new view answers" "kept by its view" "$(on "EXPLAIN $Q")"
check_eq "experiment_view: …with the log's rows" "$(on "$Q")" "$(off "$Q")"

# a first exposure 40 days behind the latest event: the view cannot place its window (a
# rebuild, which reads the log in the same order, cannot either)
printf '%s\n' '{"ts":"2025-05-20T00:00:00Z","member":"m-1","type":"post","amount":1}' \
    '{"ts":"2025-04-10T00:00:00Z","member":"m-old","type":"exposure","experiment":"ritual","arm":"ritual"}' > "$T/old.ndjson"
"$SHOAL" ingest -q "$T/old.ndjson"
out=$(on "EXPLAIN $Q")
check_grep "experiment_view: a very late first exposure reads the log" "1 units were first exposed more than 30 days behind" "$out"
check_eq "experiment_view: …with the log's rows" "$(on "$Q")" "$(off "$Q")"
check_grep "experiment_view: …and check passes" "^ok$" "$("$SHOAL" check 2>&1)"

check "experiment_view: DROP EXPERIMENT" "$SHOAL" query "DROP EXPERIMENT ritual"
check_grep "experiment_view: DROP removes its view" "0 views" "$("$SHOAL" check 2>&1)"

# an unknown column of a wide source lists whole names only, "…" for the rest
out=$("$SHOAL" --db "$FDB" query "SELECT lift FROM experiment(ritual)" 2>&1)
check_grep "experiment_view: unknown column lists whole names" 'unknown column "lift" \(experiment has: metric, role, .*, …\)' "$out"
