#!/usr/bin/env python3
"""tests/e2e/cohort_data.py SEED MEMBERS > events.ndjson — events for the tests of
windows anchored on a member's join and of retention (anchor.sh, retention.sh), made to
catch what a one-pass or a UTC-only engine gets wrong: joins written late in the log
(after the member's activity, and after other members' later events), members with
several joins, members who never join, activity before the join, events at exactly the
edges of the windows (join + 7 days, join - 2 days), and times near local midnight in
Asia/Shanghai (UTC+8), so that a local day or week differs from the UTC one. Comments
name another member in `to` (a few a member who does not exist).
Deterministic for a seed. Every event has an id, so a second ingest adds nothing.
"""
import datetime as dt
import json
import random
import sys

seed, n = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(seed)
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
DAY = 86400000
SPAN = 120  # days
T0MS = int(T0.timestamp() * 1000)

events = []  # (ts_ms, member, type, props)
late = []    # written at the end of the file


def ev(ts, m, t, **props):
    return (ts, m, t, props)


for i in range(1, n + 1):
    m = "m-%d" % i
    kind = rnd.random()
    join = T0MS + rnd.randrange(0, SPAN * DAY)
    # some joins sit on a Shanghai midnight edge: 15:59:59.999Z and 16:00:00.000Z
    if rnd.random() < 0.1:
        join = (join // DAY) * DAY + 16 * 3600000 - rnd.choice([1, 0])
    joins = []
    if kind < 0.8:
        joins.append(join)
        if rnd.random() < 0.15:  # several joins: later ones, sometimes weeks later
            for _ in range(rnd.randint(1, 2)):
                joins.append(join + rnd.randrange(DAY // 2, 40 * DAY))
    # activity: from a little before the (first) join to well after it
    start = join - rnd.randrange(0, 5 * DAY)
    acts = []
    for _ in range(rnd.randint(0, 14)):
        ts = start + int(rnd.expovariate(1 / (12 * DAY)))
        acts.append(ts)
    # events at the edges of the windows the tests use
    if joins and rnd.random() < 0.2:
        acts += [joins[0], joins[0] + 7 * DAY, joins[0] + 7 * DAY - 1, joins[0] - 2 * DAY, joins[0] - 2 * DAY - 1]
    for ts in acts:
        t = rnd.choices(["post", "comment", "like"], [3, 2, 4])[0]
        props = {}
        if t == "post":
            props["words"] = rnd.randint(1, 400)
            props["original"] = rnd.random() < 0.4
        if t == "comment":  # to another member (now and then one who does not exist)
            props["to"] = "m-%d" % (rnd.randint(1, n) if rnd.random() < 0.95 else n + 1 + rnd.randint(0, 9))
        events.append(ev(ts, m, t, **props))
    for k, j in enumerate(joins):
        e = ev(j, m, "join", group="g-%d" % rnd.randint(1, 3))
        # a quarter of the joins arrive late: at the end of the log
        (late if rnd.random() < 0.25 else events).append(e)

events.sort(key=lambda e: e[0])
# a few events out of order within the body too
for _ in range(len(events) // 50):
    a, b = rnd.randrange(len(events)), rnd.randrange(len(events))
    events[a], events[b] = events[b], events[a]
rnd.shuffle(late)
seq = 0
for ts, m, t, props in events + late:
    seq += 1
    d = dt.datetime.fromtimestamp(ts / 1000, dt.timezone.utc)
    o = {"id": "c-%d" % seq, "ts": d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ts % 1000), "member": m, "type": t}
    g = props.pop("group", None)
    if g:
        o["group"] = g
    o.update(props)
    print(json.dumps(o, separators=(",", ":")))
