#!/usr/bin/env bash
# tests/e2e/experiment_units.sh — what CREATE EXPERIMENT declares beyond plain metrics:
# ratio metrics (the delta method), a CUPED covariate, guardrails with LOWER IS BETTER,
# UNIT group (analysis over groups, cluster-robust), CORRECTION bh; checked against an
# independent computation in Python over the same events (experiment_units.py); the
# output columns' relations (one-sided p, sequential CI, risks, verdicts, the
# definition's hash); shoal batch; and the clauses' errors at their positions.
. "$(dirname "$0")/../lib.sh"

PY="$SHOAL_TESTS/e2e/experiment_units.py"
python3 "$PY" gen 3 150 > "$T/u.ndjson" || { fail experiment-units-gen; exit 0; }
"$SHOAL" ingest -q "$T/u.ndjson" || { fail experiment-units-ingest; exit 0; }

close() {   # name, shoal query, python's answer
    local name=$1 a b=$3
    a=$("$SHOAL" query --format csv "$2" 2>&1 | tail -n +2)
    if [ -z "$b" ]; then fail "$name" "the oracle printed nothing"; return; fi
    if rows_close "$a" "$b"; then ok "$name"; else fail "$name" "shoal:" "$a" "python:" "$b"; fi
}
one() { "$SHOAL" query --format csv "$1" 2>&1 | tail -n +2; }

MEM="CREATE EXPERIMENT mem ARMS (control 1, treat 1)
  METRICS (posts = count(post) WITHIN 7 DAYS, aov = sum(purchase.amount) / count(purchase) WITHIN 7 DAYS)
  GUARDRAILS (reports = count(report) WITHIN 7 DAYS LOWER IS BETTER)
  COVARIATE count(post) WITHIN 14 DAYS
  EXPOSURE exposure"
GRP="CREATE EXPERIMENT grp ARMS (control 1, treat 1) UNIT group METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure"
check "experiment units: CREATE with ratio, guardrail and covariate" "$SHOAL" query "$MEM"
check "experiment units: CREATE with UNIT group" "$SHOAL" query "$GRP"

# ratio: Σamount/Σpurchases per arm, sd = sqrt of the delta method's per-unit variance
close "experiment units: a ratio metric's arms (units, ratio, delta-method sd) against python" \
    "SELECT arm, units, mean, sd FROM experiment(mem) WHERE metric = 'aov'" "$(python3 "$PY" oracle "$T/u.ndjson" ratio)"
got=$(one "SELECT count(*) FROM experiment(mem) WHERE metric = 'aov' AND method = 'ratio: delta method, cuped'")
check_eq "experiment units: a ratio metric says its method, CUPED by the covariate" "$got" 2
# CUPED of a ratio metric: Σa/Σb − θ·c̄ per arm (gbstats' regression-adjusted ratio with
# the covariate per unit), θ and the variances by the delta method
close "experiment units: a ratio metric's CUPED difference and variance reduction against python" \
    "SELECT diff, cuped_reduction FROM experiment(mem) WHERE metric = 'aov' AND arm = 'treat'" \
    "$(python3 "$PY" oracle "$T/u.ndjson" ratio_cuped)"
# … and one the covariate predicts (posts per purchase: the posts before exposure
# predict the numerator), where the adjustment matters
"$SHOAL" query "CREATE OR REPLACE EXPERIMENT mem ARMS (control 1, treat 1)
  METRICS (ppp = count(post) / count(purchase) WITHIN 7 DAYS) COVARIATE count(post) WITHIN 14 DAYS EXPOSURE exposure" >/dev/null
close "experiment units: a predicted ratio metric's CUPED difference and variance reduction against python" \
    "SELECT diff, cuped_reduction FROM experiment(mem) WHERE arm = 'treat'" "$(python3 "$PY" oracle "$T/u.ndjson" ratio_cuped_posts)"
got=$(one "SELECT count(*) FROM experiment(mem) WHERE arm = 'treat' AND cuped_reduction > 0.1")
check_eq "experiment units: … which takes out a part of its variance (13% here)" "$got" 1
"$SHOAL" query "CREATE OR REPLACE $(echo "$MEM" | sed 's/^CREATE //')" >/dev/null
# CUPED: θ pooled over the pair, the adjusted difference and the variance reduction
close "experiment units: CUPED's adjusted difference and variance reduction against python" \
    "SELECT diff, cuped_reduction FROM experiment(mem) WHERE metric = 'posts' AND arm = 'treat'" \
    "$(python3 "$PY" oracle "$T/u.ndjson" cuped)"
got=$(one "SELECT count(*) FROM experiment(mem) WHERE metric = 'posts' AND arm = 'treat' AND cuped_reduction > 0.5 AND method LIKE '%cuped'")
check_eq "experiment units: the pre-exposure posts take out most of the variance" "$got" 1
# UNIT group: each group one unit, the per-member mean over groups, cluster-robust
close "experiment units: UNIT group's arms (groups, members, mean, cluster sd) against python" \
    "SELECT arm, units, members, mean, sd FROM experiment(grp)" "$(python3 "$PY" oracle "$T/u.ndjson" group)"
got=$(one "SELECT count(*) FROM experiment(grp) WHERE method LIKE 'group units:%cluster-robust%'")
check_eq "experiment units: UNIT group says so in the output" "$got" 2
# the same split analysed as if members were independent gives a narrower (wrong) CI
wg=$(one "SELECT diff_hi - diff_lo FROM experiment(grp) WHERE arm = 'treat'")
"$SHOAL" query "CREATE OR REPLACE EXPERIMENT grp ARMS (control 1, treat 1) METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure" >/dev/null
wm=$(one "SELECT diff_hi - diff_lo FROM experiment(grp) WHERE arm = 'treat'")
check_eq "experiment units: the group analysis's CI is wider than the members' (the design effect)" \
    "$(awk -v g="$wg" -v m="$wm" 'BEGIN { print (g > 1.3 * m) ? "wider" : g " vs " m }')" wider
# UNIT group with a covariate: each group's members' posts before exposure, per member
# of the group (the ratio CUPED over group totals), the analysis still over groups
"$SHOAL" query "CREATE OR REPLACE $(echo "$GRP" | sed 's/^CREATE //; s/ EXPOSURE/ COVARIATE count(post) WITHIN 14 DAYS EXPOSURE/')" >/dev/null
close "experiment units: UNIT group's CUPED difference and variance reduction against python" \
    "SELECT diff, cuped_reduction FROM experiment(grp) WHERE arm = 'treat'" "$(python3 "$PY" oracle "$T/u.ndjson" group_cuped)"
got=$(one "SELECT count(*) FROM experiment(grp) WHERE method = 'group units: per-member mean over groups, cluster-robust delta method, cuped'")
check_eq "experiment units: UNIT group with a covariate says both" "$got" 2
got=$(one "SELECT count(*) FROM experiment(grp) WHERE arm = 'treat' AND cuped_reduction > 0.3 AND diff_lo < diff AND diff < diff_hi")
check_eq "experiment units: … and the groups' pre-exposure posts take out much of the variance" "$got" 1
"$SHOAL" query "CREATE OR REPLACE $(echo "$GRP" | sed 's/^CREATE //')" >/dev/null

# EXPLAIN of the row source (its inner plans' lines were once appended to an
# uninitialized array: a hang in the arena's doubling)
out=$(timeout 20 "$SHOAL" query "EXPLAIN SELECT * FROM experiment(grp)" 2>&1)
check_grep "experiment units: EXPLAIN of a UNIT group experiment names its view" 'experiment grp: .*kept by its view experiment:grp.*group units, cluster-robust.*' "$out"
out=$(timeout 20 "$SHOAL" query "SET VIEWS = off; EXPLAIN SELECT * FROM experiment(grp)" 2>&1)
check_grep "experiment units: EXPLAIN of a UNIT group experiment from the log" 'experiment grp: not from its view.*group units, cluster-robust.*' "$out"
check_grep "experiment units: … says where the groups come from" 'first each exposed member.s group, from the exposures' "$out"
out=$(timeout 20 "$SHOAL" query "EXPLAIN SELECT * FROM experiment(mem)" 2>&1)
check_grep "experiment units: EXPLAIN of a member experiment with CUPED" 'experiment mem: .*welch t, ratios by the delta method, cuped, holm' "$out"

# guardrails: reports tripled in treat is a harm, a failure whatever posts say
got=$(one "SELECT harm, verdict, p < 0.05, diff > 0 FROM experiment(mem) WHERE metric = 'reports' AND arm = 'treat'")
check_eq "experiment units: a guardrail's significant rise, LOWER IS BETTER, is a harm" "$got" "true,FAILED: guardrail reports harmed,true,true"
got=$(one "SELECT count(*) FROM experiment(mem) WHERE arm = 'treat' AND verdict = 'FAILED: guardrail reports harmed' AND warning LIKE '%GUARDRAIL FAILED: reports harmed%'")
check_eq "experiment units: every row of the arm says the guardrail failed" "$got" 3
got=$(one "SELECT p < 0.05, diff > 0 FROM experiment(mem) WHERE metric = 'aov' AND arm = 'treat'")
check_eq "experiment units: … though its primary metric is significantly better" "$got" "true,true"
got=$(one "SELECT count(*) FROM experiment(mem) WHERE arm = 'control' AND harm IS NULL AND verdict IS NULL")
check_eq "experiment units: the control's rows have no harm and no verdict" "$got" 3
# LOWER IS BETTER turns the Bayesian chance, the risks and the one-sided test around
got=$(one "SELECT chance_to_win < 0.01, p_one_sided > 0.99, risk > risk_control FROM experiment(mem) WHERE metric = 'reports' AND arm = 'treat'")
check_eq "experiment units: LOWER IS BETTER: a rise has no chance to win, a one-sided p near 1, the risk on the arm" "$got" "true,true,true"
got=$(one "SELECT chance_to_win > 0.99, risk < risk_control, abs(p_one_sided - p / 2) < 1e-12 * p FROM experiment(mem) WHERE metric = 'aov' AND arm = 'treat'")
check_eq "experiment units: higher is better: the one-sided p is half the two-sided p when the arm is ahead" "$got" "true,true,true"
# the sequential CI: wider than the fixed one below its tuning of 5000 units, and its p
# below 0.05 exactly when it leaves out 0
got=$(one "SELECT count(*) FROM experiment(mem) WHERE arm = 'treat' AND seq_lo < diff_lo AND seq_hi > diff_hi AND (seq_p < 0.05) = (seq_lo > 0 OR seq_hi < 0)")
check_eq "experiment units: the sequential CI is wider, and its p agrees with it" "$got" 3
# the definition's stamp: the same across runs, another after CREATE OR REPLACE
h1=$(one "SELECT definition FROM experiment(mem) LIMIT 1")
got=$(one "SELECT count(*) FROM experiment(mem) WHERE definition = '$h1'")
check_eq "experiment units: every row carries the stamp" "$got" 6
h2=$(one "SELECT definition FROM experiment(mem) LIMIT 1")
check_grep "experiment units: stamped with the definition's hash" '^[0-9a-f]{16}$' "$h1"
check_eq "experiment units: the same definition, the same stamp" "$h1" "$h2"
"$SHOAL" query "CREATE OR REPLACE $(echo "$MEM" | sed 's/^CREATE //; s/14 DAYS/13 DAYS/')" >/dev/null
h3=$(one "SELECT definition FROM experiment(mem) LIMIT 1")
[ -n "$h3" ] && [ "$h3" != "$h1" ] && ok "experiment units: a new definition, a new stamp" || fail "experiment units: a new definition, a new stamp" "$h1 $h3"
"$SHOAL" query "CREATE OR REPLACE $(echo "$MEM" | sed 's/^CREATE //')" >/dev/null
json=$("$SHOAL" query --format json "EVALUATE EXPERIMENT mem")
check_grep "experiment units: --format json has the new columns" '"role":"guardrail".*"p_one_sided":[0-9.e-]+,"p_adjusted":[0-9.e-]+,"correction":"none \(one comparison\)".*"harm":true,"verdict":"FAILED: guardrail reports harmed"' "$(printf '%s' "$json" | tr -d '\n')"

# three arms with CORRECTION bh: Benjamini-Hochberg over the two comparisons (p.adjust:
# the larger p stays, the smaller is min(2p, the larger))
"$SHOAL" query "CREATE EXPERIMENT three ARMS (a 1, b 1, c 1) SALT 'q' CORRECTION bh METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure WHERE experiment = 'three'" >/dev/null
python3 - "$T/u.ndjson" > "$T/three.ndjson" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["type"] == "exposure" and e["experiment"] == "mem":
        e["experiment"] = "three"
        del e["arm"]
        print(json.dumps(e))
EOF
"$SHOAL" ingest -q "$T/three.ndjson"
got=$(one "SELECT min(p), max(p), min(p_adjusted), max(p_adjusted), count(*) FROM experiment(three) WHERE arm != 'a' AND correction = 'bh'")
check_eq "experiment units: CORRECTION bh over three arms" "$(echo "$got" | awk -F, '{ lo = 2 * $1 < $2 ? 2 * $1 : $2;
    print (($3 - lo)^2 < 1e-20 * (lo + 1) && ($4 - $2)^2 < 1e-20 && $5 == 2) ? "bh" : $0 }')" bh

# UNIT group by the hash: exposures without an arm, each group's arm from the hash of
# its name; arm('gh', group) gives the same split as the evaluation's units
python3 - "$T/u.ndjson" > "$T/gh.ndjson" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["type"] == "exposure" and e["experiment"] == "grp":
        e["experiment"] = "gh"
        del e["arm"]
        print(json.dumps(e))
EOF
"$SHOAL" ingest -q "$T/gh.ndjson"
"$SHOAL" query "CREATE EXPERIMENT gh ARMS (control 1, treat 2) SALT 'g' UNIT group METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure" >/dev/null
want=$(one "SELECT arm('gh', group) AS a, count(DISTINCT group) FROM events WHERE type = 'exposure' AND experiment = 'gh' GROUP BY a ORDER BY a" | tr '\n' ' ')
got=$(one "SELECT arm, units FROM experiment(gh)" | tr '\n' ' ')
check_eq "experiment units: UNIT group's hash assigns groups as arm(name, group) does" "$got" "$want"
got=$(one "SELECT count(*) FROM members WHERE arm('gh', member) IS NULL")
check_eq "experiment units: arm() of a member under UNIT group is NULL (a group is the unit)" "$got" "$(one "SELECT count(*) FROM members")"

# CONFIDENCE, TEST one_sided, PRIOR (clauses of the definition: decided before the data)
P="CREATE OR REPLACE EXPERIMENT mem ARMS (control 1, treat 1)"
PM="METRICS (posts = count(post) WITHIN 7 DAYS, quiet = count(report) WITHIN 7 DAYS LOWER IS BETTER)
  GUARDRAILS (reports = count(report) WITHIN 7 DAYS LOWER IS BETTER) EXPOSURE exposure"
row() { one "SELECT $1 FROM experiment(mem) WHERE arm = 'treat' AND metric = '$2'"; }
"$SHOAL" query "$P $PM" >/dev/null
r95=$(row "diff_lo, diff_hi, seq_lo, seq_hi, confidence, test" posts)
"$SHOAL" query "$P CONFIDENCE 0.90 $PM" >/dev/null
r90=$(row "diff_lo, diff_hi, seq_lo, seq_hi, confidence, test" posts)
check_eq "experiment units: CONFIDENCE 0.90: every interval narrower, the level in the output" \
    "$(awk -F, -v a="$r95" -v b="$r90" 'BEGIN { split(a, x, ","); split(b, y, ",");
        print (y[1] > x[1] && y[2] < x[2] && y[3] > x[3] && y[4] < x[4]) ? "narrower" : "no", x[5], y[5], y[6] }')" "narrower 0.95 0.9 two-sided"
# purchases within 7 days: p = 0.095 here, a verdict at the 0.90 level but not at 0.95
B="METRICS (buys = count(purchase) WITHIN 7 DAYS) EXPOSURE exposure"
"$SHOAL" query "$P $B" >/dev/null
got=$(row "p > 0.05 AND p < 0.1, verdict" buys)
"$SHOAL" query "$P CONFIDENCE 0.9 $B" >/dev/null
got="$got $(row "verdict, diff_lo > 0 OR diff_hi < 0" buys)"
check_eq "experiment units: CONFIDENCE 0.90: a verdict at p < 0.10 (inconclusive at 0.95)" "$got" "true,inconclusive better,true"
"$SHOAL" query "$P CONFIDENCE 0.90 $PM" >/dev/null
lo90=$(row diff_lo posts)
"$SHOAL" query "$P TEST one_sided $PM" >/dev/null
got=$(row "diff_lo = $lo90, diff_hi IS NULL, p = p_one_sided, seq_hi IS NULL AND seq_lo < diff_lo, test" posts)
check_eq "experiment units: TEST one_sided: the one-sided 95% bound is the two-sided 90% CI's, p one-sided" "$got" "true,true,true,true,one-sided"
got=$(row "diff_lo IS NULL, diff_hi IS NOT NULL, p = p_one_sided, seq_lo IS NULL, test" quiet)
check_eq "experiment units: TEST one_sided with LOWER IS BETTER: the upper bound" "$got" "true,true,true,true,one-sided"
got=$(row "diff_lo IS NOT NULL AND diff_hi IS NOT NULL, p < p_one_sided, harm, test" reports)
check_eq "experiment units: TEST one_sided leaves a guardrail's harm two-sided" "$got" "true,true,true,two-sided"
"$SHOAL" query "$P $PM" >/dev/null
b=$(python3 "$PY" oracle "$T/u.ndjson" "bayes 0.05")
close "experiment units: the flat prior's chance to win against python" "$(printf '%s' "SELECT chance_to_win FROM experiment(mem) WHERE arm = 'treat' AND metric = 'posts'")" "${b%%,*}"
got=$(row prior posts)
check_eq "experiment units: the prior is named in the output" "$got" '"flat (improper): the posterior is N(diff, se²)"'
"$SHOAL" query "$P PRIOR normal(0, 0.05) $PM" >/dev/null
close "experiment units: PRIOR normal(0, 0.05) of the relative lift: the posterior's chance to win against python" \
    "SELECT chance_to_win FROM experiment(mem) WHERE arm = 'treat' AND metric = 'posts'" "${b#*,}"
check_eq "experiment units: … and named" "$(row prior posts)" '"normal(0, 0.05) of the relative lift"'
"$SHOAL" query "CREATE OR REPLACE $(echo "$MEM" | sed 's/^CREATE //')" >/dev/null

# shoal batch: the same rows through the same row source
cat > "$T/b.shoal" <<'EOF'
-- @panel mem: the experiment
EVALUATE EXPERIMENT mem;
EOF
check_status "experiment units: shoal batch evaluates it" 0 "$SHOAL" batch "$T/b.shoal" --out "$T/out" --quiet
check_eq "experiment units: batch's CSV is the query's" "$(cat "$T/out/mem.csv" 2>&1)" "$("$SHOAL" query --format csv "EVALUATE EXPERIMENT mem")"

# errors at their positions
err() {
    local name=$1 q=$2 pat=$3 out
    out=$("$SHOAL" query "$q" 2>&1)
    check_grep "$name" "$pat" "$out"
}
A="CREATE EXPERIMENT e ARMS (control 50, b 50)"
err "experiment units: a ratio cannot be a conversion" "$A METRICS (r = count(post) / count(like) WITHIN 7 DAYS > 0) EXPOSURE exposure" \
    '^query:1:100: error: a ratio metric cannot be a conversion'
err "experiment units: a ratio's denominator is count or sum" "$A METRICS (r = count(post) / max(post.words) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:72: error: a ratio.s denominator is count\(…\) or sum\(TYPE.prop\), not max'
err "experiment units: LOWER IS WORSE" "$A METRICS (p = count(post) WITHIN 7 DAYS LOWER IS WORSE) EXPOSURE exposure" \
    '^query:1:84: error: expected LOWER IS BETTER or HIGHER IS BETTER but found "LOWER IS WORSE"'
err "experiment units: UNIT team" "$A UNIT team METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:50: error: expected UNIT member or UNIT group but found "team"'
err "experiment units: a clause given twice" "$A METRICS (p = count(post) WITHIN 7 DAYS) METRICS (q = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:85: error: METRICS is given twice'
err "experiment units: no METRICS" "$A GUARDRAILS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:88: error: expected METRICS \(name = aggregate WITHIN n DAYS, …\) before EXPOSURE'
err "experiment units: CORRECTION bonferroni" "$A CORRECTION bonferroni METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:56: error: expected CORRECTION holm or CORRECTION bh but found "bonferroni"'
err "experiment units: a guardrail named like a metric" "$A METRICS (p = count(post) WITHIN 7 DAYS) GUARDRAILS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:97: error: metric "p" is defined twice'
err "experiment units: a covariate's window is its WITHIN" "$A METRICS (p = count(post) WITHIN 7 DAYS) COVARIATE count(post) DURING this_month WITHIN 7 DAYS EXPOSURE exposure" \
    '^query:1:107: error: expected a name or "WITHIN" but found "DURING"'
err "experiment units: CONFIDENCE 95" "$A CONFIDENCE 95 METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:56: error: a confidence level is a number from 0.5 to 0.9999, as 0.95, not "95"'
err "experiment units: CONFIDENCE 1.5" "$A CONFIDENCE 1.5 METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:56: error: a confidence level is a number from 0.5 to 0.9999, as 0.95, not "1.5"'
err "experiment units: CONFIDENCE without a number" "$A CONFIDENCE high METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:45: error: expected CONFIDENCE level \(a number, as 0.95\)'
err "experiment units: TEST three_sided" "$A TEST three_sided METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:50: error: expected TEST one_sided or TEST two_sided but found "three_sided"'
err "experiment units: PRIOR beta(1, 2)" "$A PRIOR beta(1, 2) METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:51: error: a prior is normal\(mean, sd\), of the relative lift'
err "experiment units: PRIOR normal(0, 0)" "$A PRIOR normal(0, 0) METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:61: error: a prior.s standard deviation is a number above 0, not "0"'
err "experiment units: PRIOR normal(x, 1)" "$A PRIOR normal(x, 1) METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:58: error: a prior.s mean is a number, not "x"'
err "experiment units: COVARIATE normal(0, 1)" "$A COVARIATE normal(0, 1) METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:45: error: expected COVARIATE aggregate WITHIN n DAYS'
err "experiment units: PRIOR count(post) WITHIN 7 DAYS" "$A PRIOR count(post) WITHIN 7 DAYS METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    '^query:1:45: error: expected PRIOR normal\(mean, sd\)'
err "experiment units: SALT without a string" "$A SALT pepper METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure" \
    "^query:1:45: error: expected SALT 'salt'"
