#!/usr/bin/env python3
"""experiment_group_data.py SEED < events > events — experiment_data.py's events made
group-randomized for tests/e2e/experiment_group_view.sh: each member belongs to one of
60 groups (g-0 … g-59); its exposures name that group and, in groups 0..47, no arm
(the arm is the group's hash); 1% of exposures name no group and 1% a second group (the
member is then counted apart); amounts get a fraction (sums to the last bit)."""
import json, random, sys, zlib

rnd = random.Random(int(sys.argv[1]))
for line in sys.stdin:
    e = json.loads(line)
    g = zlib.crc32(e['member'].encode()) % 60
    if e['type'] == 'exposure':
        if g < 48:
            e.pop('arm', None)
        e['group'] = 'g-%d' % g
        r = rnd.random()
        if r < 0.01:
            e.pop('group')
        elif r < 0.02:
            e['group'] = 'g-x%d' % (g % 7)
    elif 'amount' in e and isinstance(e['amount'], (int, float)):
        e['amount'] = e['amount'] + 0.37
    print(json.dumps(e))
