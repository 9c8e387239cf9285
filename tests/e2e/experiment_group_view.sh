#!/usr/bin/env bash
# tests/e2e/experiment_group_view.sh — a UNIT group experiment kept by its view
# (engine/view_experiment.c: per group its members per arm and exact totals): created
# over the log's first part, fed in small batches with late exposures, members in two
# groups or none, groups whose members came in two arms, arms by the group's hash and
# fractional sums; EVALUATE reads the view (EXPLAIN names it) and its JSON equals the
# log's (SET VIEWS = off) to 17 digits, at the whole log, AS OF instants and a now
# before the latest event; check passes; groups and members per arm against sqlite.
# (Damage to a group's record: tests/unit/test_expview.c; kill -9: crash_views.sh.)
. "$(dirname "$0")/../lib.sh"

python3 "$SHOAL_TESTS/e2e/experiment_data.py" 9 1200 0.2 0 300 | python3 "$SHOAL_TESTS/e2e/experiment_group_data.py" 3 > "$T/ev.ndjson" \
    || { fail experiment_group_view-gen; exit 0; }
head -n 400 "$T/ev.ndjson" > "$T/first.ndjson"
"$SHOAL" ingest -q "$T/first.ndjson" || { fail experiment_group_view-ingest; exit 0; }
DEF="CREATE EXPERIMENT ritual ARMS (control 50, ritual 50) SALT 's1' UNIT group
  METRICS (posts = count(post) WITHIN 7 DAYS, posted = count(post) WITHIN 7 DAYS > 3, amount = sum(post.amount) WITHIN 3 DAYS,
           aov = sum(post.amount) / count(post) WITHIN 5 DAYS)
  COVARIATE sum(post.amount) WITHIN 6 DAYS EXPOSURE exposure"
out=$("$SHOAL" query --format table "$DEF" 2>&1)
check_grep "experiment_group_view: CREATE back-fills its view" 'CREATE EXPERIMENT ritual \(view back-filled 400 events\)' "$out"
check "experiment_group_view: the rest in batches of 37" "$SHOAL" ingest -q --batch 37 "$T/ev.ndjson"
N_EV=$(wc -l < "$T/ev.ndjson")

Q="SELECT * FROM experiment(ritual)"
jon() { "$SHOAL" query --format json "$1" 2>&1; }
joff() { "$SHOAL" query --format json "SET VIEWS = off; $1" 2>&1; }
out=$(jon "EXPLAIN $Q")
check_grep "experiment_group_view: EXPLAIN names the view" "kept by its view experiment:ritual \(sequence $N_EV; no log read\).*group units, cluster-robust" "$out"
rows=$(jon "$Q")
check_grep "experiment_group_view: group units evaluated" '"metric":"aov","role":"primary","arm":"ritual","units":[1-9][0-9]*,"members":[1-9][0-9]*,"mean":[0-9]+\.[0-9]{10}.*"method":"group units: ratio of group totals, cluster-robust delta method, cuped"' "$rows"
check_grep "experiment_group_view: members in two groups and none, groups in two arms counted" \
    'groups in two arms left out; [1-9][0-9]* members exposed in two groups left out; [1-9][0-9]* members exposed without a group left out' "$rows"
check_eq "experiment_group_view: views on and off agree to the last bit" "$rows" "$(joff "$Q")"
check_grep "experiment_group_view: views off, EXPLAIN says why not" "not from its view \(SET VIEWS = off\)" "$(jon "SET VIEWS = off; EXPLAIN $Q")"

# per arm the groups and members against sqlite (groups all of whose counted members
# are in one arm; a member's arm its named one, else its group's hash: from shoal's arm())
if command -v sqlite3 >/dev/null; then
    "$SHOAL" query --format csv "SELECT group, arm('ritual', group) FROM events WHERE type = 'exposure' AND group IS NOT NULL GROUP BY group" \
        | tail -n +2 > "$T/garm.csv"
    oracle_load "$T/ev.ndjson" <<SQL || fail experiment_group_view-oracle-load
CREATE TABLE ev AS SELECT json_extract(j, '\$.member') AS member, json_extract(j, '\$.type') AS type,
    json_extract(j, '\$.experiment') AS experiment, json_extract(j, '\$.arm') AS arm, json_extract(j, '\$.group') AS grp FROM raw;
CREATE TABLE garm(grp TEXT, arm TEXT);
.mode csv
.import $T/garm.csv garm
SQL
    want=$(sqlite3 -csv "$T/oracle.db" "WITH x AS (SELECT member, count(DISTINCT arm) AS na, max(arm) AS arm, count(DISTINCT grp) AS ng,
            count(*) - count(grp) AS nog, max(grp) AS grp FROM ev WHERE type = 'exposure' AND experiment = 'ritual' GROUP BY member),
        m AS (SELECT x.member, x.grp, coalesce(x.arm, garm.arm) AS arm FROM x JOIN garm ON garm.grp = x.grp WHERE na <= 1 AND ng = 1 AND nog = 0),
        g AS (SELECT grp, count(DISTINCT arm) AS na, max(arm) AS arm, count(*) AS n FROM m GROUP BY grp)
        SELECT arm, count(*), sum(n) FROM g WHERE na = 1 GROUP BY arm ORDER BY arm")
    got=$("$SHOAL" query --format csv "SELECT arm, units, members FROM experiment(ritual) WHERE metric = 'posts' ORDER BY arm" | tail -n +2)
    check_eq "experiment_group_view: groups and members per arm against sqlite" "$got" "$want"
else
    skip "experiment_group_view: sqlite3 is not installed"
fi

check_grep "experiment_group_view: check (incremental == rebuild) passes" "^ok$" "$("$SHOAL" check 2>&1)"
check "experiment_group_view: rebuild" "$SHOAL" rebuild ritual
check_eq "experiment_group_view: the same rows after rebuild" "$(jon "$Q")" "$rows"

# a time before the latest event: AS OF instants at random, and a now mid-day
lohi=$(python3 -c "import json,datetime as d
f=lambda s: int(d.datetime.fromisoformat(s.replace('Z','+00:00')).timestamp()*1000)
ts=[f(json.loads(l)['ts']) for l in open('$T/ev.ndjson')]
print(min(ts), max(ts))")
lo=${lohi% *}; hi=${lohi#* }
bad=0; n_at=0
for i in 1 2 3 4 5 6 7 8; do
    at=$(python3 -c "import random,datetime as d; random.seed($i); t=random.randint($lo,$hi); print(d.datetime.fromtimestamp(t/1000,d.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]+'Z')")
    a=$(jon "$Q AS OF '$at'"); b=$(joff "$Q AS OF '$at'")
    n_at=$((n_at + 1))
    if [ "$a" != "$b" ]; then bad=1; fail "experiment_group_view: AS OF $at, views on and off" "$a" "$b"; break; fi
    case "$(jon "EXPLAIN $Q AS OF '$at'")" in *"as of the statement's time"*) ;; *) bad=1; fail "experiment_group_view: AS OF $at from the view";; esac
done
[ $bad = 0 ] && ok "experiment_group_view: $n_at AS OF instants at random, the view's rows equal the log's to the last bit"
check_grep "experiment_group_view: a now mid-day reads the view" "kept by its view .*as of the statement's time" \
    "$(jon "SET NOW = '2025-03-15T12:00:00Z'; EXPLAIN $Q")"
check_eq "experiment_group_view: a now mid-day, views on and off agree" "$(jon "SET NOW = '2025-03-15T12:00:00Z'; $Q")" \
    "$(joff "SET NOW = '2025-03-15T12:00:00Z'; $Q")"

# late exposures: an earlier one in another group (two groups from then on), one
# without a group, a member joining a group of the other arm, a new member by the hash
printf '%s\n' '{"ts":"2025-03-02T00:00:00Z","member":"m-3","type":"exposure","experiment":"ritual","group":"g-late"}' \
    '{"ts":"2025-03-02T00:30:00Z","member":"m-5","type":"exposure","experiment":"ritual"}' \
    '{"ts":"2025-03-02T01:00:00Z","member":"m-new","type":"post","amount":2.5}' \
    '{"ts":"2025-03-02T00:40:00Z","member":"m-new","type":"exposure","experiment":"ritual","group":"g-1"}' \
    '{"ts":"2025-03-03T00:00:00Z","member":"m-new2","type":"exposure","experiment":"ritual","group":"g-2","arm":"ritual"}' \
    '{"ts":"2025-03-03T02:00:00Z","member":"m-new3","type":"exposure","experiment":"ritual","group":"g-2","arm":"control"}' > "$T/late.ndjson"
"$SHOAL" ingest -q "$T/late.ndjson"
check_grep "experiment_group_view: late exposures, the view answers" "kept by its view" "$(jon "EXPLAIN $Q")"
check_eq "experiment_group_view: late exposures, views on and off agree" "$(jon "$Q")" "$(joff "$Q")"
for at in 2025-03-02T00:00:00Z 2025-03-02T00:35:00Z 2025-03-02T23:59:59.999Z 2025-03-03T01:00:00Z 2025-03-04 2025-03-09; do
    check_eq "experiment_group_view: late exposures, AS OF $at, views on and off agree" "$(jon "$Q AS OF '$at'")" "$(joff "$Q AS OF '$at'")"
done
check_grep "experiment_group_view: late exposures, check passes" "^ok$" "$("$SHOAL" check 2>&1)"

# shoal gen's stream (late events, duplicates; its exposures name a group and an arm),
# created over its first part, the rest in batches
export SHOAL_DB="$T/gen"
"$SHOAL" gen --events 60000 --seed 5 --late 0.1 --dup 0.02 > "$T/gen.ndjson"
head -n 30000 "$T/gen.ndjson" > "$T/gen1.ndjson"
"$SHOAL" ingest -q "$T/gen1.ndjson"
"$SHOAL" query "CREATE EXPERIMENT welcome_ritual ARMS (control 50, ritual 50) UNIT group METRICS (posts = count(post) WITHIN 7 DAYS,
    spoke = count(post, comment, reply) WITHIN 2 DAYS > 0, wpp = sum(post.words) / count(post) WITHIN 3 DAYS) EXPOSURE exposure" >/dev/null
"$SHOAL" ingest -q --batch 291 "$T/gen.ndjson"
G="SELECT * FROM experiment(welcome_ritual)"
check_grep "experiment_group_view: gen, the view answers" "kept by its view" "$(jon "EXPLAIN $G")"
check_eq "experiment_group_view: gen, views on and off agree" "$(jon "$G")" "$(joff "$G")"
check_eq "experiment_group_view: gen, AS OF, views on and off agree" "$(jon "$G AS OF '2025-01-10T08:00:00Z'")" "$(joff "$G AS OF '2025-01-10T08:00:00Z'")"
check_grep "experiment_group_view: gen, check passes" "^ok$" "$("$SHOAL" check 2>&1)"
export SHOAL_DB="$T/db"
