#!/usr/bin/env python3
"""experiment_data.py SEED N [LIFT] [SKEW] [HASHED] — NDJSON events of an A/B experiment "ritual"
with arms control and ritual (50/50), for tests/e2e/experiment.sh. Each of N members
gets exposures with an explicit arm property (some twice, a few to both arms, some to
another experiment, some exposures arriving late in the file), posts with an amount
before, inside and after the 7-day window after the first exposure, and a planted
effect: a ritual member's posts per day are (1 + LIFT) times a control member's.
SKEW > 0 drops that share of the ritual members (a sample ratio mismatch).
HASHED more members m-h* are exposed without an arm (assigned by the hash)."""
import json, random, sys

seed, n = int(sys.argv[1]), int(sys.argv[2])
lift = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
skew = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
hashed = int(sys.argv[5]) if len(sys.argv) > 5 else 0
rnd = random.Random(seed)
D = 86400
T0 = 1740787200  # 2025-03-01T00:00:00Z
out, late = [], []

def ts(t):
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')

def ev(t, m, ty, **kw):
    e = {"ts": ts(t), "member": m, "type": ty}
    e.update(kw)
    return e

for i in range(n):
    m = "m-%d" % i
    arm = "ritual" if rnd.random() < 0.5 else "control"
    if arm == "ritual" and rnd.random() < skew:
        continue
    t = T0 + rnd.randrange(0, 20 * D)
    x = ev(t, m, "exposure", experiment="ritual", arm=arm)
    (late if rnd.random() < 0.1 else out).append(x)
    if rnd.random() < 0.2:
        out.append(ev(t + rnd.randrange(1, 5 * D), m, "exposure", experiment="ritual", arm=arm))
    if rnd.random() < 0.02:
        other = "control" if arm == "ritual" else "ritual"
        out.append(ev(t + rnd.randrange(1, 5 * D), m, "exposure", experiment="ritual", arm=other))
    if rnd.random() < 0.1:
        out.append(ev(t - rnd.randrange(1, 3 * D), m, "exposure", experiment="other", arm="ritual"))
    rate = 0.6 * (1 + lift if arm == "ritual" else 1)
    # posts from 3 days before to 10 days after; the window is [t, t + 7 days)
    for d in range(-3, 10):
        k = sum(1 for _ in range(4) if rnd.random() < rate / 4)
        for _ in range(k):
            out.append(ev(t + d * D + rnd.randrange(0, D), m, "post", amount=rnd.randrange(1, 20)))
    if rnd.random() < 0.05:   # exactly at the window's end: outside
        out.append(ev(t + 7 * D, m, "post", amount=100))
for i in range(hashed):
    m = "m-h%d" % i
    t = T0 + rnd.randrange(0, 20 * D)
    out.append(ev(t, m, "exposure", experiment="ritual"))
    for _ in range(rnd.randrange(0, 4)):
        out.append(ev(t + rnd.randrange(0, 7 * D), m, "post", amount=1))
out.sort(key=lambda e: e["ts"])
for e in out + late:
    print(json.dumps(e))
