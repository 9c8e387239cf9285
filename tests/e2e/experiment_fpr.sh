#!/usr/bin/env bash
# tests/e2e/experiment_fpr.sh — with no effect, the tests reject at their level: one
# generated log where every member is exposed to K experiments e0…e(K-1) without an
# arm, so each experiment's hash (its own salt, the experiment's name) splits the same
# members anew, and nothing the arm does changes anything. Over the K experiments the
# share with p < 0.05 stays near 5% (a binomial tolerance: from 2 to 21 of 200, outside
# which a true 5% falls with probability 0.07%), for member units and for UNIT group
# (groups of alike members, where treating members as independent would reject far
# more often; the test shows that too), and the sequential p, which is more cautious,
# rejects no more often.
. "$(dirname "$0")/../lib.sh"

K=200
python3 - "$K" "$T/members.csv" > "$T/ev.ndjson" <<'EOF' || { fail experiment-fpr-gen; exit 0; }
import json, random, sys, datetime
K = int(sys.argv[1])
rnd = random.Random(11)
D = 86400
T0 = 1740787200
def ts(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
out = []
k = 0
summary = open(sys.argv[2], "w")
for gi in range(100):
    g = "g-%d" % gi
    level = rnd.choice([0.1, 0.5, 1.0, 2.0, 4.0])     # members of a group are alike
    for _ in range(rnd.randrange(2, 12)):
        m = "m-%d" % k
        k += 1
        t = T0 + rnd.randrange(0, 10 * D)
        for e in range(K):
            out.append({"ts": ts(t), "member": m, "type": "exposure", "group": g, "experiment": "e%d" % e})
        habit = level * rnd.choice([0.5, 1, 1.5])
        n = 0
        for d in range(0, 7):
            for _ in range(sum(1 for _ in range(5) if rnd.random() < habit / 5)):
                out.append({"ts": ts(t + d * D + rnd.randrange(0, D)), "member": m, "type": "post", "group": g})
                n += 1
        summary.write("%s,%s,%d\n" % (m, g, n))
out.sort(key=lambda e: e["ts"])
for e in out:
    print(json.dumps(e))
EOF
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail experiment-fpr-ingest; exit 0; }

# rate UNIT: CREATE the K experiments with that unit, then the share of p < 0.05 and of
# seq_p < 0.05 among them, as "rejected seq_rejected"
rates() {
    local unit=$1 defs="" sels="" e
    for ((e = 0; e < K; e++)); do
        defs+="CREATE OR REPLACE EXPERIMENT e$e ARMS (control 1, b 1) UNIT $unit METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure;"
        sels+="SELECT p, seq_p FROM experiment(e$e) WHERE arm = 'b';"
    done
    "$SHOAL" query "$defs" >/dev/null || return 1
    "$SHOAL" query --format csv "$sels" | awk -F, '$1 ~ /^[0-9]/ { n++; r += ($1 < 0.05); s += ($2 < 0.05) }
        END { print (n == '"$K"' ? r " " s : "only " n " p-values") }'
}
within() {   # name, "rejected seq_rejected"
    set -- "$1" $2
    if [ "$2" -ge 2 ] 2>/dev/null && [ "$2" -le 21 ] && [ "$3" -le "$2" ]; then ok "$1 ($2 of $K; sequential $3)"
    else fail "$1" "p < 0.05 in $2 of $K experiments without an effect (want 2 to 21), seq_p < 0.05 in $3 (want at most as many)"; fi
}
within "experiment fpr: member units reject about 5% without an effect" "$(rates member)"
within "experiment fpr: UNIT group rejects about 5% without an effect" "$(rates group)"
# the same groups' members taken as independent units of a group-randomized split: the
# design effect makes that reject far more often (what UNIT group is for)
naive=$(python3 - "$T/members.csv" <<'EOF'
import sys, random, math
# members with their group and posts in the 7 days (as generated): a member-level test
# over a group-randomized split (a random half of the groups), 200 times
grp, posts = {}, {}
for line in open(sys.argv[1]):
    m, g, n = line.strip().split(",")
    grp[m], posts[m] = g, int(n)
rnd = random.Random(5)
gs = sorted(set(grp.values()))
rej = 0
for _ in range(200):
    b = set(g for g in gs if rnd.random() < 0.5)
    xa = [posts.get(m, 0) for m in grp if grp[m] not in b]
    xb = [posts.get(m, 0) for m in grp if grp[m] in b]
    va = sum((x - sum(xa) / len(xa)) ** 2 for x in xa) / (len(xa) - 1) / len(xa)
    vb = sum((x - sum(xb) / len(xb)) ** 2 for x in xb) / (len(xb) - 1) / len(xb)
    z = (sum(xb) / len(xb) - sum(xa) / len(xa)) / math.sqrt(va + vb)
    rej += abs(z) > 1.96
print(rej)
EOF
)
[ "${naive:-0}" -ge 30 ] && ok "experiment fpr: … where members taken as independent reject far more often ($naive of 200)" \
    || fail "experiment fpr: the naive member-level analysis of a group split should reject far more than 5%" "$naive of 200"
