#!/usr/bin/env bash
# tests/e2e/experiment.sh — CREATE EXPERIMENT and EVALUATE EXPERIMENT over generated
# exposures and posts (experiment_data.py): per arm and metric n, mean and sd checked
# against sqlite3 over the same events (the window after each member's first exposure,
# late exposures, members in two arms left out), AS OF SEQ, views off; a planted lift
# inside the relative CI; SRM on a skewed split; hash assignment stable across runs and
# rebuild with the split near the weights; the definition's errors at their positions.
. "$(dirname "$0")/../lib.sh"

if ! command -v sqlite3 >/dev/null; then
    fail experiment "sqlite3 is not installed (apt-get install sqlite3)"
    exit 0
fi
python3 "$SHOAL_TESTS/e2e/experiment_data.py" 5 1500 0.2 > "$T/ev.ndjson" || { fail experiment-gen; exit 0; }
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail experiment-ingest; exit 0; }
N_EV=$(wc -l < "$T/ev.ndjson")
D=86400000
oracle_load "$T/ev.ndjson" <<SQL || { fail experiment-oracle-load; exit 0; }
CREATE TABLE ev AS SELECT rowid AS seq,
    CAST(round((julianday(json_extract(j, '\$.ts')) - 2440587.5) * 86400000) AS INTEGER) AS ms,
    json_extract(j, '\$.member') AS member, json_extract(j, '\$.type') AS type,
    json_extract(j, '\$.experiment') AS experiment, json_extract(j, '\$.arm') AS arm,
    json_extract(j, '\$.amount') AS amount FROM raw;
CREATE INDEX ev_member ON ev(member, type, ms);
SQL
# the oracle's per-arm rows, as of sequence \$1: metric, arm, n, mean, sd
oracle_arms() {
    local k=$1
    cat <<SQL
WITH x AS (SELECT member, min(ms) AS t0, count(DISTINCT arm) AS arms, max(arm) AS arm FROM ev
           WHERE type = 'exposure' AND experiment = 'ritual' AND seq <= $k GROUP BY member),
u AS (SELECT member, arm,
        (SELECT count(*) FROM ev WHERE ev.member = x.member AND type = 'post' AND seq <= $k AND ms >= t0 AND ms < t0 + 7*$D) AS posts,
        (SELECT coalesce(sum(amount), 0) FROM ev WHERE ev.member = x.member AND type = 'post' AND seq <= $k AND ms >= t0 AND ms < t0 + 3*$D) AS amount
      FROM x WHERE arms = 1),
v AS (SELECT 1 AS o, 'posts' AS metric, arm, posts AS val FROM u
      UNION ALL SELECT 2, 'posted', arm, posts > 3 FROM u
      UNION ALL SELECT 3, 'amount', arm, amount FROM u)
SELECT metric, arm, count(*), avg(val), sqrt((sum(val * val) - sum(val) * sum(val) * 1.0 / count(*)) / (count(*) - 1))
FROM v GROUP BY o, metric, arm ORDER BY o, arm
SQL
}
same() {
    local name=$1 q=$2 sql=$3 a b
    a=$("$SHOAL" query --format csv "$q" 2>&1 | tail -n +2)
    b=$(sqlite3 -csv "$T/oracle.db" "$sql" 2>&1)
    if [ -z "$b" ]; then fail "$name" "the oracle returned nothing: $sql"; return; fi
    if rows_close "$a" "$b"; then ok "$name"; else fail "$name" "shoal:" "$(printf '%s\n' "$a" | head -6)" "sqlite:" "$(printf '%s\n' "$b" | head -6)"; fi
}

DEF="CREATE EXPERIMENT ritual ARMS (control 50, ritual 50) SALT 's1'
  METRICS (posts = count(post) WITHIN 7 DAYS, posted = count(post) WITHIN 7 DAYS > 3, amount = sum(post.amount) WITHIN 3 DAYS)
  EXPOSURE exposure"
check "experiment: CREATE EXPERIMENT" "$SHOAL" query "$DEF"
same "experiment: per arm n, mean, sd against sqlite" \
    "SELECT metric, arm, units, mean, sd FROM experiment(ritual)" "$(oracle_arms $N_EV)"
same "experiment: diff is the difference of the means, against sqlite" \
    "SELECT metric, diff FROM experiment(ritual) WHERE arm = 'ritual' AND metric = 'posts'" \
    "SELECT metric, b - a FROM (SELECT o, metric, max(CASE WHEN arm = 'ritual' THEN m END) AS b, max(CASE WHEN arm = 'control' THEN m END) AS a
       FROM (SELECT 1 AS o, 'posts' AS metric, arm, avg(p) AS m FROM (SELECT x.arm, (SELECT count(*) FROM ev WHERE ev.member = x.member AND type = 'post' AND ms >= t0 AND ms < t0 + 7*$D) AS p
             FROM (SELECT member, min(ms) AS t0, max(arm) AS arm FROM ev WHERE type = 'exposure' AND experiment = 'ritual' GROUP BY member HAVING count(DISTINCT arm) = 1) x) GROUP BY arm) GROUP BY o, metric)"
same "experiment: the units in two arms, left out" \
    "SELECT min(two_arms), max(two_arms) FROM experiment(ritual)" \
    "SELECT count(*), count(*) FROM (SELECT member FROM ev WHERE type = 'exposure' AND experiment = 'ritual' GROUP BY member HAVING count(DISTINCT arm) > 1)"
same "experiment: stamped with the log's sequence" "SELECT min(seq), max(seq) FROM experiment(ritual)" "SELECT max(seq), max(seq) FROM ev"
K=$((N_EV * 2 / 3))
same "experiment: EVALUATE … AS OF SEQ, against sqlite" \
    "SELECT metric, arm, units, mean, sd, seq FROM experiment(ritual) AS OF SEQ $K" \
    "SELECT *, $K FROM ($(oracle_arms $K))"
same "experiment: with views off" \
    "SET VIEWS = off; CREATE COUNTERS c AS count(post); SELECT metric, arm, units, mean, sd FROM experiment(ritual); DROP COUNTERS c" "$(oracle_arms $N_EV)"
ev_out=$("$SHOAL" query --format csv "EVALUATE EXPERIMENT ritual" 2>&1)
check_eq "experiment: the REPL evaluates the same" "$(printf 'EVALUATE EXPERIMENT ritual;\n' | "$SHOAL" repl --format csv 2>&1)" "$ev_out"
check_grep "experiment: EVALUATE EXPERIMENT prints every column" '^metric,role,arm,units,members,mean,sd,diff,diff_lo,diff_hi,rel_diff,rel_lo,rel_hi,p,p_one_sided,p_adjusted,correction,chance_to_win,risk,risk_control,seq_lo,seq_hi,seq_p,cuped_reduction,harm,verdict,srm_p,decision_ready,two_arms,method,seq,definition,warning,confidence,test,prior$' "$ev_out"
check_eq "experiment: EVALUATE is SELECT * FROM experiment(name)" "$ev_out" "$("$SHOAL" query --format csv "SELECT * FROM experiment(ritual)" 2>&1)"
json=$("$SHOAL" query --format json "EVALUATE EXPERIMENT ritual AS OF SEQ $K" 2>&1)
check_grep "experiment: --format json" "\"seq\": ?$K" "$json"
# the planted lift (posts per day × 1.2) is inside the relative CI of posts; the split is 50/50
got=$("$SHOAL" query --format csv "SELECT count(*) FROM experiment(ritual) WHERE metric = 'posts' AND arm = 'ritual' AND rel_lo < 0.2 AND rel_hi > 0.2 AND p < 0.05 AND decision_ready" | tail -1)
check_eq "experiment: the planted lift of 0.2 is inside the 95% CI" "$got" 1
got=$("$SHOAL" query --format csv "SELECT count(*) FROM experiment(ritual) WHERE arm = 'ritual' AND diff_lo < diff AND diff < diff_hi AND abs(diff - (diff_lo + diff_hi) / 2) < 1e-9" | tail -1)
check_eq "experiment: a CI around each difference" "$got" 3
got=$("$SHOAL" query --format csv "SELECT count(*) FROM experiment(ritual) WHERE arm = 'ritual' AND p_adjusted = p AND correction LIKE 'none%' AND (chance_to_win > 0.5) = (diff > 0)" | tail -1)
check_eq "experiment: two arms, the adjusted p is p; the chance to beat control sides with the difference" "$got" 3
check "experiment: SHOW VIEWS lists it" bash -c "'$SHOAL' query 'SHOW VIEWS' | grep -q 'ritual.*experiment'"
check "experiment: CREATE OR REPLACE" "$SHOAL" query "CREATE OR REPLACE EXPERIMENT ritual ARMS (control 50, ritual 50) METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure"
got=$("$SHOAL" query --format csv "SELECT count(*) FROM experiment(ritual)" | tail -1)
check_eq "experiment: replaced (one metric, two arms)" "$got" 2
check "experiment: DROP EXPERIMENT" "$SHOAL" query "DROP EXPERIMENT ritual"
check "experiment: DROP EXPERIMENT IF EXISTS" "$SHOAL" query "DROP EXPERIMENT IF EXISTS ritual"
out=$("$SHOAL" query "EVALUATE EXPERIMENT ritual" 2>&1)
check_grep "experiment: gone after DROP" 'unknown experiment "ritual"' "$out"

"$SHOAL" query "CREATE EXPERIMENT nobody ARMS (control 50, ritual 50) METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure" >/dev/null
got=$("$SHOAL" query --format csv "SELECT count(*) FROM experiment(nobody) WHERE units = 0 AND NOT decision_ready AND warning LIKE 'no unit exposed yet%'" | tail -1)
check_eq "experiment: nobody exposed is not decision-ready" "$got" 2

# SRM: a third of the ritual arm lost
export SHOAL_DB="$T/skew"
python3 "$SHOAL_TESTS/e2e/experiment_data.py" 6 1500 0 0.3 > "$T/skew.ndjson" && "$SHOAL" ingest -q "$T/skew.ndjson"
"$SHOAL" query "$DEF" >/dev/null 2>&1
out=$("$SHOAL" query --format csv "SELECT decision_ready, warning LIKE 'SAMPLE RATIO MISMATCH%', count(*) FROM experiment(ritual) GROUP BY decision_ready, warning LIKE 'SAMPLE RATIO MISMATCH%'" 2>&1 | tail -n +2)
check_eq "experiment: SRM on a skewed split, not decision-ready" "$out" "false,true,6"

# assignment by the hash: stable across runs and rebuild, the split near the weights
export SHOAL_DB="$T/hash"
python3 "$SHOAL_TESTS/e2e/experiment_data.py" 7 0 0 0 4000 > "$T/hash.ndjson" && "$SHOAL" ingest -q "$T/hash.ndjson"
"$SHOAL" query "CREATE EXPERIMENT ritual ARMS (control 20, ritual 80) METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure" >/dev/null
"$SHOAL" query "CREATE EXPERIMENT h ARMS (a 1, b 1, c 2) SALT 'x' METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure" >/dev/null
a1=$("$SHOAL" query --format csv "SELECT member, arm('ritual', member), arm('h', member) FROM members ORDER BY member" 2>&1)
check_grep "experiment: arm(name, member) in SELECT" '^m-h0,(control|ritual),[abc]$' "$a1"
a2=$("$SHOAL" query --format csv "SELECT member, arm('ritual', member), arm('h', member) FROM members ORDER BY member" 2>&1)
check_eq "experiment: the same arms on a second run" "$a1" "$a2"
"$SHOAL" rebuild >/dev/null 2>&1
a3=$("$SHOAL" query --format csv "SELECT member, arm('ritual', member), arm('h', member) FROM members ORDER BY member" 2>&1)
check_eq "experiment: the same arms after rebuild" "$a1" "$a3"
u=$("$SHOAL" query --format csv "SELECT arm, units FROM experiment(ritual)" | tail -n +2 | tr '\n' ' ')
check_grep "experiment: the hash's split near 20/80 (±3 sd)" '^control,(7[6-9][0-9]|8[0-4][0-9]) ritual,(3[12][0-9][0-9]) $' "$u"
u=$("$SHOAL" query --format csv "SELECT min(decision_ready) FROM experiment(ritual)" | tail -1)
check_eq "experiment: the hash's split passes the SRM check" "$u" true
got=$("$SHOAL" query --format csv "SELECT arm('ritual', member) AS a, count(*) FROM members GROUP BY a ORDER BY a" 2>&1 | tail -n +2 | tr '\n' ' ')
u=$("$SHOAL" query --format csv "SELECT arm, units FROM experiment(ritual)" | tail -n +2 | tr '\n' ' ')
check_eq "experiment: arm() agrees with the evaluation's assignment" "$got" "$u"
# shoal gen's planted effect: --lift F makes the ritual arm's posts in the 7 days after
# exposure (1 + F) times control's; the relative CI covers it (and 0 without a lift);
# --skew drops ritual exposures and SRM fires
GDEF="CREATE EXPERIMENT welcome_ritual ARMS (control 50, ritual 50) METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure"
for case in "1 1" "0 0"; do
    set -- $case
    export SHOAL_DB="$T/lift$1"
    "$SHOAL" gen --events 300000 --seed 4 --lift "$1" > "$T/lift.ndjson" && "$SHOAL" ingest -q "$T/lift.ndjson" && "$SHOAL" query "$GDEF" >/dev/null
    got=$("$SHOAL" query --format csv "SELECT count(*) FROM experiment(welcome_ritual) WHERE arm = 'ritual' AND rel_lo < $2 AND rel_hi > $2 AND decision_ready" | tail -1)
    check_eq "experiment: gen --lift $1, the relative CI covers $2" "$got" 1
done
export SHOAL_DB="$T/lift1"
got=$("$SHOAL" query --format csv "SELECT count(*) FROM experiment(welcome_ritual) WHERE arm = 'ritual' AND p < 0.05" | tail -1)
check_eq "experiment: gen --lift 1 is found (p < 0.05)" "$got" 1
got=$("$SHOAL" query --format csv "SELECT verdict, p_one_sided < p, chance_to_win > 0.95, risk < risk_control, seq_lo < diff_lo AND diff_hi < seq_hi FROM experiment(welcome_ritual) WHERE arm = 'ritual'" | tail -1)
check_eq "experiment: gen --lift 1: better, one-sided p below p, a high chance to win, the risk on control, a wider sequential CI" "$got" "better,true,true,true,true"
export SHOAL_DB="$T/gskew"
"$SHOAL" gen --events 300000 --seed 4 --skew 0.1 > "$T/gskew.ndjson" && "$SHOAL" ingest -q "$T/gskew.ndjson" && "$SHOAL" query "$GDEF" >/dev/null
got=$("$SHOAL" query --format csv "SELECT count(*) FROM experiment(welcome_ritual) WHERE NOT decision_ready AND srm_p < 0.001 AND warning LIKE 'SAMPLE RATIO MISMATCH%'" | tail -1)
check_eq "experiment: gen --skew 0.1 fires SRM" "$got" 2
got=$("$SHOAL" query --format csv "SELECT verdict FROM experiment(welcome_ritual) WHERE arm = 'ritual'" | tail -1)
check_eq "experiment: gen --skew 0.1: the verdict is not decision-ready" "$got" "not decision-ready"
check_status "experiment: gen --lift refuses a negative lift" 2 "$SHOAL" gen --events 10 --lift -1

# three arms: Holm's adjustment over the two comparisons (p.adjust: the smaller p times 2,
# the larger at least that and its own p)
export SHOAL_DB="$T/hash"
"$SHOAL" query "CREATE OR REPLACE EXPERIMENT ritual ARMS (a 1, b 1, c 2) SALT 'x' METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure" >/dev/null
got=$("$SHOAL" query --format csv "SELECT min(p), max(p), min(p_adjusted), max(p_adjusted), count(*) FROM experiment(ritual) WHERE arm != 'a' AND p > 0 AND p_adjusted > 0 AND correction = 'holm'" | tail -1)
check_eq "experiment: Holm over three arms" "$(echo "$got" | awk -F, '{ lo = $1 * 2 < 1 ? $1 * 2 : 1; hi = $2 > lo ? $2 : lo;
    print (($3 - lo)^2 < 1e-20 * (lo + 1) && ($4 - hi)^2 < 1e-20 * (hi + 1) && $5 == 2) ? "holm" : $0 }')" holm

# errors at their positions
export SHOAL_DB="$T/db"
err() {
    local name=$1 q=$2 pat=$3 out
    out=$("$SHOAL" query "$q" 2>&1)
    check_grep "$name" "$pat" "$out"
}
err "experiment: one arm is refused at it" "CREATE EXPERIMENT e ARMS (control 50) METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:27: error: an experiment needs at least two arms'
err "experiment: a weight of 0" "CREATE EXPERIMENT e ARMS (control 50, b 0) METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:41: error: an arm.s weight is an integer from 1 to 1000000, not "0"'
err "experiment: a misspelt word" "CREATE EXPERIMENT e ARMS (control 50, b 50) METRIX (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:45: error: expected SALT, METRICS, GUARDRAILS, UNIT, CORRECTION, COVARIATE, CONFIDENCE, TEST, PRIOR or EXPOSURE but found "METRIX"'
err "experiment: avg is not a metric" "CREATE EXPERIMENT e ARMS (control 50, b 50) METRICS (p = avg(post.amount) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:58: error: a metric is count\(…\) or sum\(TYPE.prop\), not avg'
err "experiment: a type no event has yet in a metric is a warning" "CREATE EXPERIMENT e ARMS (control 50, b 50)
METRICS (p = count(pots) WITHIN 7 DAYS) EXPOSURE exposure; DROP EXPERIMENT e" '^warning: experiment e names what no event has yet: pots \(misspelt'
err "experiment: in a query's own text it is an error, on the second line" "SELECT member
FROM members WHERE count(pots) > 0" '^query:2:26: error: unknown event type "pots"'
err "experiment: a bad unit" "CREATE EXPERIMENT e ARMS (control 50, b 50) METRICS (p = count(post) WITHIN 7 DAZE) EXPOSURE exposure" \
    '^query:1:79: error: .*DAZE'
err "experiment: a duplicate arm" "CREATE EXPERIMENT e ARMS (control 50, control 50) METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:39: error: arm "control" is declared twice'
err "experiment: EVALUATE of no experiment" "EVALUATE EXPERIMENT nope" '^query:1:21: error: unknown experiment "nope"'
err "experiment: EVALUATE's second word" "EVALUATE EXPERIMINT nope" '^query:1:10: error: expected EVALUATE EXPERIMENT name'
err "experiment: arm() of no experiment" "SELECT arm('nope', member) FROM members" '^query:1:12: error: unknown experiment "nope"'
