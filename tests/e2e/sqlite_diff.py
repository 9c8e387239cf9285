#!/usr/bin/env python3
"""tests/e2e/sqlite_diff.py — shoal against sqlite3, statement by statement.

Generates random statements (fixed seeds) over the events of a database that `shoal
gen` made: aggregates with and without FILTER, groupings, HAVING, filters, ORDER BY
with NULLS FIRST|LAST, LIMIT, OFFSET and WITH TIES, scalar functions (numbers, text,
dates, CAST), window functions over events and over grouped rows, and statements over
members that views answer. Each statement has a twin in SQLite's SQL, run by sqlite3
(Python's module) over the same events loaded from the NDJSON file, one row per line
(rowid = seq). shoal runs the statements of a seed as one file (`--format ndjson`, a
marker row `SELECT 'qN' AS q` before each), with views on and, for the statements over
members, again with SET VIEWS = off; every statement's rows must equal sqlite3's
(numbers within 1e-9, relative; booleans as 0 and 1). The aggregates SQLite lacks
(stddev, variance, median, quantile) are Python's `statistics`, registered in sqlite3.

usage: sqlite_diff.py SHOAL DB EVENTS.ndjson SEED[,SEED…] N [--seconds S]
  prints "ok …" / "FAIL …" lines (tests/lib.sh's format); with --seconds, runs seeds
  from SEED on until S seconds have passed (make fuzz).
"""
import datetime
import functools
import json
import re
import math
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zoneinfo

SHOAL, DB, EVENTS = sys.argv[1], sys.argv[2], sys.argv[3]
SEEDS = [int(s) for s in sys.argv[4].split(",")]
N = int(sys.argv[5])
SECONDS = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 0


# ---------------------------------------------------------------- the oracle

class Keep:
    def __init__(self):
        self.v = []

    def step(self, x, *a):
        if x is not None:
            self.v.append(float(x))


class Stddev(Keep):
    def finalize(self):
        return statistics.stdev(self.v) if len(self.v) > 1 else None


class Variance(Keep):
    def finalize(self):
        return statistics.variance(self.v) if len(self.v) > 1 else None


class Median(Keep):
    def finalize(self):
        return statistics.median(self.v) if self.v else None


class Quantile(Keep):
    def step(self, x, p):
        self.p = p
        Keep.step(self, x)

    def finalize(self):
        if not self.v:
            return None
        v = sorted(self.v)
        pos = self.p * (len(v) - 1)
        lo = int(pos)
        if lo >= len(v) - 1:
            return v[-1]
        return v[lo] + (v[lo + 1] - v[lo]) * (pos - lo)


ZONE = "UTC"   # the session's zone of the seed being checked (SET TIMEZONE; the twins' loc and dtrunc)


def zone():
    return zoneinfo.ZoneInfo(ZONE)


def utc_of(ts):
    return datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)


def loc(ts):
    """the local wall-clock time of ts (an ISO instant in UTC) in ZONE, as sqlite's date functions read it"""
    return None if ts is None else utc_of(ts).astimezone(zone()).strftime("%Y-%m-%dT%H:%M:%S.%f")[:23]


@functools.lru_cache(maxsize=None)
def dtrunc_z(z, unit, ts):
    return dtrunc(unit, ts)


def dtrunc(unit, ts):
    """date_trunc: the instant the local unit began, written as shoal writes an instant in ZONE"""
    t = utc_of(ts).astimezone(zone()).replace(tzinfo=None)
    if unit == "year":
        t = t.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "month":
        t = t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "day":
        t = t.replace(hour=0, minute=0, second=0, microsecond=0)
    elif unit == "hour":
        t = t.replace(minute=0, second=0, microsecond=0)
    else:
        t = t.replace(second=0, microsecond=0)
    a = t.replace(tzinfo=zone(), fold=0)
    off = a.utcoffset()
    if ZONE == "UTC":
        return a.strftime("%Y-%m-%dT%H:%M:%SZ")
    m = int(off.total_seconds()) // 60
    return a.strftime("%Y-%m-%dT%H:%M:%S") + "%s%02d:%02d" % ("-" if m < 0 else "+", abs(m) // 60, abs(m) % 60)


def oracle():
    con = sqlite3.connect(":memory:")
    con.create_function("dtrunc", 2, lambda u, t: dtrunc_z(ZONE, u, t))
    con.create_function("addm", 2, addm)
    con.create_function("addm", 3, addm)
    con.create_aggregate("stddev", 1, Stddev)
    con.create_aggregate("variance", 1, Variance)
    con.create_aggregate("median", 1, Median)
    con.create_aggregate("quantile", 2, Quantile)
    # ms: the time in epoch milliseconds; lts: the local time in ZONE (set_zone)
    con.execute('CREATE TABLE ev(seq INTEGER PRIMARY KEY, ts TEXT, member TEXT, type TEXT, grp TEXT, "to" TEXT, '
                'original INTEGER, words INTEGER, amount REAL, ms INTEGER, lts TEXT)')
    rows = []
    for i, line in enumerate(open(EVENTS), 1):
        e = json.loads(line)
        o = e.get("original")
        rows.append((i, e["ts"], e["member"], e["type"], e.get("group"), e.get("to"),
                     None if o is None else int(o), e.get("words"), e.get("amount"), ms_of(e["ts"]), None))
    con.executemany("INSERT INTO ev VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    # for the correlated subqueries, run per row
    for c in ("member", "grp", '"to"', "type"):
        con.execute('CREATE INDEX "ev_%s" ON ev(%s)' % (c.strip('"'), c))
    SPAN[:] = con.execute("SELECT min(ms), max(ms) FROM ev").fetchone()
    return con


def ms_of(ts):
    return int(round(utc_of(ts).timestamp() * 1000))


LOADED_ZONE = [None]


def set_zone(con, z):
    """ZONE is z, and every event's local time (lts) is in it"""
    global ZONE
    ZONE = z
    if LOADED_ZONE[0] != z:
        con.create_function("loc", 1, loc)
        con.execute("UPDATE ev SET lts = loc(ts)")
        LOADED_ZONE[0] = z


# ---------------------------------------------------------------- statements

R = random.Random()

# (shoal, sqlite) pairs
TYPES = ["post", "comment", "reply", "like", "checkin", "purchase", "essence", "join", "referral"]
KEYS = [("type", "type"), ("member", "member"), ("group", "grp"), ("day(ts)", "date(@T)"),
        ("month(ts)", "strftime('%Y-%m', @T)"), ("hour(ts)", "CAST(strftime('%H', @T) AS INT)"),
        ("weekday(ts)", "((CAST(strftime('%w', @T) AS INT) + 6) % 7 + 1)"), ("original", "original"),
        ("week(ts)", "date(@T, '-6 days', 'weekday 1')"), ("year(ts)", "CAST(strftime('%Y', @T) AS INT)"),
        ("date_trunc('month', ts)", "dtrunc('month', ts)"),
        ("date_trunc('hour', ts)", "dtrunc('hour', ts)"),
        ("strftime('%w/%H', ts)", "strftime('%w/%H', @T)"), ("to", '"to"'),
        ("CASE WHEN words >= 300 THEN 'long' WHEN words IS NOT NULL THEN 'short' END",
         "CASE WHEN words >= 300 THEN 'long' WHEN words IS NOT NULL THEN 'short' END")]
NUMS = [("words", "words"), ("amount", "amount"), ("seq", "seq"), ("words * 2 + 1", "words * 2 + 1"),
        ("hour(ts)", "CAST(strftime('%H', @T) AS INT)"), ("amount / 4", "amount / 4.0")]


def types_in():
    k = R.sample(TYPES, R.randint(1, 3))
    return "type IN (%s)" % ", ".join(k), "type IN (%s)" % ", ".join("'%s'" % t for t in k)


def cond(depth=0):
    k = R.random()
    if k < 0.25:
        return types_in()
    if k < 0.35:
        t = R.choice(TYPES)
        return "type = %s" % t, "type = '%s'" % t
    if k < 0.45:
        n = R.choice([10, 50, 100, 300, 600])
        op = R.choice([">", ">=", "<", "<=", "=", "!="])
        return "words %s %d" % (op, n), "words %s %d" % (op, n)
    if k < 0.5:
        return "original", "original"
    if k < 0.55:
        return "to IS NOT NULL", '"to" IS NOT NULL'
    if k < 0.6:
        d = R.choice(["m-1%", "m-2_", "%7", "M-3%"])
        return "member LIKE '%s'" % d, "member LIKE '%s'" % d
    if k < 0.67:
        a = R.randint(0, 20)
        return ("hour(ts) BETWEEN %d AND %d" % (a, a + 3), "CAST(strftime('%%H', @T) AS INT) BETWEEN %d AND %d" % (a, a + 3))
    if k < 0.72:
        n = R.choice([5, 20, 50])
        return "amount > %d" % n, "amount > %d" % n
    if k < 0.78:
        m = R.choice(["2024-09", "2024-12", "2025-02", "2025-05"])
        return "month(ts) = '%s'" % m, "strftime('%%Y-%%m', @T) = '%s'" % m
    if depth < 2:
        a, b = cond(depth + 1), cond(depth + 1)
        if R.random() < 0.2:
            return "NOT (%s)" % a[0], "NOT (%s)" % a[1]
        op = R.choice(["AND", "OR"])
        return "(%s %s %s)" % (a[0], op, b[0]), "(%s %s %s)" % (a[1], op, b[1])
    return types_in()


def agg():
    k = R.random()
    x = R.choice(NUMS)
    if k < 0.15:
        a = ("count(*)", "count(*)")
    elif k < 0.25:
        c = R.choice([("to", '"to"'), ("words", "words"), ("group", "grp"), ("original", "original")])
        a = ("count(%s)" % c[0], "count(%s)" % c[1])
    elif k < 0.35:
        c = R.choice([("member", "member"), ("to", '"to"'), ("type", "type"), ("group", "grp"), ("day(ts)", "date(@T)")])
        a = ("count(DISTINCT %s)" % c[0], "count(DISTINCT %s)" % c[1])
    elif k < 0.45:
        a = ("sum(%s)" % x[0], "sum(%s)" % x[1])
    elif k < 0.55:
        a = ("avg(%s)" % x[0], "avg(%s)" % x[1])
    elif k < 0.65:
        f = R.choice(["min", "max"])
        c = R.choice(NUMS + [("member", "member"), ("type", "type")])
        a = ("%s(%s)" % (f, c[0]), "%s(%s)" % (f, c[1]))
    elif k < 0.75:
        f = R.choice(["stddev", "variance"])
        a = ("%s(%s)" % (f, x[0]), "%s(%s)" % (f, x[1]))
    elif k < 0.85:
        a = ("median(%s)" % x[0], "median(%s)" % x[1])
    else:
        p = R.choice([0, 0.1, 0.25, 0.5, 0.9, 1])
        a = ("quantile(%s, %s)" % (x[0], p), "quantile(%s, %s)" % (x[1], p))
    if R.random() < 0.3:
        c = cond(1)
        a = ("%s FILTER (WHERE %s)" % (a[0], c[0]), "%s FILTER (WHERE %s)" % (a[1], c[1]))
    return a


def where(p=0.6):
    if R.random() < p:
        c = cond()
        return " WHERE " + c[0], " WHERE " + c[1]
    return "", ""


def grouped():
    keys = R.sample(KEYS, R.randint(1, 2))
    aggs = [agg() for _ in range(R.randint(1, 3))]
    w = where()
    s_items = ", ".join(["%s AS k%d" % (k[0], i) for i, k in enumerate(keys)] + ["%s AS c%d" % (a[0], i) for i, a in enumerate(aggs)])
    q_items = ", ".join(["%s AS k%d" % (k[1], i) for i, k in enumerate(keys)] + ["%s AS c%d" % (a[1], i) for i, a in enumerate(aggs)])
    gs = ", ".join(str(i + 1) for i in range(len(keys)))
    hs = hq = ""
    if R.random() < 0.25:
        n = R.choice([1, 2, 5, 20])
        hs = hq = " HAVING count(*) > %d" % n
    order = ", ".join("%d%s" % (i + 1, R.choice(["", " DESC"])) for i in range(len(keys)))
    lim = " LIMIT %d" % R.randint(1, 30) if R.random() < 0.3 else ""
    if lim and R.random() < 0.3:
        lim += " OFFSET %d" % R.randint(0, 10)
    return ("SELECT %s FROM events%s GROUP BY %s%s ORDER BY %s%s" % (s_items, w[0], gs, hs, order, lim),
            "SELECT %s FROM ev%s GROUP BY %s%s ORDER BY %s%s" % (q_items, w[1], gs, hq, order, lim), True)


def overall():
    aggs = [agg() for _ in range(R.randint(1, 4))]
    w = where(0.8)
    return ("SELECT %s FROM events%s" % (", ".join("%s AS c%d" % (a[0], i) for i, a in enumerate(aggs)), w[0]),
            "SELECT %s FROM ev%s" % (", ".join("%s AS c%d" % (a[1], i) for i, a in enumerate(aggs)), w[1]), True)


SCALARS = [
    ("words + 1", "words + 1"), ("abs(words - 100)", "abs(words - 100)"), ("round(amount, 1)", "round(amount, 1)"),
    ("coalesce(words, -1)", "coalesce(words, -1)"), ("nullif(words, 20)", "nullif(words, 20)"),
    ("pow(words, 2)", "pow(words, 2)"), ("sqrt(words)", "sqrt(words)"), ("ln(words + 1)", "ln(words + 1)"),
    ("exp(amount / 100)", "exp(amount / 100.0)"), ("floor(amount)", "floor(amount)"), ("ceil(amount)", "ceil(amount)"),
    ("greatest(coalesce(words, 0), 100, seq % 200)", "max(coalesce(words, 0), 100, seq % 200)"),
    ("least(coalesce(amount, 1000), 30)", "min(coalesce(amount, 1000), 30)"),
    ("member || '/' || type", "member || '/' || type"), ("upper(member) || seq", "upper(member) || seq"),
    ("lower(type)", "lower(type)"), ("length(member || type)", "length(member || type)"),
    ("CAST(amount AS INTEGER)", "CAST(amount AS INTEGER)"), ("CAST(seq AS REAL) / 3", "CAST(seq AS REAL) / 3"),
    ("CAST(seq AS TEXT) || 'x'", "CAST(seq AS TEXT) || 'x'"), ("CAST('12' AS INTEGER) + seq", "CAST('12' AS INTEGER) + seq"),
    ("CAST(ts AS DATE)", "date(@T)"), ("weekday(ts)", "((CAST(strftime('%w', @T) AS INT) + 6) % 7 + 1)"),
    ("hour(ts)", "CAST(strftime('%H', @T) AS INT)"), ("day(ts)", "date(@T)"),
    ("date_trunc('day', ts)", "dtrunc('day', ts)"),
    ("date_trunc('year', ts)", "dtrunc('year', ts)"),
    ("date_trunc('minute', ts)", "dtrunc('minute', ts)"),
    ("strftime('%Y-%m-%d %H:%M:%S', ts)", "strftime('%Y-%m-%d %H:%M:%S', @T)"),
    ("strftime('%j|%w|%f', ts)", "strftime('%j|%w|%f', @T)"), ("strftime('%s', ts)", "strftime('%s', ts)"),
    ("day(ts) - 2025-01-01", "CAST(julianday(date(@T)) - julianday('2025-01-01') AS INT)"),
    ("CASE WHEN original THEN 'o' ELSE 'n' END", "CASE WHEN original THEN 'o' ELSE 'n' END"),
    ("words % 7", "words % 7"), ("-amount", "-amount"),
    # calendar months: the same local time n months on, the day clamped to the month's last
    ("ts + 1 MONTHS", "addm(ts, 1)"), ("ts - 2 MONTHS", "addm(ts, -2)"), ("ts + 1 YEAR", "addm(ts, 12)"),
    ("ts - 13 MONTHS + 3 HOURS", "addm(ts, -13, 3)"), ("3 MONTHS + ts", "addm(ts, 3)"),
    ("day(ts) + 1 MONTH", "min(date(@T, '+1 months'), date(@T, 'start of month', '+2 months', '-1 day'))"),
    ("day(ts) - 1 MONTHS", "min(date(@T, '-1 months'), date(@T, 'start of month', '-1 day'))"),
    ("month(ts) - 3 MONTHS", "strftime('%Y-%m', date(@T, 'start of month', '-3 months'))"),
    ("date_trunc('month', ts) + 1 MONTHS - 1 DAYS", "addm(dtrunc('month', ts), 1, -24)"),
    ("CASE WHEN ts + 1 MONTH > 2025-03-31 THEN 'late' ELSE 'early' END",
     "CASE WHEN addm(ts, 1) > '2025-03-31T00:00:00Z' THEN 'late' ELSE 'early' END"),
]


def addm(ts, n, hours=0):
    """ts + n MONTHS (+ hours HOURS) as PostgreSQL adds an interval of months to a
    timestamptz in ZONE: the local date n months on, its day clamped to the month's
    last, the same wall-clock time; a skipped local time moves on by the gap (fold=0)"""
    if ts is None:
        return None
    t = utc_of(ts).astimezone(zone())
    mo = t.year * 12 + t.month - 1 + n
    y, m = divmod(mo, 12)
    last = (datetime.date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1) - datetime.timedelta(days=1)).day
    naive = t.replace(tzinfo=None).replace(year=y, month=m + 1, day=min(t.day, last))
    u = naive.replace(tzinfo=zone(), fold=0).astimezone(datetime.timezone.utc) + datetime.timedelta(hours=hours)
    return u.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (u.microsecond // 1000)


def scalars():
    es = R.sample(SCALARS, R.randint(1, 4))
    w = where(0.9)
    lim = R.randint(5, 60)
    return ("SELECT seq, %s FROM events%s ORDER BY seq LIMIT %d" % (", ".join("%s AS c%d" % (e[0], i) for i, e in enumerate(es)), w[0], lim),
            "SELECT seq, %s FROM ev%s ORDER BY seq LIMIT %d" % (", ".join("%s AS c%d" % (e[1], i) for i, e in enumerate(es)), w[1], lim), True)


PARTS = [None, ("type", "type"), ("member", "member"), ("group", "grp"), ("day(ts)", "date(@T)"),
         ("hour(ts) % 4", "CAST(strftime('%H', @T) AS INT) % 4")]
ORDERS = [("ts", "ts"), ("words", "words"), ("type", "type"), ("member", "member"), ("amount", "amount"),
          ("hour(ts)", "CAST(strftime('%H', @T) AS INT)"), ("seq", "seq")]


def order_item(k):
    d = R.choice(["", " DESC"])
    nl = R.choice(["", "", " NULLS FIRST", " NULLS LAST"])
    return "%s%s%s" % (k[0], d, nl), "%s%s%s" % (k[1], d, nl)


FRAMES = ["ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING", "ROWS 2 PRECEDING", "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
          "ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING", "ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING",
          "ROWS BETWEEN 1 FOLLOWING AND 4 FOLLOWING", "ROWS BETWEEN UNBOUNDED PRECEDING AND 2 FOLLOWING",
          "ROWS BETWEEN 2 PRECEDING AND UNBOUNDED FOLLOWING", "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING",
          "ROWS UNBOUNDED PRECEDING", "ROWS CURRENT ROW", "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
          "RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING", "RANGE CURRENT ROW"]


GROUPS_FRAMES = ["GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING", "GROUPS 2 PRECEDING", "GROUPS CURRENT ROW",
                 "GROUPS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING", "GROUPS BETWEEN CURRENT ROW AND 3 FOLLOWING",
                 "GROUPS BETWEEN 2 FOLLOWING AND UNBOUNDED FOLLOWING", "GROUPS BETWEEN 3 PRECEDING AND 1 FOLLOWING"]


def over(total, frame=False):
    """OVER (…): total — the order must be total (row_number, lag, a frame of rows …): seq
    comes last; frame — with ROWS …"""
    p = R.choice(PARTS)
    o = [order_item(k) for k in R.sample(ORDERS, R.randint(0, 2))]
    if total:
        o.append(("seq" + R.choice(["", " DESC"]),) * 2)
    s, q = [], []
    if p:
        s.append("PARTITION BY " + p[0])
        q.append("PARTITION BY " + p[1])
    if o:
        s.append("ORDER BY " + ", ".join(i[0] for i in o))
        q.append("ORDER BY " + ", ".join(i[1] for i in o))
    if frame:
        f = frame if isinstance(frame, str) else R.choice(FRAMES)
        s.append(f)
        q.append(f)
    return " OVER (%s)" % " ".join(s), " OVER (%s)" % " ".join(q)


def wfunc(x=None):
    x = x or R.choice(NUMS + [("member", "member")])
    k = R.random()
    fr = False
    if k < 0.1:
        f, total = ("row_number()",) * 2, True
    elif k < 0.2:
        f, total = R.choice([("rank()",) * 2, ("dense_rank()",) * 2]), False
    elif k < 0.27:
        f, total = R.choice([("percent_rank()",) * 2, ("cume_dist()",) * 2]), False
    elif k < 0.32:
        n = R.randint(1, 7)
        f, total = ("ntile(%d)" % n,) * 2, True
    elif k < 0.45:
        g = R.choice(["lag", "lead"])
        a = R.choice(["", ", %d" % R.randint(0, 3), ", %d, -1" % R.randint(1, 3)])
        if x[0] == "member" and "-1" in a:
            a = ", 1, 'none'"
        f, total = ("%s(%s%s)" % (g, x[0], a), "%s(%s%s)" % (g, x[1], a)), True
    elif k < 0.52:
        g = R.choice(["first_value", "last_value"])
        f, total = ("%s(%s)" % (g, x[0]), "%s(%s)" % (g, x[1])), True
        fr = R.random() < 0.5
    else:
        num = x if x[0] != "member" else ("words", "words")
        g = R.choice(["count", "sum", "avg", "min", "max", "count(*)"])
        f = ("count(*)",) * 2 if g == "count(*)" else ("%s(%s)" % (g, num[0]), "%s(%s)" % (g, num[1]))
        fr = R.random() < 0.35
        if not fr and R.random() < 0.25:
            fr = R.choice(GROUPS_FRAMES)   # groups of peers: no total order needed
        # (SQLite 3.40 leaves FILTER out of min and max over a frame of rows:
        # min(a) FILTER (WHERE false) OVER (ORDER BY a ROWS 1 PRECEDING) is not NULL there)
        if R.random() < 0.25 and not (fr and g in ("min", "max")):
            c = cond(1)
            f = ("%s FILTER (WHERE %s)" % (f[0], c[0]), "%s FILTER (WHERE %s)" % (f[1], c[1]))
        total = fr is True   # a frame of rows depends on the order of peers
    o = over(total, fr)
    return f[0] + o[0], f[1] + o[1]


# RANGE frames: the one ORDER BY key's value measured from the current row's (shoal's
# key, sqlite's, the offsets' unit in shoal, its factor in sqlite)
RKEYS = [("words", "words", "", 1), ("seq", "seq", "", 1), ("hour(ts)", "CAST(strftime('%H', @T) AS INT)", "", 1),
         ("ts", "ms", " HOURS", 3600000), ("ts", "ms", " DAYS", 86400000), ("amount", "amount", "", 1),
         ("day(ts)", "CAST(julianday(date(@T)) AS INT)", "", 1)]


def range_over():
    k = R.choice(RKEYS)
    d = R.choice(["", " DESC"])
    nl = R.choice(["", "", " NULLS FIRST", " NULLS LAST"])
    p = R.choice(PARTS[:4])
    ns = (1, 3, 10, 50, 0.5, 2.25)   # offsets need not be whole
    bounds = [(-2, "UNBOUNDED PRECEDING")] + [(-1, "%g%%s PRECEDING" % n) for n in ns] + [(0, "CURRENT ROW")] + \
             [(1, "%g%%s FOLLOWING" % n) for n in ns] + [(2, "UNBOUNDED FOLLOWING")]
    while True:
        a, b = R.choice(bounds), R.choice(bounds)
        if a[0] <= b[0] and a[0] != 2 and b[0] != -2:
            break
    if a[0] == b[0] == -1 and float(a[1].split("%")[0]) < float(b[1].split("%")[0]) or a[0] == b[0] == 1 and float(a[1].split("%")[0]) > float(b[1].split("%")[0]):
        a, b = b, a

    def bound(x, shoal):
        if "%s" not in x[1]:
            return x[1]
        n = float(x[1].split("%")[0])
        return x[1].replace("%g%%s" % n, "%g%s" % (n, k[2])) if shoal else x[1].replace("%g%%s" % n, "%g" % (n * k[3])).replace("%s", "")
    fr_s = "RANGE BETWEEN %s AND %s" % (bound(a, True) % () if False else bound(a, True).replace("%s", ""), bound(b, True).replace("%s", ""))
    fr_q = "RANGE BETWEEN %s AND %s" % (bound(a, False), bound(b, False))
    ps = "PARTITION BY %s " % p[0] if p else ""
    pq = "PARTITION BY %s " % p[1] if p else ""
    return "(%sORDER BY %s%s%s %s)" % (ps, k[0], d, nl, fr_s), "(%sORDER BY %s%s%s %s)" % (pq, k[1], d, nl, fr_q)


def wfunc_range():
    """A function over a RANGE frame: shoal's, sqlite's, their OVERs, and for min and max
    the aggregate sqlite is to take of the frame's values. SQLite 3.40's min and max over
    a RANGE frame of offsets are wrong on these events (min(hour) over the events 0.5 to
    50 days after each, by ms: 600 of 2544 rows differ from the same frame's correlated
    subquery, which agrees with a brute force and with shoal; count(*) over it agrees; a
    window function in Python crashes CPython 3.11 on an empty frame), so sqlite is asked
    for the frame's values (json_group_array, which its frames compute right) and takes
    their min or max itself, in an enclosing SELECT (windows_events)."""
    g = R.choice(["count", "sum", "avg", "min", "max", "count(*)"])
    x = R.choice(NUMS)
    f = ("count(*)",) * 2 if g == "count(*)" else ("%s(%s)" % (g, x[0]), "%s(%s)" % (g, x[1]))
    agg = None
    if g in ("min", "max"):
        f, agg = (f[0], "json_group_array(%s)" % x[1]), g
    o = range_over()
    return f[0], f[1], o[0], o[1], agg


def windows_events():
    ws = []
    for _ in range(R.randint(1, 3)):
        if R.random() < 0.3:
            ws.append(wfunc_range())
        else:
            w = wfunc()
            i = w[0].index(" OVER ")
            j = w[1].index(" OVER ")
            ws.append((w[0][:i], w[1][:j], w[0][i + 6:], w[1][j + 6:], None))
    t = types_in()
    extra = where(0.3)
    ws_s = " AND " + extra[0][7:] if extra[0] else ""
    ws_q = " AND " + extra[1][7:] if extra[1] else ""
    lim = " LIMIT %d" % R.randint(10, 80) if R.random() < 0.5 else ""
    win_s = win_q = ""
    if R.random() < 0.3:
        # named windows: WINDOW wN AS (…), each function OVER its name
        win_s = " WINDOW " + ", ".join("v%d AS %s" % (i, w[2]) for i, w in enumerate(ws))
        win_q = " WINDOW " + ", ".join("v%d AS %s" % (i, w[3]) for i, w in enumerate(ws))
        cols_s = ", ".join("%s OVER v%d AS w%d" % (w[0], i, i) for i, w in enumerate(ws))
        cols_q = ", ".join("%s OVER v%d AS w%d" % (w[1], i, i) for i, w in enumerate(ws))
    else:
        cols_s = ", ".join("%s OVER %s AS w%d" % (w[0], w[2], i) for i, w in enumerate(ws))
        cols_q = ", ".join("%s OVER %s AS w%d" % (w[1], w[3], i) for i, w in enumerate(ws))
    q = "SELECT seq, %s FROM ev WHERE %s%s%s ORDER BY seq%s" % (cols_q, t[1], ws_q, win_q, lim)
    if any(w[4] for w in ws):   # a frame's values, their min or max taken here (wfunc_range)
        q = "SELECT seq, %s FROM (%s) ORDER BY seq" % (", ".join(
            "(SELECT %s(value) FROM json_each(w%d)) AS w%d" % (w[4], i, i) if w[4] else "w%d" % i for i, w in enumerate(ws)), q)
    return ("SELECT seq, %s FROM events WHERE %s%s%s ORDER BY seq%s" % (cols_s, t[0], ws_s, win_s, lim), q, True)


def windows_grouped():
    k = R.choice(KEYS[:7])
    a = R.choice([("count(*)", "count(*)"), ("sum(words)", "sum(words)"), ("count(DISTINCT member)", "count(DISTINCT member)"),
                  ("max(seq)", "max(seq)")])
    choices = [
        ("rank() OVER (ORDER BY %s DESC)" % a[0], "rank() OVER (ORDER BY %s DESC)" % a[1]),
        ("dense_rank() OVER (ORDER BY %s)" % a[0], "dense_rank() OVER (ORDER BY %s)" % a[1]),
        ("sum(%s) OVER ()" % a[0], "sum(%s) OVER ()" % a[1]),
        ("sum(%s) OVER (ORDER BY %s)" % (a[0], k[0]), "sum(%s) OVER (ORDER BY %s)" % (a[1], k[1])),
        ("round(100.0 * %s / sum(%s) OVER (), 3)" % (a[0], a[0]), "round(100.0 * %s / sum(%s) OVER (), 3)" % (a[1], a[1])),
        ("lag(%s) OVER (ORDER BY %s)" % (a[0], k[0]), "lag(%s) OVER (ORDER BY %s)" % (a[1], k[1])),
        ("%s - lag(%s, 1, 0) OVER (ORDER BY %s)" % (a[0], a[0], k[0]), "%s - lag(%s, 1, 0) OVER (ORDER BY %s)" % (a[1], a[1], k[1])),
        ("row_number() OVER (ORDER BY %s DESC, %s)" % (a[0], k[0]), "row_number() OVER (ORDER BY %s DESC, %s)" % (a[1], k[1])),
        ("cume_dist() OVER (ORDER BY %s)" % a[0], "cume_dist() OVER (ORDER BY %s)" % a[1]),
        ("avg(%s) OVER (ORDER BY %s)" % (a[0], k[0]), "avg(%s) OVER (ORDER BY %s)" % (a[1], k[1])),
    ]
    ws = R.sample(choices, R.randint(1, 3))
    w = where(0.5)
    s_items = ", ".join(["%s AS k" % k[0], "%s AS c" % a[0]] + ["%s AS w%d" % (x[0], i) for i, x in enumerate(ws)])
    q_items = ", ".join(["%s AS k" % k[1], "%s AS c" % a[1]] + ["%s AS w%d" % (x[1], i) for i, x in enumerate(ws)])
    return ("SELECT %s FROM events%s GROUP BY 1 ORDER BY 1" % (s_items, w[0]),
            "SELECT %s FROM ev%s GROUP BY 1 ORDER BY 1" % (q_items, w[1]), True)


def nulls_order():
    t = types_in()
    o = [order_item(R.choice(ORDERS[:6])) for _ in range(R.randint(1, 2))]
    lim = R.randint(1, 40)
    off = " OFFSET %d" % R.randint(1, 20) if R.random() < 0.3 else ""
    return ("SELECT seq, words AS c0, to AS c1, amount AS c2 FROM events WHERE %s ORDER BY %s, seq LIMIT %d%s" % (t[0], ", ".join(i[0] for i in o), lim, off),
            'SELECT seq, words AS c0, "to" AS c1, amount AS c2 FROM ev WHERE %s ORDER BY %s, seq LIMIT %d%s' % (t[1], ", ".join(i[1] for i in o), lim, off), True)


def ties():
    if R.random() < 0.3:
        # over members: the top-k bound of a count must keep the ties too
        m = R.choice(MAGGS[:7])
        n = R.randint(1, 30)
        d = R.choice(["", " DESC"])
        return ("SELECT member, %s AS c FROM members ORDER BY c%s LIMIT %d WITH TIES" % (m[0], d, n),
                "SELECT member, c FROM (SELECT member, %s AS c, rank() OVER (ORDER BY %s%s) AS rk FROM ev GROUP BY member) "
                "WHERE rk <= %d" % (m[1], m[1], d, n), False)
    k = R.choice(KEYS[:7])
    a = R.choice([("count(*)", "count(*)"), ("count(DISTINCT member)", "count(DISTINCT member)"), ("max(words)", "max(words)")])
    d = R.choice(["", " DESC"])
    n = R.randint(1, 8)
    w = where(0.5)
    return ("SELECT %s AS k, %s AS c FROM events%s GROUP BY 1 ORDER BY c%s LIMIT %d WITH TIES" % (k[0], a[0], w[0], d, n),
            "SELECT k, c FROM (SELECT %s AS k, %s AS c, rank() OVER (ORDER BY %s%s) AS rk FROM ev%s GROUP BY 1) WHERE rk <= %d" % (k[1], a[1], a[1], d, w[1], n),
            False)


# over members: what views keep, and windows over the members' values
MAGGS = [("count(post)", "sum(type = 'post')"), ("count(comment, reply)", "sum(type IN ('comment', 'reply'))"),
         ("count(post WHERE original)", "coalesce(sum(type = 'post' AND original = 1), 0)"),
         ("sum(post.words)", "total(CASE WHEN type = 'post' THEN words END)"), ("count(*) DURING all_time", "count(*)"),
         ("count(like) DURING BETWEEN '2025-01-01' AND '2025-03-31'",
          "sum(type = 'like' AND @T >= '2025-01-01' AND @T < '2025-04-01')"),
         ("count(checkin)", "sum(type = 'checkin')"),
         # read from the log: distinct values and statistics of a member's events
         ("count(DISTINCT to)", 'count(DISTINCT "to")'), ("count(DISTINCT group)", "count(DISTINCT grp)"),
         ("count(DISTINCT comment.to)", "count(DISTINCT CASE WHEN type = 'comment' THEN \"to\" END)"),
         ("count(DISTINCT type WHERE type != like)", "count(DISTINCT CASE WHEN type != 'like' THEN type END)"),
         ("median(post.words)", "median(CASE WHEN type = 'post' THEN words END)"),
         ("quantile(purchase.amount, 0.75)", "quantile(CASE WHEN type = 'purchase' THEN amount END, 0.75)"),
         ("stddev(post.words)", "stddev(CASE WHEN type = 'post' THEN words END)"),
         ("variance(purchase.amount)", "variance(CASE WHEN type = 'purchase' THEN amount END)")]


# times over members (first/last views keep them) and durations between them
TMAGGS = [("first(post)", "min(CASE WHEN type = 'post' THEN ts END)"), ("first(join)", "min(CASE WHEN type = 'join' THEN ts END)"),
          ("last(post, comment)", "max(CASE WHEN type IN ('post', 'comment') THEN ts END)"),
          ("last(like)", "max(CASE WHEN type = 'like' THEN ts END)"),
          ("first(post WHERE original)", "min(CASE WHEN type = 'post' AND original = 1 THEN ts END)"),
          ("(first(post) - first(join)) / 1 HOURS", "(min(CASE WHEN type = 'post' THEN ms END) - min(CASE WHEN type = 'join' THEN ms END)) / 3600000.0"),
          ("day(last(like))", "date(loc(max(CASE WHEN type = 'like' THEN ts END)))"),
          ("first(join) + 1 MONTHS", "addm(min(CASE WHEN type = 'join' THEN ts END), 1)")]


def members():
    ms = R.sample(MAGGS, R.randint(1, 3))
    k = R.random()
    if k < 0.4:
        wcl = ("", "")
        if R.random() < 0.6:
            m = R.choice(ms)
            n = R.choice([0, 1, 2, 5])
            wcl = (" WHERE %s > %d" % (m[0], n), " HAVING %s > %d" % (m[1], n))
        if R.random() < 0.4:
            ms.append(R.choice(TMAGGS))
        return ("SELECT member, %s FROM members%s ORDER BY member" % (", ".join("%s AS c%d" % (m[0], i) for i, m in enumerate(ms)), wcl[0]),
                "SELECT member, %s FROM ev GROUP BY member%s ORDER BY member" % (", ".join("%s AS c%d" % (m[1], i) for i, m in enumerate(ms)), wcl[1]), True)
    if k < 0.55:
        # row aggregates over the members' values, with FILTER (members alike, classes)
        m, n = ms[0], R.choice([0, 1, 2, 5])
        m2 = ms[-1]
        return ("SELECT count(*) AS n, count(*) FILTER (WHERE %s > %d) AS f, sum(%s) FILTER (WHERE %s <= %d) AS s, "
                "max(%s) AS x FROM members" % (m[0], n, m2[0], m[0], n, m2[0]),
                "SELECT count(*), count(*) FILTER (WHERE a > %d), sum(b) FILTER (WHERE a <= %d), max(b) FROM "
                "(SELECT %s AS a, %s AS b FROM ev GROUP BY member)" % (n, n, m[1], m2[1]), True)
    if k < 0.7:
        m = ms[0]
        return ("SELECT %s AS k, count(*) AS n FROM members GROUP BY k ORDER BY k" % m[0],
                "SELECT k, count(*) FROM (SELECT %s AS k FROM ev GROUP BY member) GROUP BY k ORDER BY k" % m[1], True)
    m = ms[0]
    w = R.choice([("rank() OVER (ORDER BY %s DESC)", "rank() OVER (ORDER BY %s DESC)"),
                  ("sum(%s) OVER ()", "sum(%s) OVER ()"), ("percent_rank() OVER (ORDER BY %s)", "percent_rank() OVER (ORDER BY %s)"),
                  ("ntile(4) OVER (ORDER BY %s, member)", "ntile(4) OVER (ORDER BY %s, member)")])
    n = R.choice([0, 1, 3])
    lim = R.randint(5, 40)
    return ("SELECT member, %s AS c, %s AS w FROM members WHERE %s > %d ORDER BY c DESC, member LIMIT %d" % (m[0], w[0] % m[0], m[0], n, lim),
            "SELECT member, %s AS c, %s AS w FROM ev GROUP BY member HAVING c > %d ORDER BY c DESC, member LIMIT %d" % (m[1], w[1] % m[1], n, lim), True)


# ---------------------------------------------------------------- composition, AS OF, PER

SPAN = [0, 0]   # the events' earliest and latest times (ms), set by oracle()
DAY = 86400000


def numeric(a):
    return not (a[0].startswith(("min(", "max(")) and ("(member" in a[0] or "(type" in a[0]))


def num_agg():
    while True:
        a = agg()
        if numeric(a):
            return a


def count_agg():
    c = R.choice([("count(*)", "count(*)"), ("count(DISTINCT member)", "count(DISTINCT member)"),
                  ("count(words)", "count(words)"), ("count(DISTINCT day(ts))", "count(DISTINCT date(@T))")])
    if R.random() < 0.3:
        f = cond(1)
        c = ("%s FILTER (WHERE %s)" % (c[0], f[0]), "%s FILTER (WHERE %s)" % (c[1], f[1]))
    return c


def inner_events(nkeys=None, counts=False):
    """a grouped SELECT over events with columns k0…, c0…: (shoal, sqlite, keys, aggregates)"""
    keys = R.sample(KEYS, nkeys or R.randint(1, 2))
    aggs = [count_agg() if counts else num_agg() for _ in range(R.randint(1, 2))]
    w = where(0.5)
    s_items = ", ".join(["%s AS k%d" % (k[0], i) for i, k in enumerate(keys)] + ["%s AS c%d" % (a[0], i) for i, a in enumerate(aggs)])
    q_items = ", ".join(["%s AS k%d" % (k[1], i) for i, k in enumerate(keys)] + ["%s AS c%d" % (a[1], i) for i, a in enumerate(aggs)])
    gs = ", ".join(str(i + 1) for i in range(len(keys)))
    h = " HAVING count(*) > %d" % R.choice([1, 3, 10]) if R.random() < 0.2 else ""
    return ("SELECT %s FROM events%s GROUP BY %s%s" % (s_items, w[0], gs, h),
            "SELECT %s FROM ev%s GROUP BY %s%s" % (q_items, w[1], gs, h), len(keys), len(aggs))


def inner_members():
    """a SELECT over members with columns member, n, m (views answer what they keep)"""
    a, b = R.choice(MAGGS[:8]), R.choice(MAGGS)
    s = "SELECT member, %s AS n, %s AS m FROM members" % (a[0], b[0])
    q = "SELECT member, %s AS n, %s AS m FROM ev GROUP BY member" % (a[1], b[1])
    if R.random() < 0.5:
        c, k = R.choice(MAGGS[:8]), R.choice([0, 1, 3])
        s += " WHERE %s > %d" % (c[0], k)
        q += " HAVING %s > %d" % (c[1], k)
    return s, q


def outer_over(src_s, src_q, nk, na, named):
    """a SELECT over rows of columns k0…, c0… (a derived table, or WITH query a)"""
    keys_s = ", ".join("k%d" % i for i in range(nk))
    t_s = src_s if named else "(%s) AS t" % src_s
    t_q = src_q if named else "(%s) AS t" % src_q
    k = R.random()
    if k < 0.25:
        w = ("", "")
        if R.random() < 0.5:
            n = R.choice([0, 1, 5, 30])
            w = (" WHERE c0 > %d" % n, " WHERE c0 > %d" % n)
        # (not count(DISTINCT c0): a variance's last bits differ from Python's)
        return ("SELECT count(*) AS n, sum(c0) AS s, max(c0) AS x, min(k0) AS mk, count(DISTINCT k%d) AS d FROM %s%s" % (nk - 1, t_s, w[0]),
                "SELECT count(*), sum(c0), max(c0), min(k0), count(DISTINCT k%d) FROM %s%s" % (nk - 1, t_q, w[1]), True)
    if k < 0.45:
        # windows over the rows: their keys are unique, so the order is total
        ws = R.sample([("rank() OVER (ORDER BY c0 DESC)", "rank() OVER (ORDER BY c0 DESC)"),
                       ("sum(c0) OVER (ORDER BY %s ROWS 2 PRECEDING)" % keys_s, "sum(c0) OVER (ORDER BY %s ROWS 2 PRECEDING)" % keys_s),
                       ("c0 - lag(c0, 1, 0) OVER (ORDER BY %s)" % keys_s, "c0 - lag(c0, 1, 0) OVER (ORDER BY %s)" % keys_s),
                       ("row_number() OVER (PARTITION BY c0 > 10 ORDER BY %s DESC)" % keys_s,
                        "row_number() OVER (PARTITION BY c0 > 10 ORDER BY %s DESC)" % keys_s),
                       ("count(*) OVER ()", "count(*) OVER ()"),
                       ("max(c0) OVER (ORDER BY %s ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)" % keys_s,
                        "max(c0) OVER (ORDER BY %s ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)" % keys_s)], R.randint(1, 2))
        lim = " LIMIT %d" % R.randint(1, 20) if R.random() < 0.3 else ""
        return ("SELECT %s, c0, %s FROM %s ORDER BY %s%s" % (keys_s, ", ".join("%s AS w%d" % (x[0], i) for i, x in enumerate(ws)), t_s, keys_s, lim),
                "SELECT %s, c0, %s FROM %s ORDER BY %s%s" % (keys_s, ", ".join("%s AS w%d" % (x[1], i) for i, x in enumerate(ws)), t_q, keys_s, lim), True)
    if k < 0.65:
        # against a value of the same rows, read again
        inner = "(SELECT avg(c0) FROM %s)" if named else "(SELECT avg(c0) FROM (%s) AS u)"
        s2 = inner % src_s
        q2 = inner % src_q
        return ("SELECT %s, c0 FROM %s WHERE c0 >= %s ORDER BY %s" % (keys_s, t_s, s2, keys_s),
                "SELECT %s, c0 FROM %s WHERE c0 >= %s ORDER BY %s" % (keys_s, t_q, q2, keys_s), True)
    if k < 0.8:
        n = R.choice([0, 2, 10])
        return ("SELECT count(*) AS n, sum(c) AS s FROM (SELECT k0, c0 * 2 AS c FROM %s WHERE c0 > %d) AS b" % (t_s, n),
                "SELECT count(*), sum(c) FROM (SELECT k0, c0 * 2 AS c FROM %s WHERE c0 > %d) AS b" % (t_q, n), True)
    # the keys of the most
    d = R.choice(["", " DESC"])
    n = R.randint(1, 5)
    return ("SELECT %s, c0 FROM %s ORDER BY c0%s, %s LIMIT %d" % (keys_s, t_s, d, keys_s, n),
            "SELECT %s, c0 FROM %s ORDER BY c0%s, %s LIMIT %d" % (keys_s, t_q, d, keys_s, n), True)


def derived():
    if R.random() < 0.3:
        s, q = inner_members()
        k = R.random()
        if k < 0.4:
            return ("SELECT n, count(*) AS members, sum(m) AS s FROM (%s) AS t GROUP BY n ORDER BY n" % s,
                    "SELECT n, count(*), sum(m) FROM (%s) AS t GROUP BY n ORDER BY n" % q, True)
        if k < 0.7:
            return ("SELECT t.member, t.n FROM (%s) AS t WHERE t.n >= (SELECT max(n) FROM (%s) AS u) - %d ORDER BY t.n DESC, t.member" % (s, s, R.choice([0, 2, 5])),
                    "SELECT t.member, t.n FROM (%s) AS t WHERE t.n >= (SELECT max(n) FROM (%s) AS u) - %d ORDER BY t.n DESC, t.member" % (q, q, 0), True) \
                if False else _members_top(s, q)
        return ("SELECT member, n, dense_rank() OVER (ORDER BY n DESC) AS r FROM (%s) AS t ORDER BY r, member LIMIT %d" % (s, R.randint(3, 30)),
                "SELECT member, n, r FROM (SELECT member, n, dense_rank() OVER (ORDER BY n DESC) AS r FROM (%s) AS t) ORDER BY r, member LIMIT %d" % (q, 0), True) \
            if False else _members_rank(s, q)
    s, q, nk, na = inner_events(1 if R.random() < 0.5 else 2)
    return outer_over(s, q, nk, na, False)


def _members_top(s, q):
    d = R.choice([0, 2, 5])
    return ("SELECT t.member, t.n FROM (%s) AS t WHERE t.n >= (SELECT max(n) FROM (%s) AS u) - %d ORDER BY t.n DESC, t.member" % (s, s, d),
            "SELECT t.member, t.n FROM (%s) AS t WHERE t.n >= (SELECT max(n) FROM (%s) AS u) - %d ORDER BY t.n DESC, t.member" % (q, q, d), True)


def _members_rank(s, q):
    n = R.randint(3, 30)
    return ("SELECT member, n, dense_rank() OVER (ORDER BY n DESC) AS r FROM (%s) AS t ORDER BY r, member LIMIT %d" % (s, n),
            "SELECT member, n, dense_rank() OVER (ORDER BY n DESC) AS r FROM (%s) AS t ORDER BY r, member LIMIT %d" % (q, n), True)


def with_q():
    if R.random() < 0.35:
        s, q = inner_members()
        k = R.random()
        if k < 0.25:
            # the outer ORDER BY and LIMIT go into the WITH query (its top-k over members)
            n, d = R.randint(1, 30), R.choice(["", " DESC"])
            if R.random() < 0.4:
                return ("WITH m AS (%s) SELECT member, n FROM m ORDER BY n%s LIMIT %d WITH TIES" % (s, d, n),
                        "WITH m AS (%s) SELECT member, n FROM (SELECT member, n, rank() OVER (ORDER BY n%s) AS rk FROM m) "
                        "WHERE rk <= %d" % (q, d, n), False)
            off = " OFFSET %d" % R.randint(0, 20) if R.random() < 0.4 else ""
            return ("WITH m AS (%s) SELECT member, n, m FROM m ORDER BY n%s, member LIMIT %d%s" % (s, d, n, off),
                    "WITH m AS (%s) SELECT member, n, m FROM m ORDER BY n%s, member LIMIT %d%s" % (q, d, n, off), True)
        k = R.random()
        if k < 0.35:
            return ("WITH m AS (%s) SELECT n, count(*) AS members FROM m GROUP BY n ORDER BY n" % s,
                    "WITH m AS (%s) SELECT n, count(*) FROM m GROUP BY n ORDER BY n" % q, True)
        if k < 0.7:
            d = R.choice([0, 1, 4])
            return ("WITH m AS (%s) SELECT member, n FROM m WHERE n >= (SELECT max(n) FROM m) - %d ORDER BY n DESC, member" % (s, d),
                    "WITH m AS (%s) SELECT member, n FROM m WHERE n >= (SELECT max(n) FROM m) - %d ORDER BY n DESC, member" % (q, d), True)
        n = R.choice([0, 1, 3])
        return ("WITH m AS (%s) SELECT type, count(*) AS n FROM events WHERE member IN (SELECT member FROM m WHERE n > %d) GROUP BY 1 ORDER BY 1" % (s, n),
                "WITH m AS (%s) SELECT type, count(*) FROM ev WHERE member IN (SELECT member FROM m WHERE n > %d) GROUP BY 1 ORDER BY 1" % (q, n), True)
    s, q, nk, na = inner_events(1 if R.random() < 0.5 else 2)
    if R.random() < 0.3:
        # a chain: b reads a
        n = R.choice([0, 3])
        ks = ", ".join("k%d" % i for i in range(nk))
        b_s = "SELECT %s, c0 + 1 AS c0 FROM a WHERE c0 > %d" % (ks, n)
        o = outer_over("b", "b", nk, 1, True)
        return ("WITH a AS (%s), b AS (%s) %s" % (s, b_s, o[0]), "WITH a AS (%s), b AS (%s) %s" % (q, b_s, o[1]), o[2])
    o = outer_over("a", "a", nk, na, True)
    return ("WITH a AS (%s) %s" % (s, o[0]), "WITH a AS (%s) %s" % (q, o[1]), o[2])


# ---------------------------------------------------------------- merged subqueries

def merged():
    """a SELECT over a derived table or WITH query that only projects and filters its
    source: shoal plans the two as one flat SELECT (merge.c, EXPLAIN says merged); and the
    forms it must not merge (LIMIT, ORDER BY, grouping, a window inside, an outer alias
    that is an inner column), which stream the inner rows as before"""
    def wrap(inner_s, inner_q, outer_s, outer_q):
        if R.random() < 0.5:
            return ("WITH t AS (%s) %s" % (inner_s, outer_s % "t"), "WITH t AS (%s) %s" % (inner_q, outer_q % "t"))
        return (outer_s % ("(%s) AS t" % inner_s), outer_q % ("(%s) AS t" % inner_q))
    refuse = R.random() < 0.3
    if R.random() < 0.5:
        # over members: member, n, m
        a, b = R.choice(MAGGS[:8]), R.choice(MAGGS)
        s = "SELECT member, %s AS n, %s AS m FROM members" % (a[0], b[0])
        q = "SELECT member, %s AS n, %s AS m FROM ev GROUP BY member" % (a[1], b[1])
        if R.random() < 0.4:
            c, k = R.choice(MAGGS[:8]), R.choice([0, 1, 3])
            s += " WHERE %s > %d" % (c[0], k)
            q += " HAVING %s > %d" % (c[1], k)
        if refuse:
            r = R.random()
            if r < 0.5:
                lim = R.randint(10, 200)
                s += " ORDER BY member LIMIT %d" % lim
                q += " ORDER BY member LIMIT %d" % lim
            else:
                s = "SELECT member, n, m, rank() OVER (ORDER BY n DESC) AS rk FROM (%s) AS w" % s
                q = "SELECT member, n, m, rank() OVER (ORDER BY n DESC) AS rk FROM (%s) AS w" % q
        k = R.random()
        x = R.choice([0, 1, 2, 4])
        if k < 0.3:
            w = " WHERE m > %d" % x if R.random() < 0.5 else ""
            o = ("SELECT n, count(*) AS c, sum(m) AS s, max(m) AS x FROM %%s%s GROUP BY n ORDER BY n" % w,
                 "SELECT n, count(*), sum(m), max(m) FROM %%s%s GROUP BY n ORDER BY n" % w)
        elif k < 0.5:
            o = ("SELECT member, n, m FROM %%s WHERE n > %d AND (m < 5 OR m IS NULL) ORDER BY member" % x,
                 "SELECT member, n, m FROM %%s WHERE n > %d AND (m < 5 OR m IS NULL) ORDER BY member" % x)
        elif k < 0.65:
            o = ("SELECT count(*) AS c, count(*) FILTER (WHERE n > %d) AS f, avg(m) AS a, max(n) AS x, count(DISTINCT n) AS d FROM %%s" % x,
                 "SELECT count(*), count(*) FILTER (WHERE n > %d), avg(m), max(n), count(DISTINCT n) FROM %%s" % x)
        elif k < 0.8:
            lim = R.randint(5, 30)
            o = ("SELECT member, n, rank() OVER (ORDER BY n DESC) AS r FROM %%s WHERE n > %d ORDER BY r, member LIMIT %d" % (x, lim),
                 "SELECT member, n, rank() OVER (ORDER BY n DESC) AS r FROM %%s WHERE n > %d ORDER BY r, member LIMIT %d" % (x, lim))
        elif k < 0.9:
            # HAVING by an alias, ORDER BY a position
            o = ("SELECT n * 2 AS k, count(*) AS c FROM %%s GROUP BY n * 2 HAVING c > %d ORDER BY 1" % x,
                 "SELECT n * 2 AS k, count(*) AS c FROM %%s GROUP BY n * 2 HAVING c > %d ORDER BY 1" % x)
        else:
            # an outer alias that is an inner column (not merged), and t.column
            o = ("SELECT t.member, t.m AS n FROM %%s WHERE t.n > %d ORDER BY t.member" % x,
                 "SELECT t.member, t.m AS n FROM %%s WHERE t.n > %d ORDER BY t.member" % x)
        r = wrap(s, q, o[0], o[1])
        return r[0], r[1], True
    # over events: seq, keys and values of each event
    keys = R.sample(KEYS, 2)
    x = R.choice(NUMS)
    w = where(0.6)
    s = "SELECT seq AS s, %s AS k0, %s AS k1, %s AS v FROM events%s" % (keys[0][0], keys[1][0], x[0], w[0])
    q = "SELECT seq AS s, %s AS k0, %s AS k1, %s AS v FROM ev%s" % (keys[0][1], keys[1][1], x[1], w[1])
    if refuse:
        lim = R.randint(50, 3000)
        s += " LIMIT %d" % lim
        q += " ORDER BY seq LIMIT %d" % lim
    k = R.random()
    n = R.choice([0, 10, 100])
    if k < 0.35:
        h = " HAVING count(*) > %d" % R.choice([1, 5]) if R.random() < 0.3 else ""
        o = ("SELECT k0, count(*) AS c, sum(v) AS s, min(k1) AS mk, count(DISTINCT k1) AS d FROM %%s WHERE v > %d OR v IS NULL GROUP BY k0%s ORDER BY k0" % (n, h),
             "SELECT k0, count(*), sum(v), min(k1), count(DISTINCT k1) FROM %%s WHERE v > %d OR v IS NULL GROUP BY k0%s ORDER BY k0" % (n, h))
    elif k < 0.55:
        lim = R.randint(1, 40)
        o = ("SELECT s, k0, v FROM %%s WHERE v >= %d ORDER BY v DESC, s LIMIT %d" % (n, lim),
             "SELECT s, k0, v FROM %%s WHERE v >= %d ORDER BY v DESC, s LIMIT %d" % (n, lim))
    elif k < 0.75:
        lim = R.randint(5, 40)
        o = ("SELECT s, v, sum(v) OVER (ORDER BY s ROWS 2 PRECEDING) AS w, row_number() OVER (PARTITION BY k0 ORDER BY s) AS r FROM %%s ORDER BY s LIMIT %d" % lim,
             "SELECT s, v, sum(v) OVER (ORDER BY s ROWS 2 PRECEDING) AS w, row_number() OVER (PARTITION BY k0 ORDER BY s) AS r FROM %%s ORDER BY s LIMIT %d" % lim)
    elif k < 0.9:
        o = ("SELECT count(*) AS c, sum(v) AS s, max(k0) AS x, count(DISTINCT k0) AS d FROM %s",
             "SELECT count(*), sum(v), max(k0), count(DISTINCT k0) FROM %s")
    else:
        o = ("SELECT * FROM %%s WHERE v > %d ORDER BY s LIMIT 50" % n, "SELECT * FROM %%s WHERE v > %d ORDER BY s LIMIT 50" % n)
    r = wrap(s, q, o[0], o[1])
    return r[0], r[1], True


def scalar_sub():
    k = R.random()
    if k < 0.3:
        key = R.choice(KEYS[:7])
        w, w2 = where(0.5), where(0.5)
        return ("SELECT %s AS k, count(*) AS c, round(100.0 * count(*) / (SELECT count(*) FROM events%s), 4) AS pct FROM events%s GROUP BY 1 ORDER BY 1" % (key[0], w2[0], w[0]),
                "SELECT %s AS k, count(*) AS c, round(100.0 * count(*) / (SELECT count(*) FROM ev%s), 4) AS pct FROM ev%s GROUP BY 1 ORDER BY 1" % (key[1], w2[1], w[1]), True)
    if k < 0.55:
        x = R.choice(NUMS[:3] + NUMS[4:5])
        c1, c2 = cond(), cond()
        f = R.choice(["avg", "max", "min", "median"])
        lim = R.randint(5, 50)
        return ("SELECT seq, %s AS v FROM events WHERE %s AND %s > (SELECT %s(%s) FROM events WHERE %s) ORDER BY seq LIMIT %d" % (x[0], c1[0], x[0], f, x[0], c2[0], lim),
                "SELECT seq, %s AS v FROM ev WHERE %s AND %s > (SELECT %s(%s) FROM ev WHERE %s) ORDER BY seq LIMIT %d" % (x[1], c1[1], x[1], f, x[1], c2[1], lim), True)
    if k < 0.8:
        m = R.choice(MAGGS)
        f = R.choice(["max", "avg", "min"])
        d = R.choice([0, 1, 3])
        lim = R.randint(5, 40)
        return ("SELECT member, %s AS n FROM members WHERE %s >= (SELECT %s(%s) FROM members) - %d ORDER BY n DESC, member LIMIT %d" % (m[0], m[0], f, m[0], d, lim),
                "SELECT member, %s AS n FROM ev GROUP BY member HAVING n >= (SELECT %s(a) FROM (SELECT %s AS a FROM ev GROUP BY member)) - %d ORDER BY n DESC, member LIMIT %d" % (m[1], f, m[1], d, lim), True)
    # values that may be NULL (no row) or text, as select items
    c = cond()
    a = R.choice([("(SELECT max(words) FROM events WHERE type = join)", "(SELECT max(words) FROM ev WHERE type = 'join')"),
                  ("(SELECT member FROM events WHERE %s ORDER BY seq DESC LIMIT 1)" % c[0], "(SELECT member FROM ev WHERE %s ORDER BY seq DESC LIMIT 1)" % c[1]),
                  ("(SELECT count(DISTINCT member) FROM events WHERE %s)" % c[0], "(SELECT count(DISTINCT member) FROM ev WHERE %s)" % c[1]),
                  ("coalesce((SELECT sum(amount) FROM events WHERE %s AND type = join), -1)" % c[0], "coalesce((SELECT sum(amount) FROM ev WHERE %s AND type = 'join'), -1)" % c[1])])
    t = types_in()
    return ("SELECT type, count(*) AS n, %s AS v FROM events WHERE %s GROUP BY 1 ORDER BY 1" % (a[0], t[0]),
            "SELECT type, count(*) AS n, %s AS v FROM ev WHERE %s GROUP BY 1 ORDER BY 1" % (a[1], t[1]), True)


def in_set():
    c = cond(1)
    m, n = R.choice(MAGGS), R.choice([0, 1, 3, 10])
    return R.choice([
        ("member", "member", "SELECT member FROM events WHERE %s" % c[0], "SELECT member FROM ev WHERE %s" % c[1]),
        ("member", "member", "SELECT member FROM members WHERE %s > %d" % (m[0], n), "SELECT member FROM ev GROUP BY member HAVING %s > %d" % (m[1], n)),
        ("to", '"to"', "SELECT member FROM events WHERE type = join AND %s" % c[0], "SELECT member FROM ev WHERE type = 'join' AND %s" % c[1]),
        ("member", "member", "SELECT to FROM events WHERE type = reply AND %s" % c[0], "SELECT \"to\" FROM ev WHERE type = 'reply' AND %s" % c[1]),
        ("type", "type", "SELECT type FROM events GROUP BY type HAVING count(*) > %d" % (n * 100), "SELECT type FROM ev GROUP BY type HAVING count(*) > %d" % (n * 100)),
        ("words", "words", "SELECT words FROM events WHERE type IN (post, like) AND member LIKE 'm-1%'", "SELECT words FROM ev WHERE type IN ('post', 'like') AND member LIKE 'm-1%'"),
        ("words", "words", "SELECT words FROM events WHERE type = post AND %s" % c[0], "SELECT words FROM ev WHERE type = 'post' AND %s" % c[1]),
        ("group", "grp", "SELECT group FROM events WHERE type = checkin AND member LIKE 'm-2%'", "SELECT grp FROM ev WHERE type = 'checkin' AND member LIKE 'm-2%'"),
        ("day(ts)", "date(@T)", "SELECT day(ts) FROM events WHERE type = purchase", "SELECT date(@T) FROM ev WHERE type = 'purchase'")])


def in_sub():
    x_s, x_q, sub_s, sub_q = in_set()
    neg = R.choice(["", " NOT"])
    k = R.random()
    if k < 0.5:
        return ("SELECT type, count(*) AS n, count(DISTINCT member) AS m FROM events WHERE %s%s IN (%s) GROUP BY 1 ORDER BY 1" % (x_s, neg, sub_s),
                "SELECT type, count(*), count(DISTINCT member) FROM ev WHERE %s%s IN (%s) GROUP BY 1 ORDER BY 1" % (x_q, neg, sub_q), True)
    if k < 0.7:
        return ("SELECT count(*) AS n, sum(words) AS w FROM events WHERE %s%s IN (%s)" % (x_s, neg, sub_s),
                "SELECT count(*), sum(words) FROM ev WHERE %s%s IN (%s)" % (x_q, neg, sub_q), True)
    # over members: a set of members
    x_s, x_q, sub_s, sub_q = in_set()
    while x_s != "member":
        x_s, x_q, sub_s, sub_q = in_set()
    m = R.choice(MAGGS)
    return ("SELECT member, %s AS c FROM members WHERE member%s IN (%s) ORDER BY member" % (m[0], neg, sub_s),
            "SELECT member, %s AS c FROM ev GROUP BY member HAVING member%s IN (%s) ORDER BY member" % (m[1], neg, sub_q), True)


# Correlated subqueries (correlate.c): a value, [NOT] IN and [NOT] EXISTS reading the
# outer row through one or two equalities

CORR_KEYS = [(("member", "member"), ("member", "member")), (("to", '"to"'), ("member", "member")),
             (("member", "member"), ("to", '"to"')), (("group", "grp"), ("group", "grp")), (("type", "type"), ("type", "type"))]
IN_COLS = [(("to", '"to"'), ("member", "member")), (("member", "member"), ("to", '"to"')), (("words", "words"), ("words", "words")),
           (("group", "grp"), ("group", "grp")), (("seq", "seq"), ("seq", "seq"))]


def corr_where():
    """the subquery's WHERE: one or two correlations with the outer t, maybe a condition of its own"""
    ks = [R.choice(CORR_KEYS[:3])] + ([R.choice(CORR_KEYS[3:])] if R.random() < 0.4 else [])
    s = ["e.%s = t.%s" % (i[0], o[0]) for i, o in ks]
    q = ["e.%s = t.%s" % (i[1], o[1]) for i, o in ks]
    if R.random() < 0.6:
        c = cond(1)
        s.append(c[0])
        q.append(c[1])
    return " AND ".join(s), " AND ".join(q)


def correlated():
    w_s, w_q = corr_where()
    c = cond(1)
    k = R.random()
    lim = R.randint(5, 40)
    if k < 0.3:
        f = R.choice(["count(*)", "count(words)", "sum(words)", "avg(words)", "min(seq)", "max(words)", "max(member)"])
        return ("SELECT t.seq, (SELECT %s FROM events AS e WHERE %s) AS v FROM events AS t WHERE %s ORDER BY t.seq LIMIT %d" % (f, w_s, c[0], lim),
                "SELECT t.seq, (SELECT %s FROM ev AS e WHERE %s) AS v FROM ev AS t WHERE %s ORDER BY t.seq LIMIT %d" % (f, w_q, c[1].replace("@T", "t.@T"), lim), True)
    neg = R.choice(["", "NOT "])
    if k < 0.65:
        x, y = R.choice(IN_COLS)
        if R.random() < 0.2:
            y = R.choice([(("max(seq)", "max(seq)")), (("min(words)", "min(words)"))])
            x = (("seq", "seq")) if "seq" in y[0] else (("words", "words"))
        pred_s = "t.%s %sIN (SELECT e.%s FROM events AS e WHERE %s)" % (x[0], neg, y[0] if "(" not in y[0] else y[0].replace("(", "(e."), w_s)
        pred_q = "t.%s %sIN (SELECT e.%s FROM ev AS e WHERE %s)" % (x[1], neg, y[1] if "(" not in y[1] else y[1].replace("(", "(e."), w_q)
        if "(" in y[0]:
            pred_s = "t.%s %sIN (SELECT %s FROM events AS e WHERE %s)" % (x[0], neg, y[0].replace("(", "(e."), w_s)
            pred_q = "t.%s %sIN (SELECT %s FROM ev AS e WHERE %s)" % (x[1], neg, y[1].replace("(", "(e."), w_q)
    else:
        pred_s = "%sEXISTS (SELECT 1 FROM events AS e WHERE %s)" % (neg, w_s)
        pred_q = "%sEXISTS (SELECT 1 FROM ev AS e WHERE %s)" % (neg, w_q)
    if R.random() < 0.5:
        # as a value: TRUE, FALSE or NULL per row
        return ("SELECT t.type, (%s) AS v, count(*) AS n FROM events AS t GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST" % pred_s,
                "SELECT t.type, (%s) AS v, count(*) FROM ev AS t GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST" % pred_q, True)
    return ("SELECT t.type, count(*) AS n, count(DISTINCT t.member) AS m FROM events AS t WHERE %s GROUP BY 1 ORDER BY 1" % pred_s,
            "SELECT t.type, count(*), count(DISTINCT t.member) FROM ev AS t WHERE %s GROUP BY 1 ORDER BY 1" % pred_q, True)


# a range correlation: one inner value compared with the outer row's (shoal, sqlite, of e, of t)
RANGES = [(("ts", "ms"), lambda: R.choice(["", " - %d DAYS" % R.randint(1, 30), " + %d HOURS" % R.randint(1, 48)])),
          (("seq", "seq"), lambda: R.choice(["", " - %d" % R.randint(1, 500)])),
          (("words", "words"), lambda: R.choice(["", " + 10"]))]


def range_cond():
    """e.v OP t.v [± d] (or BETWEEN, or the outer side first), both languages"""
    (col_s, col_q), off = R.choice(RANGES)

    def outer():
        o = off()
        if not o:
            return "t.%s" % col_s, "t.%s" % col_q
        if col_s == "ts":
            n = int(o.split()[1])
            ms = n * (86400000 if "DAYS" in o else 3600000)
            return "t.ts%s" % o, "t.ms %s %d" % (o.split()[0], ms)
        return "t.%s%s" % (col_s, o), "t.%s%s" % (col_q, o)
    k = R.random()
    a_s, a_q = outer()
    if k < 0.2:
        b_s, b_q = outer()
        return "e.%s BETWEEN %s AND %s" % (col_s, a_s, b_s), "e.%s BETWEEN %s AND %s" % (col_q, a_q, b_q)
    op = R.choice(["<", "<=", ">", ">=", "<>"])
    if k < 0.35:
        flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "<>": "<>"}
        return "%s %s e.%s" % (a_s, flip[op], col_s), "%s %s e.%s" % (a_q, flip[op], col_q)
    c_s, c_q = "e.%s %s %s" % (col_s, op, a_s), "e.%s %s %s" % (col_q, op, a_q)
    if op in ("<", "<=") and R.random() < 0.3:   # a second bound on the same value
        b_s, b_q = outer()
        c_s += " AND e.%s > %s" % (col_s, b_s)
        c_q += " AND e.%s > %s" % (col_q, b_q)
    return c_s, c_q


def corr_range():
    """correlated subqueries on a range (e.ts < t.ts), maybe with equalities too (over a
    sample of the outer rows: sqlite3 runs the subquery per row)"""
    r_s, r_q = range_cond()
    s, q = [r_s], [r_q]
    if R.random() < 0.7:
        i, o = R.choice(CORR_KEYS)
        s.append("e.%s = t.%s" % (i[0], o[0]))
        q.append("e.%s = t.%s" % (i[1], o[1]))
    if R.random() < 0.5:
        c = cond(1)
        s.append(c[0])
        q.append(c[1])
    w_s, w_q = " AND ".join(s), " AND ".join(q)
    c = cond(1)
    lim = R.randint(5, 40)
    k = R.random()
    if k < 0.45:
        f = R.choice(["count(*)", "count(words)", "sum(words)", "avg(words)", "min(seq)", "max(words)", "max(member)", "min(ts)"])
        fq = f
        return ("SELECT t.seq, (SELECT %s FROM events AS e WHERE %s) AS v FROM events AS t WHERE %s ORDER BY t.seq LIMIT %d" % (f, w_s, c[0], lim),
                "SELECT t.seq, (SELECT %s FROM ev AS e WHERE %s) AS v FROM ev AS t WHERE %s ORDER BY t.seq LIMIT %d" % (fq, w_q, c[1].replace("@T", "t.@T"), lim), True)
    neg = R.choice(["", "NOT "])
    if k < 0.7:
        x, y = R.choice(IN_COLS)
        pred_s = "t.%s %sIN (SELECT e.%s FROM events AS e WHERE %s)" % (x[0], neg, y[0], w_s)
        pred_q = "t.%s %sIN (SELECT e.%s FROM ev AS e WHERE %s)" % (x[1], neg, y[1], w_q)
    else:
        pred_s = "%sEXISTS (SELECT 1 FROM events AS e WHERE %s)" % (neg, w_s)
        pred_q = "%sEXISTS (SELECT 1 FROM ev AS e WHERE %s)" % (neg, w_q)
    if R.random() < 0.5:
        return ("SELECT t.type, (%s) AS v, count(*) AS n FROM events AS t WHERE t.seq %% 29 = 0 GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST" % pred_s,
                "SELECT t.type, (%s) AS v, count(*) FROM ev AS t WHERE t.seq %% 29 = 0 GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST" % pred_q, True)
    return ("SELECT t.type, count(*) AS n, count(DISTINCT t.member) AS m FROM events AS t WHERE t.seq %% 29 = 0 AND %s GROUP BY 1 ORDER BY 1" % pred_s,
            "SELECT t.type, count(*), count(DISTINCT t.member) FROM ev AS t WHERE t.seq %% 29 = 0 AND %s GROUP BY 1 ORDER BY 1" % pred_q, True)


def chain():
    """WITH queries reading each other, each only picking and filtering: merged into one
    flat SELECT at every level (merge.c), over events or members"""
    t1, t2 = R.sample(TYPES[:5], 2)
    lo = R.randint(0, 200)
    if R.random() < 0.5:
        a_s = "SELECT member, type, seq, words FROM events WHERE type IN (%s, %s)" % (t1, t2)
        a_q = "SELECT member, type, seq, words FROM ev WHERE type IN ('%s', '%s')" % (t1, t2)
        b = "SELECT member AS who, type AS kind, words FROM a WHERE seq %% 3 <> 0"
        c = "SELECT kind, words AS w FROM b WHERE who <> 'm-1'"
        if R.random() < 0.5:
            out = "SELECT kind, count(*) AS n, sum(w) AS s FROM c GROUP BY kind ORDER BY kind"
        else:
            out = "SELECT kind, w FROM c WHERE w > %d ORDER BY w DESC, kind LIMIT 20" % lo
        if R.random() < 0.4:   # two levels only
            b, c = "SELECT member AS who, type AS kind, words AS w FROM a WHERE seq %% 3 <> 0", None
            out = out.replace("FROM c", "FROM b")
        w_s = "WITH a AS (%s), b AS (%s)%s %s" % (a_s, b, ", c AS (%s)" % c if c else "", out)
        w_q = "WITH a AS (%s), b AS (%s)%s %s" % (a_q, b, ", c AS (%s)" % c if c else "", out)
        return w_s.replace("%%", "%"), w_q.replace("%%", "%"), True
    n = R.randint(0, 3)
    a_s = "SELECT member, count(%s) AS x, count(%s) AS y FROM members WHERE count(*) DURING all_time > %d" % (t1, t2, n)
    a_q = "SELECT member, sum(type = '%s') AS x, sum(type = '%s') AS y FROM ev GROUP BY member HAVING count(*) > %d" % (t1, t2, n)
    b = "SELECT member AS who, x + y AS both, x FROM a WHERE y >= %d" % R.randint(0, 2)
    c = "SELECT who, both FROM b WHERE x <= %d" % R.randint(1, 20)
    out = "SELECT both, count(*) AS members FROM c GROUP BY both ORDER BY both"
    return ("WITH a AS (%s), b AS (%s), c AS (%s) %s" % (a_s, b, c, out),
            "WITH a AS (%s), b AS (%s), c AS (%s) %s" % (a_q, b, c, out), True)


# AS OF: a random instant among the events' (or after them), written as shoal reads it

def local_midnight(d):
    """epoch ms of the local midnight starting date d in ZONE"""
    return int(datetime.datetime(d.year, d.month, d.day, tzinfo=zone()).timestamp() * 1000)


def local_date(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, zone()).date()


def asof_instant():
    """(text for AS OF, now in epoch ms)"""
    t = R.randint(SPAN[0] - DAY, SPAN[1] + 3 * DAY)
    k = R.random()
    if k < 0.4:
        d = datetime.datetime.fromtimestamp(t / 1000, datetime.timezone.utc)
        return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t % 1000), t
    if k < 0.7:
        day = local_date(t)
        return day.isoformat(), local_midnight(day + datetime.timedelta(days=1)) - 1
    # a local time, written without its zone (not on a day whose offset changes)
    d = datetime.datetime.fromtimestamp(t // 1000, zone())
    day = d.date()
    if zone().utcoffset(datetime.datetime(day.year, day.month, day.day)) != zone().utcoffset(datetime.datetime(day.year, day.month, day.day, 23, 59)):
        return asof_instant()
    return d.strftime("%Y-%m-%dT%H:%M:%S"), int(d.timestamp()) * 1000


EV_RE = re.compile(r"\bFROM ev\b")


def with_asof(st):
    """a statement AS OF a random instant (or SEQ): later events are not seen"""
    s, q, ordered = st
    if R.random() < 0.2:
        n = R.randint(1, 10000)
        return s + " AS OF SEQ %d" % n, EV_RE.sub("FROM (SELECT * FROM ev WHERE seq <= %d) AS ev" % n, q), ordered
    text, now = asof_instant()
    return s + " AS OF '%s'" % text, EV_RE.sub("FROM (SELECT * FROM ev WHERE ms <= %d) AS ev" % now, q), ordered


def rel_windows(now):
    """per-member windows relative to now: (shoal's DURING, lo ms, hi ms)"""
    d = local_date(now)
    m0 = d.replace(day=1)
    m1 = (m0 + datetime.timedelta(days=32)).replace(day=1)
    mp = (m0 - datetime.timedelta(days=1)).replace(day=1)
    w0 = d - datetime.timedelta(days=d.weekday())
    n = R.choice([1, 7, 30])
    return [("this_month", local_midnight(m0), local_midnight(m1)), ("last_month", local_midnight(mp), local_midnight(m0)),
            ("today", local_midnight(d), local_midnight(d + datetime.timedelta(days=1))),
            ("this_week", local_midnight(w0), local_midnight(w0 + datetime.timedelta(days=7))),
            ("last_week", local_midnight(w0 - datetime.timedelta(days=7)), local_midnight(w0)),
            ("last %d DAYS" % n, now - n * DAY + 1, now + 1)]


RTYPES = [("post", "type = 'post'"), ("comment, reply", "type IN ('comment', 'reply')"), ("*", "1"),
          ("post WHERE original", "type = 'post' AND original = 1"), ("like", "type = 'like'")]


def members_now():
    """statements over members with windows relative to AS OF's now, views on and off"""
    text, now = asof_instant()
    ws = rel_windows(now)
    cols_s, cols_q = [], []
    for i in range(R.randint(1, 3)):
        t = R.choice(RTYPES)
        w = R.choice(ws)
        cols_s.append("count(%s) DURING %s AS c%d" % (t[0], w[0], i))
        cols_q.append("coalesce(sum(%s AND ms >= %d AND ms < %d), 0) AS c%d" % (t[1], w[1], w[2], i))
    base = "FROM (SELECT * FROM ev WHERE ms <= %d) AS ev GROUP BY member" % now
    if R.random() < 0.5:
        h = R.choice([("", ""), (" WHERE c0 > 0", " HAVING c0 > 0")])
        return ("SELECT member, %s FROM members%s ORDER BY member AS OF '%s'" % (", ".join(cols_s), h[0].replace("c0", cols_s[0].rsplit(" AS ", 1)[0]), text),
                "SELECT member, %s %s%s ORDER BY member" % (", ".join(cols_q), base, h[1]), True)
    return ("SELECT c0, count(*) AS n FROM (SELECT member, %s FROM members) AS t GROUP BY c0 ORDER BY c0 AS OF '%s'" % (", ".join(cols_s), text),
            "SELECT c0, count(*) FROM (SELECT member, %s %s) GROUP BY c0 ORDER BY c0" % (", ".join(cols_q), base), True)


# PER: a row per period

PMAGGS = [("count(post)", "count(CASE WHEN type = 'post' THEN 1 END)"),
          ("count(comment, reply)", "count(CASE WHEN type IN ('comment', 'reply') THEN 1 END)"),
          ("count(post WHERE original)", "count(CASE WHEN type = 'post' AND original = 1 THEN 1 END)"),
          ("sum(post.words)", "total(CASE WHEN type = 'post' THEN words END)"),
          ("count(*) DURING period", "count(seq)"), ("count(like)", "count(CASE WHEN type = 'like' THEN 1 END)"),
          ("count(DISTINCT to)", 'count(DISTINCT "to")')]


def month_add(d, n):
    y, m = divmod(d.month - 1 + n, 12)
    return datetime.date(d.year + y, m + 1, 1)


def per():
    unit = R.choice(["DAY", "WEEK", "MONTH"])
    d1 = local_date(R.randint(SPAN[0] - 20 * DAY, SPAN[1]))
    d2 = d1 + datetime.timedelta(days={"DAY": R.randint(0, 12), "WEEK": R.randint(0, 60), "MONTH": R.randint(0, 200)}[unit])
    asof, now = "", 1 << 62
    if R.random() < 0.4:
        text, now = asof_instant()
        asof = " AS OF '%s'" % text
    lo, hi = local_midnight(d1), local_midnight(d2 + datetime.timedelta(days=1))
    hi = min(hi, now + 1)

    def first(d):
        if unit == "DAY":
            return d
        if unit == "WEEK":
            return d - datetime.timedelta(days=d.weekday())
        return d.replace(day=1)

    def nxt(d):
        return d + datetime.timedelta(days=1) if unit == "DAY" else d + datetime.timedelta(days=7) if unit == "WEEK" else month_add(d, 1)

    periods = []
    if lo < hi:
        p, last = first(local_date(lo)), first(local_date(hi - 1))
        while p <= last:
            periods.append((p.strftime("%Y-%m") if unit == "MONTH" else p.isoformat(), local_midnight(p), local_midnight(nxt(p))))
            p = nxt(p)
    a, b = R.choice(PMAGGS), R.choice(PMAGGS)
    k = R.random()
    wk = R.choice([0, 1, 2])
    w_s, w_q = R.choice([("", ""), (" WHERE %s > %d" % (a[0], wk), " WHERE a > %d" % wk),
                         (" WHERE count(*) DURING period > 0", " WHERE n > 0")])
    during = " DURING BETWEEN '%s' AND '%s'" % (d1.isoformat(), d2.isoformat())
    if k < 0.6:
        s = "SELECT period, count(*) AS n, sum(%s) AS s, max(%s) AS x FROM members PER %s%s%s%s" % (b[0], a[0], unit, w_s, during, asof)
        outer = "SELECT '%s', count(*), sum(b), max(a) FROM (%s)%s"
        grouped_by = False
    else:
        s = "SELECT period, %s AS k, count(*) AS n FROM members PER %s%s%s GROUP BY k ORDER BY period, k%s" % (b[0], unit, w_s, during, asof)
        outer = "SELECT '%s', b, count(*) FROM (%s)%s GROUP BY 2 ORDER BY 2"
        grouped_by = True
    parts = []
    for name, plo, phi in periods:
        e = min(phi - 1, now)
        inner = ("SELECT m.member, %s AS a, %s AS b, count(seq) AS n FROM (SELECT DISTINCT member FROM ev WHERE ms <= %d) AS m "
                 "LEFT JOIN (SELECT * FROM ev WHERE ms >= %d AND ms <= %d) AS e ON e.member = m.member GROUP BY m.member" % (a[1], b[1], e, plo, e))
        parts.append("SELECT * FROM (%s)" % (outer % (name, inner, w_q)))
    q = " UNION ALL ".join(parts) if parts else "SELECT 1 WHERE 0"
    return s, q, grouped_by or True


# ---------------------------------------------------------------- joins

# a joined SELECT over members (shoal, its twin over ev); first(join) may be NULL
JSIDES = [("SELECT member, first(join) AS j, count(post) AS p FROM members",
           "SELECT member, min(CASE WHEN type = 'join' THEN ts END) AS j, min(CASE WHEN type = 'join' THEN ms END) AS jm, "
           "sum(type = 'post') AS p FROM ev GROUP BY member")]
# the events' side: what a key, an item or a condition reads (shoal, sqlite)
JKEYS = [("e.member", "e.member"), ("e.group", "e.grp"), ("e.type", "e.type"), ("m.member", "m.member")]
JAGGS = [("sum(e.words)", "sum(e.words)"), ("max(e.seq)", "max(e.seq)"),
         ("count(m.j)", "count(m.j)"), ("sum(m.p)", "sum(m.p)"), ("count(DISTINCT e.to)", 'count(DISTINCT e."to")')]
JCONDS = [("e.type = reply", "e.type = 'reply'"), ("e.type IN (comment, reply)", "e.type IN ('comment', 'reply')"),
          ("e.words > 20", "e.words > 20"), ("e.original", "e.original = 1"), ("e.amount >= 10", "e.amount >= 10"),
          ("m.p > 2", "m.p > 2"), ("e.group IS NULL", "e.grp IS NULL")]


def joins():
    """events joined to a SELECT over members on an id (e.to or e.member = m.member): the events'
    side selects only the columns the statement names, its WHERE pushed down, grouped by an id"""
    left = R.random() < 0.3
    on = R.choice([("e.to", 'e."to"'), ("e.member", "e.member")])
    side = JSIDES[0]
    conds = R.sample(JCONDS, R.randint(0, 2))
    if R.random() < 0.5:
        n = R.choice([1, 7, 30])
        conds.append(("e.ts >= m.j AND e.ts < m.j + %d DAYS" % n, "e.ms >= m.jm AND e.ms < m.jm + %d" % (n * DAY)))
    ws = " WHERE " + " AND ".join(c[0] for c in conds) if conds else ""
    wq = " WHERE " + " AND ".join(c[1] for c in conds) if conds else ""
    j = "LEFT JOIN" if left else "JOIN"
    if R.random() < 0.25:
        lim = R.randint(5, 30)
        return ("SELECT e.seq, e.words, m.j FROM events AS e %s (%s) AS m ON %s = m.member%s ORDER BY e.seq LIMIT %d"
                % (j, side[0], on[0], ws, lim),
                "SELECT e.seq, e.words, m.j FROM ev AS e %s (%s) AS m ON %s = m.member%s ORDER BY e.seq LIMIT %d"
                % (j, side[1], on[1], wq, lim), True)
    k = R.choice(JKEYS)
    aggs = [("count(*)", "count(*)")] + R.sample(JAGGS, R.randint(0, 2))
    s_items = ", ".join(["%s AS k" % k[0]] + ["%s AS c%d" % (a[0], i) for i, a in enumerate(aggs)])
    q_items = ", ".join(["%s AS k" % k[1]] + ["%s AS c%d" % (a[1], i) for i, a in enumerate(aggs)])
    return ("SELECT %s FROM events AS e %s (%s) AS m ON %s = m.member%s GROUP BY k ORDER BY c0 DESC, k NULLS FIRST LIMIT 50"
            % (s_items, j, side[0], on[0], ws),
            "SELECT %s FROM ev AS e %s (%s) AS m ON %s = m.member%s GROUP BY 1 ORDER BY 2 DESC, 1 NULLS FIRST LIMIT 50"
            % (q_items, j, side[1], on[1], wq), True)


def asof_events():
    return with_asof(R.choice([grouped, overall, windows_events, nulls_order])())


def asof_members():
    return with_asof(R.choice([members, members, ties, derived, with_q])())


KINDS = [(grouped, 14), (overall, 5), (scalars, 10), (windows_events, 14), (windows_grouped, 8), (nulls_order, 5),
         (ties, 5), (members, 10), (derived, 10), (with_q, 10), (scalar_sub, 8), (in_sub, 10), (asof_events, 6),
         (asof_members, 10), (members_now, 6), (per, 8), (merged, 14), (correlated, 4), (corr_range, 4), (chain, 5),
         (joins, 10)]


# SQLITE_DIFF_KINDS=joins,per: only those kinds (a run while working on one)
if os.environ.get("SQLITE_DIFF_KINDS"):
    KINDS = [(f, w) for f, w in KINDS if f.__name__ in os.environ["SQLITE_DIFF_KINDS"].split(",")] or KINDS


def statement():
    total = sum(w for _, w in KINDS)
    k = R.uniform(0, total)
    for f, w in KINDS:
        if k < w:
            return f
        k -= w
    return KINDS[0][0]


# ---------------------------------------------------------------- comparing

def norm(v):
    if isinstance(v, bool):
        return int(v)
    return v


def instant(v):
    """an ISO time with a zone (shoal's output, or ev.ts) as epoch ms, else None"""
    if isinstance(v, str) and len(v) >= 20 and v[4] == "-" and v[10] == "T" and (v.endswith("Z") or v[-6] in "+-"):
        try:
            return ms_of(v)
        except ValueError:
            return None
    return None


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) and isinstance(b, str) and a != b and instant(a) is not None:
        return instant(a) == instant(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if a == b:
            return True
        return abs(a - b) <= 1e-9 * max(1.0, abs(b))
    if isinstance(a, (int, float)) != isinstance(b, (int, float)):
        return str(a) == str(b)
    return a == b


def rows_same(x, y):
    return len(x) == len(y) and all(len(r) == len(s) and all(same(norm(a), norm(b)) for a, b in zip(r, s)) for r, s in zip(x, y))


def sort_key(r):
    return [(v is None, str(norm(v))) for v in r]


def run_shoal(stmts, views_off):
    with tempfile.NamedTemporaryFile("w", suffix=".shoal", delete=False) as f:
        f.write("SET TIMEZONE = '%s';\n" % ZONE)
        if views_off:
            f.write("SET VIEWS = off;\n")
        for i, s in stmts:
            f.write("SELECT 'q%d' AS q;\n%s;\n" % (i, s))
        path = f.name
    p = subprocess.run([SHOAL, "--db", DB, "query", "--format", "ndjson", "-f", path], capture_output=True, text=True)
    os.unlink(path)
    res, cur = {}, None
    for line in p.stdout.splitlines():
        o = json.loads(line)
        if list(o.keys()) == ["q"] and isinstance(o["q"], str) and o["q"].startswith("q"):
            cur = int(o["q"][1:])
            res[cur] = []
            continue
        res[cur].append(list(o.values()))
    return res, p.returncode, p.stderr, cur


VIEWS_OFF = re.compile(r"\bmembers\b|\bAS OF\b|\bPER\b")
ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "UTC"]


def check_seed(con, seed):
    R.seed(seed)
    set_zone(con, ZONES[seed % len(ZONES)])
    stmts = []
    for i in range(N):
        s, q, ordered = statement()()
        stmts.append((i, s, q.replace("@T", "lts"), ordered))
    fails, wants = [], {}
    for i, s, q, ordered in stmts:
        try:
            wants[i] = [list(r) for r in con.execute(q).fetchall()]
        except sqlite3.Error as e:
            fails.append((i, s, q, "sqlite3: %s" % e, [], []))
    n_rows = sum(len(w) for w in wants.values())
    if n_rows < N:
        print("FAIL sqlite-diff: seed %d gives rows" % seed, "  only %d" % n_rows)
    for views_off in (False, True):
        # views off: every statement a view could answer a part of
        todo = [(i, s) for i, s, q, o in stmts if i in wants and (not views_off or VIEWS_OFF.search(s))]
        res, rc, err, last = run_shoal(todo, views_off)
        mode = "views off" if views_off else "views on"
        if rc != 0:
            bad = next((s for i, s in todo if i == last), "?")
            print("FAIL sqlite-diff: seed %d (%s): shoal failed after q%s" % (seed, mode, last))
            print("  %s" % bad[:600])
            print("  " + "\n  ".join(err.strip().splitlines()[-4:]))
            return
        for i, s, q, ordered in stmts:
            if i not in res or i not in wants:
                continue
            got, want = res[i], wants[i]
            if not ordered:
                got, want = sorted(got, key=sort_key), sorted(want, key=sort_key)
            if not rows_same(got, want):
                fails.append((i, s, q, mode, got, want))
    if fails:
        print("FAIL sqlite-diff: seed %d, %d statements in %s: shoal == sqlite3 (%d differ)" % (seed, N, ZONE, len(fails)))
        for i, s, q, mode, got, want in fails[:4]:
            print("  q%d (%s)\n    shoal:  %s\n    sqlite: %s\n    got:  %s\n    want: %s" % (
                i, mode, s[:700], q[:700], str(got[:4])[:400], str(want[:4])[:400]))
    else:
        print("ok sqlite-diff: seed %d, %d statements in %s: shoal == sqlite3, views on and off" % (seed, N, ZONE))
    return not fails


def main():
    con = oracle()
    if SECONDS:
        t0, seed, n = time.time(), SEEDS[0], 0
        while time.time() - t0 < SECONDS:
            if not check_seed(con, seed):
                sys.exit(1)
            seed += 1
            n += 1
        print("sqlite-diff: %d seeds, %d statements each, from seed %d" % (n, N, SEEDS[0]))
        return
    for s in SEEDS:
        check_seed(con, s)


main()
