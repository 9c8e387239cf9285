#!/usr/bin/env python3
"""experiment_units.py gen SEED GROUPS | oracle FILE WHAT — events for, and an
independent computation of, tests/e2e/experiment_units.sh.

gen: NDJSON events of two experiments over the same members, each member in one group
(g-N, 2 to 14 members, each group with its own activity level, so that members of a
group are alike):
  - "mem", randomized by member (arm property "control" or "treat"): posts before and
    after exposure (the treat arm posts 30% more after it; before, both arms alike,
    which CUPED's covariate is for), purchases with an amount (treat: larger baskets),
    and reports (treat: three times as many: a guardrail's harm).
  - "grp", randomized by group (every member of a group gets the group's arm).
oracle: reads the events back and prints, as CSV, what EVALUATE should say:
  ratio: per arm of "mem", aov = sum(purchase.amount) / count(purchase) in the 7 days
         after the first exposure: arm, units, mean, sd (sqrt of the delta method's
         per-unit variance)
  cuped: the posts metric of "mem" with the posts of the 14 days before exposure as the
         covariate: the adjusted difference and the variance reduction
  group: per arm of "grp", posts in the 7 days after exposure at group level: arm,
         units (groups), members, mean (posts per member), sd (sqrt of the cluster
         delta method's per-group variance)
  ratio_cuped: aov of "mem" adjusted by the covariate (posts in the 14 days before
         exposure, per member): (Σa/Σb − θ c̄) per arm, θ = Σarms Cov(post ratio, c̄) /
         Σarms Var(c̄), both by the delta method: the difference and the reduction
  bayes SD: the posts metric of "mem" without covariate: the flat prior's chance that
         treat beats control, Φ(diff / se) (Welch's se), and with a normal(0, SD) prior
         on the relative lift (on the absolute scale N(0, (SD·control mean)²)), the
         posterior's Φ(mean / sd)
  ratio_cuped_posts: the same for posts per purchase (count(post) / count(purchase)),
         which the posts before exposure predict
  group_cuped: posts of "grp" per member over groups, adjusted by the members' posts
         in the 14 days before exposure per member of the group (Σc/Σmembers): the
         difference and the reduction
Python's own arithmetic, from the raw events: nothing of shoal's."""
import json, math, random, sys

D = 86400
T0 = 1740787200  # 2025-03-01T00:00:00Z


def ts(t):
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def gen(seed, n_groups):
    rnd = random.Random(seed)
    out = []

    def ev(t, m, ty, g, **kw):
        e = {"ts": ts(t), "member": m, "type": ty, "group": g}
        e.update(kw)
        out.append(e)

    k = 0
    for gi in range(n_groups):
        g = "g-%d" % gi
        level = rnd.choice([0.2, 0.5, 1.0, 2.0, 3.0])
        garm = "treat" if rnd.random() < 0.5 else "control"
        for _ in range(rnd.randrange(2, 15)):
            m = "m-%d" % k
            k += 1
            marm = "treat" if rnd.random() < 0.5 else "control"
            t = T0 + 20 * D + rnd.randrange(0, 20 * D)
            ev(t, m, "exposure", g, experiment="mem", arm=marm)
            ev(t + rnd.randrange(0, 3 * D), m, "exposure", g, experiment="grp", arm=garm)
            if rnd.random() < 0.2:   # a second exposure later: the first counts
                ev(t + rnd.randrange(1, 5 * D), m, "exposure", g, experiment="mem", arm=marm)
            habit = level * rnd.choice([0.3, 1, 1, 2, 4])
            for d in range(-16, 10):
                rate = habit * (1.3 if d >= 0 and marm == "treat" else 1.0) * (1.25 if d >= 0 and garm == "treat" else 1.0)
                for _ in range(sum(1 for _ in range(6) if rnd.random() < rate / 6)):
                    ev(t + d * D + rnd.randrange(0, D), m, "post", g)
                if d >= -2 and rnd.random() < 0.15 * level:
                    base = 20 if marm == "treat" else 15
                    ev(t + d * D + rnd.randrange(0, D), m, "purchase", g, amount=rnd.randrange(1, 2 * base))
                if d >= 0 and rnd.random() < (0.06 if marm == "treat" else 0.02):
                    ev(t + d * D + rnd.randrange(0, D), m, "report", g)
    out.sort(key=lambda e: e["ts"])
    for e in out:
        print(json.dumps(e))


def load(path):
    evs = []
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            import datetime
            e["t"] = int(datetime.datetime.strptime(e["ts"], '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc).timestamp())
            evs.append(e)
    return evs


def units(evs, exp):
    """member -> (first exposure time, arm, group), members of one arm only"""
    first, arms, group = {}, {}, {}
    for e in evs:
        if e["type"] == "exposure" and e.get("experiment") == exp:
            m = e["member"]
            if m not in first or e["t"] < first[m]:
                first[m] = e["t"]
            arms.setdefault(m, set()).add(e["arm"])
            group[m] = e["group"]
    return {m: (first[m], next(iter(arms[m])), group[m]) for m in first if len(arms[m]) == 1}


def window(evs, u, ty, lo, hi, f=lambda e: 1):
    """per member of u: the sum of f over their events of type ty in [t0 + lo, t0 + hi)"""
    v = {m: 0 for m in u}
    for e in evs:
        m = e["member"]
        if e["type"] == ty and m in u and u[m][0] + lo <= e["t"] < u[m][0] + hi:
            v[m] += f(e)
    return v


def cov(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    return sum((a - mx) * (b - my) for a, b in zip(xs, ys)) / (n - 1)


def delta_var(xs, ys):
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return cov(xs, xs) / my ** 2 - 2 * cov(xs, ys) * mx / my ** 3 + mx ** 2 * cov(ys, ys) / my ** 4


def cov_matrix(cols):
    return [[cov(a, b) for b in cols] for a in cols]


def quad(g, lam, h):
    return sum(g[i] * lam[i][j] * h[j] for i in range(len(g)) for j in range(len(g)))


def ratio_cuped(per_arm):
    """per_arm: arm -> (xs, ys, cs, d0s): post ratio Σx/Σy, pre ratio Σc/Σd0; the
    adjusted difference of the second arm against the first and the reduction"""
    parts = {}
    for a, (xs, ys, cs, ds) in per_arm.items():
        n = len(xs)
        mx, my, mc, md = sum(xs) / n, sum(ys) / n, sum(cs) / n, sum(ds) / n
        lam = cov_matrix([xs, ys, cs, ds])
        u = [1 / my, -mx / my ** 2, 0, 0]
        g = [0, 0, 1 / md, -mc / md ** 2]
        parts[a] = (n, mx / my, mc / md, quad(u, lam, u), quad(g, lam, g), quad(u, lam, g))
    theta = sum(p[5] for p in parts.values()) / sum(p[4] for p in parts.values())
    (na, ra, qa, vpa, v0a, ca), (nb, rb, qb, vpb, v0b, cb) = parts["control"], parts["treat"]
    diff = (rb - theta * qb) - (ra - theta * qa)
    v_adj = (vpa + theta ** 2 * v0a - 2 * theta * ca) / na + (vpb + theta ** 2 * v0b - 2 * theta * cb) / nb
    v_raw = vpa / na + vpb / nb
    return "%.17g,%.17g" % (diff, 1 - v_adj / v_raw)


def oracle(path, what):
    evs = load(path)
    if what == "ratio":
        u = units(evs, "mem")
        amt = window(evs, u, "purchase", 0, 7 * D, lambda e: e["amount"])
        cnt = window(evs, u, "purchase", 0, 7 * D)
        for arm in ("control", "treat"):
            ms = [m for m in u if u[m][1] == arm]
            xs, ys = [amt[m] for m in ms], [cnt[m] for m in ms]
            print("%s,%d,%.17g,%.17g" % (arm, len(ms), sum(xs) / sum(ys), math.sqrt(delta_var(xs, ys))))
    elif what == "cuped":
        u = units(evs, "mem")
        post = window(evs, u, "post", 0, 7 * D)
        pre = window(evs, u, "post", -14 * D, 0)
        arm = {a: [m for m in u if u[m][1] == a] for a in ("control", "treat")}
        allm = arm["control"] + arm["treat"]
        theta = cov([post[m] for m in allm], [pre[m] for m in allm]) / cov([pre[m] for m in allm], [pre[m] for m in allm])
        adj, v_adj, v_raw = {}, 0, 0
        for a, ms in arm.items():
            xs, cs = [post[m] for m in ms], [pre[m] for m in ms]
            adj[a] = sum(xs) / len(xs) - theta * sum(cs) / len(cs)
            v_adj += (cov(xs, xs) + theta ** 2 * cov(cs, cs) - 2 * theta * cov(xs, cs)) / len(ms)
            v_raw += cov(xs, xs) / len(ms)
        print("%.17g,%.17g" % (adj["treat"] - adj["control"], 1 - v_adj / v_raw))
    elif what == "group":
        u = units(evs, "grp")
        post = window(evs, u, "post", 0, 7 * D)
        tot, size, garm = {}, {}, {}
        for m, (t0, a, g) in u.items():
            tot[g] = tot.get(g, 0) + post[m]
            size[g] = size.get(g, 0) + 1
            garm[g] = a
        for a in ("control", "treat"):
            gs = [g for g in tot if garm[g] == a]
            xs, ys = [tot[g] for g in gs], [size[g] for g in gs]
            print("%s,%d,%d,%.17g,%.17g" % (a, len(gs), sum(ys), sum(xs) / sum(ys), math.sqrt(delta_var(xs, ys))))
    elif what in ("ratio_cuped", "ratio_cuped_posts"):
        u = units(evs, "mem")
        if what == "ratio_cuped":
            amt = window(evs, u, "purchase", 0, 7 * D, lambda e: e["amount"])
        else:
            amt = window(evs, u, "post", 0, 7 * D)
        cnt = window(evs, u, "purchase", 0, 7 * D)
        pre = window(evs, u, "post", -14 * D, 0)
        per = {}
        for a in ("control", "treat"):
            ms = [m for m in u if u[m][1] == a]
            per[a] = ([amt[m] for m in ms], [cnt[m] for m in ms], [pre[m] for m in ms], [1] * len(ms))
        print(ratio_cuped(per))
    elif what.startswith("bayes"):
        sd0 = float(what.split()[1])
        u = units(evs, "mem")
        post = window(evs, u, "post", 0, 7 * D)
        st = {}
        for a in ("control", "treat"):
            xs = [post[m] for m in u if u[m][1] == a]
            st[a] = (sum(xs) / len(xs), cov(xs, xs) / len(xs))
        diff = st["treat"][0] - st["control"][0]
        v = st["control"][1] + st["treat"][1]
        phi = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))
        pv = (sd0 * st["control"][0]) ** 2
        prec = 1 / v + 1 / pv
        mean = (diff / v) / prec
        print("%.17g,%.17g" % (phi(diff / math.sqrt(v)), phi(mean * math.sqrt(prec))))
    elif what == "group_cuped":
        u = units(evs, "grp")
        post = window(evs, u, "post", 0, 7 * D)
        pre = window(evs, u, "post", -14 * D, 0)
        tot, size, ctot, garm = {}, {}, {}, {}
        for m, (t0, a, g) in u.items():
            tot[g] = tot.get(g, 0) + post[m]
            ctot[g] = ctot.get(g, 0) + pre[m]
            size[g] = size.get(g, 0) + 1
            garm[g] = a
        per = {}
        for a in ("control", "treat"):
            gs = [g for g in tot if garm[g] == a]
            per[a] = ([tot[g] for g in gs], [size[g] for g in gs], [ctot[g] for g in gs], [size[g] for g in gs])
        print(ratio_cuped(per))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]))
    else:
        oracle(sys.argv[2], sys.argv[3])
