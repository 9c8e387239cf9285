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
import json
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
    return datetime.datetime.strptime(ts[:23].ljust(23, "0") if "." in ts else ts[:19] + ".000", "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc)


def loc(ts):
    """the local wall-clock time of ts (an ISO instant in UTC) in ZONE, as sqlite's date functions read it"""
    return None if ts is None else utc_of(ts).astimezone(zone()).strftime("%Y-%m-%dT%H:%M:%S.%f")[:23]


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
    con.create_function("loc", 1, loc, deterministic=True)
    con.create_function("dtrunc", 2, dtrunc)
    con.create_aggregate("stddev", 1, Stddev)
    con.create_aggregate("variance", 1, Variance)
    con.create_aggregate("median", 1, Median)
    con.create_aggregate("quantile", 2, Quantile)
    con.execute('CREATE TABLE ev(seq INTEGER PRIMARY KEY, ts TEXT, member TEXT, type TEXT, grp TEXT, "to" TEXT, '
                'original INTEGER, words INTEGER, amount REAL)')
    rows = []
    for i, line in enumerate(open(EVENTS), 1):
        e = json.loads(line)
        o = e.get("original")
        rows.append((i, e["ts"], e["member"], e["type"], e.get("group"), e.get("to"),
                     None if o is None else int(o), e.get("words"), e.get("amount")))
    con.executemany("INSERT INTO ev VALUES (?,?,?,?,?,?,?,?,?)", rows)
    return con


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
]


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
          "ROWS UNBOUNDED PRECEDING", "ROWS CURRENT ROW"]


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
        f = R.choice(FRAMES)
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
        # (SQLite 3.40 leaves FILTER out of min and max over a frame of rows:
        # min(a) FILTER (WHERE false) OVER (ORDER BY a ROWS 1 PRECEDING) is not NULL there)
        if R.random() < 0.25 and not (fr and g in ("min", "max")):
            c = cond(1)
            f = ("%s FILTER (WHERE %s)" % (f[0], c[0]), "%s FILTER (WHERE %s)" % (f[1], c[1]))
        total = fr   # a frame of rows depends on the order of peers
    o = over(total, fr)
    return f[0] + o[0], f[1] + o[1]


def windows_events():
    ws = [wfunc() for _ in range(R.randint(1, 3))]
    t = types_in()
    extra = where(0.3)
    ws_s = " AND " + extra[0][7:] if extra[0] else ""
    ws_q = " AND " + extra[1][7:] if extra[1] else ""
    lim = " LIMIT %d" % R.randint(10, 80) if R.random() < 0.5 else ""
    return ("SELECT seq, %s FROM events WHERE %s%s ORDER BY seq%s" % (", ".join("%s AS w%d" % (w[0], i) for i, w in enumerate(ws)), t[0], ws_s, lim),
            "SELECT seq, %s FROM ev WHERE %s%s ORDER BY seq%s" % (", ".join("%s AS w%d" % (w[1], i) for i, w in enumerate(ws)), t[1], ws_q, lim), True)


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


def members():
    ms = R.sample(MAGGS, R.randint(1, 3))
    k = R.random()
    if k < 0.4:
        wcl = ("", "")
        if R.random() < 0.6:
            m = R.choice(ms)
            n = R.choice([0, 1, 2, 5])
            wcl = (" WHERE %s > %d" % (m[0], n), " HAVING %s > %d" % (m[1], n))
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


KINDS = [(grouped, 20), (overall, 8), (scalars, 14), (windows_events, 20), (windows_grouped, 12), (nulls_order, 8),
         (ties, 6), (members, 12)]


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


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
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


ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "UTC"]


def check_seed(con, seed):
    global ZONE
    R.seed(seed)
    ZONE = ZONES[seed % len(ZONES)]
    stmts = []
    for i in range(N):
        s, q, ordered = statement()()
        stmts.append((i, s, q.replace("@T", "ts" if ZONE == "UTC" else "loc(ts)"), ordered))
    fails = []
    for views_off in (False, True):
        todo = [(i, s) for i, s, q, o in stmts if not views_off or "FROM members" in s]
        res, rc, err, last = run_shoal(todo, views_off)
        mode = "views off" if views_off else "views on"
        if rc != 0:
            bad = next((s for i, s in todo if i == last), "?")
            print("FAIL sqlite-diff: seed %d (%s): shoal failed after q%s" % (seed, mode, last))
            print("  %s" % bad[:600])
            print("  " + "\n  ".join(err.strip().splitlines()[-4:]))
            return
        n_rows = 0
        for i, s, q, ordered in stmts:
            if i not in res:
                continue
            try:
                want = [list(r) for r in con.execute(q).fetchall()]
            except sqlite3.Error as e:
                fails.append((i, s, q, "sqlite3: %s" % e, [], []))
                continue
            got = res[i]
            n_rows += len(want)
            if not ordered:
                got, want = sorted(got, key=sort_key), sorted(want, key=sort_key)
            if not rows_same(got, want):
                fails.append((i, s, q, mode, got, want))
        if not views_off and n_rows < N:
            print("FAIL sqlite-diff: seed %d gives rows" % seed, "  only %d" % n_rows)
    if fails:
        print("FAIL sqlite-diff: seed %d, %d statements in %s: shoal == sqlite3 (%d differ)" % (seed, N, ZONE, len(fails)))
        for i, s, q, mode, got, want in fails[:4]:
            print("  q%d (%s)\n    shoal:  %s\n    sqlite: %s\n    got:  %s\n    want: %s" % (
                i, mode, s[:500], q[:500], str(got[:4])[:400], str(want[:4])[:400]))
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
