#!/usr/bin/env python3
"""tests/e2e/differential.py — random statements over members for differential.sh.

Writes to standard output, for a seed, N statements that views can answer (per-member
counts, sums and averages of the series differential.sh's views keep, with every kind
of window), mixed with what only the log answers (min, max, first, last, uncovered
types), filters, layers, tiers, a score and rise, each under a random SET TIMEZONE and
SET NOW or AS OF instant (whole days, day ends and mid-day instants). Nearly half are
what an analyst writes over members (analyst()): row aggregates with FILTER (WHERE …)
on counts, sums, cuts of the score (between whole numbers), layers, NOT and OR of them, BETWEEN on a
count and member IN (SELECT …); GROUP BY over an aggregate, a CASE band, a layer or
tiers, with FILTERs and HAVING; ORDER BY … LIMIT with ties broken by member; a
statement-level DURING. Each statement is
preceded by a marker row `SELECT 'q<i>' AS q` so that a difference can be traced to its
statement. The same file is run with views on and with SET VIEWS = off; the rows must
be identical.

With a third argument `asof`, each statement under SET NOW = T is written instead as
the same statement AS OF T (a bare date as its midnight, which is what SET NOW takes it
for): "now" hides the later events, so both forms must give the same rows.

usage: differential.py SEED N [asof]
"""
import random
import sys

SEED, N = int(sys.argv[1]), int(sys.argv[2])
ASOF = len(sys.argv) > 3 and sys.argv[3] == "asof"
R = random.Random(SEED)

ZONES = ["UTC", "Asia/Shanghai", "America/New_York", "Europe/London", "America/Santiago", "Asia/Kolkata"]

# Per-member aggregates the views keep (differential.sh's CREATE COUNTERS), and some
# they do not (first(post) and last(comment, reply) the first/last view answers over
# the windows it can: no DURING, AS OF, a past SET NOW, a window that ends after its
# latest event for last()).
KEPT = ["count(post)", "count(post WHERE original)", "sum(post.words)", "avg(post.words)",
        "count(essence)", "count(*)", "count(comment, reply)", "sum(purchase.amount)",
        "avg(purchase.amount)", "count(reply WHERE to IS NOT NULL)", "count(checkin)",
        "count(like)"]
SCAN = ["count(poll_vote)", "min(post.words)", "max(purchase.amount)", "first(post)",
        "last(comment, reply)", "count(post WHERE words > 300)", "min(purchase.amount)"]
WINDOWS = ["", "", "today", "yesterday", "this_week", "last_week", "this_month",
           "last_month", "this_year", "last_year", "all_time", "last 7 days", "last 30 days",
           "last 1 days", "last 36 hours", "last 3 weeks", "last 90 minutes", "last 5 hours"]


def rand_instant():
    """A time in the data's span (2024-07 .. 2025-07): a bare date (its end under AS OF,
    its midnight under SET NOW), a local midnight, a day's last millisecond, an hour or
    its last millisecond, or any millisecond."""
    if R.random() < 0.08:
        # around daylight-saving changes: New York (2024-11-03, 2025-03-09), London
        # (2025-03-30), Santiago (2024-09-08 at midnight, 2025-04-06)
        return R.choice(["2024-11-03", "2025-03-09", "2025-03-30", "2024-09-08", "2025-04-06",
                         "2024-11-03T01:30:00-04:00", "2024-11-03T01:30:00-05:00",
                         "2025-03-09T03:00:00-04:00", "2025-03-09T01:59:59.999-05:00",
                         "2025-03-30T01:00:00Z", "2024-09-08T04:00:00Z", "2025-04-06T02:30:00Z"])
    y, m = R.choice([(2024, 7), (2024, 8), (2024, 10), (2024, 11), (2025, 1), (2025, 2),
                     (2025, 3), (2025, 4), (2025, 5), (2025, 6), (2025, 6), (2025, 6), (2025, 7)])
    d = R.randint(1, 28)
    k = R.random()
    if k < 0.25:
        return "%04d-%02d-%02d" % (y, m, d)
    if k < 0.35:
        return "%04d-%02d-%02dT00:00:00" % (y, m, d)
    if k < 0.45:
        return "%04d-%02d-%02dT23:59:59.999" % (y, m, d)
    z = R.choice(["", "Z", "+08:00", "-05:00", "+05:30"])
    if k < 0.55:
        # on an hour, or its last millisecond (the counters' hour buckets' edges)
        return "%04d-%02d-%02dT%02d:%s%s" % (y, m, d, R.randint(0, 23), R.choice(["00:00", "59:59.999"]), z)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03d%s" % (y, m, d, R.randint(0, 23), R.randint(0, 59),
                                                     R.randint(0, 59), R.randint(0, 999), z)


def window():
    w = R.choice(WINDOWS + ["between"])
    if w == "between":
        if R.random() < 0.3:
            # between two instants (local, UTC or with an offset; a bare date as the
            # end is its last millisecond): mid-day edges the views cannot read whole
            a, b = sorted([rand_instant(), rand_instant()])
            return " DURING BETWEEN '%s' AND '%s'" % (a, b)
        a, b = sorted([rand_instant()[:10], rand_instant()[:10]])
        return " DURING BETWEEN '%s' AND '%s'" % (a, b)
    return " DURING " + w if w else ""


def magg(kept=0.8, number=False):
    """number: one that is a number (first and last are times, which a number does not
    compare with, nor sum adds)"""
    a = R.choice(KEPT if R.random() < kept else SCAN)
    while number and a.startswith(("first(", "last(")):
        a = R.choice(SCAN)
    w = window()
    # count(*) without a window counts members (a row aggregate)
    return a + (w or " DURING all_time" if a == "count(*)" else w)


def cond():
    """A WHERE over members: comparisons of aggregates, a layer, a score."""
    k = R.random()
    if k < 0.15:
        return "member IN " + R.choice(["core", "active", "fans", "core_or_active"])
    if k < 0.25:
        return "engagement > %s" % R.choice(["0", "0.5", "4.5", "19.5"])
    c = "%s %s %d" % (magg(number=True), R.choice([">", ">=", "=", "<", "!="]), R.choice([0, 1, 2, 3, 10, 100]))
    if R.random() < 0.3:
        c += " %s %s > %d" % (R.choice(["AND", "OR"]), magg(number=True), R.choice([0, 1, 5]))
    return c


LAYERS = ["core", "active", "fans", "core_or_active"]


def lagg():
    """A per-member number over a long window, mostly (short windows hold no event for
    most members, and a cut on them holds for all or none)."""
    a = magg(number=True)
    if R.random() < 0.6 and " DURING " not in a:
        return a
    if R.random() < 0.6:
        a = a.split(" DURING ")[0] + R.choice([" DURING all_time", " DURING this_year", " DURING last 30 days",
                                               " DURING last_month", " DURING last 3 weeks", ""])
    return a + (" DURING all_time" if a == "count(*)" else "")


def cut():
    """A per-member condition as an analyst writes it: an integer cut on an aggregate
    or a score, layer membership, NOT and OR of them, a BETWEEN on a count, or
    member IN a subquery over members."""
    k = R.random()
    if k < 0.2:
        c = R.choice(["", "NOT "]) + "member IN " + R.choice(LAYERS)
    elif k < 0.35:
        # Cuts of a score or rise are not whole numbers (but 0, which no share reaches
        # from above): the score, or rise, of a member whose only weight left is events
        # at now is their weight, a whole number, which the log gives exactly (a
        # checkin's 1) and the view within its ulps (0.9999999999999905 at a past now,
        # the later shares taken off; 1.0000000000000027 for a rise): a decayed score's
        # last bits, docs/ARCHITECTURE.md, and LANGUAGE.md tells the analyst to round.
        c = R.choice(["engagement %s %s" % (R.choice([">=", "<", ">"]), R.choice(["0", "0.5", "1.5", "4.5", "9.5", "19.5"])),
                      "engagement BETWEEN %s AND %s" % (R.choice(["0", "0.5", "1.5"]), R.choice(["4.5", "9.5", "49.5"])),
                      "rise(engagement)%s > %s" % (window() or " DURING last 7 days", R.choice(["0.3", "1.3", "3.3"]))])
    elif k < 0.45:
        c = "%s BETWEEN %d AND %d" % (lagg(), R.choice([0, 1, 2]), R.choice([3, 5, 50]))
    elif k < 0.53:
        c = "member IN (SELECT member FROM members WHERE %s)" % cond()
    else:
        c = "%s %s %d" % (lagg(), R.choice([">=", ">", "<", "="]), R.choice([0, 1, 2, 3, 5, 20]))
    if R.random() < 0.35:
        c = "%s%s %s %s" % (R.choice(["", "NOT "]), "(" + c + ")", R.choice(["AND", "OR", "AND NOT", "OR NOT"]), cut())
    return c


def fagg():
    """A row aggregate over members with FILTER: counts, sums of per-member aggregates
    (never of a score: a decayed score is not exact on either path)."""
    k = R.random()
    f = " FILTER (WHERE %s)" % cut()
    if k < 0.45:
        return "count(*)" + f
    if k < 0.75:
        return "sum(%s)%s" % (lagg(), f)
    if k < 0.85:
        return "max(%s)%s" % (magg(number=True), f)
    if k < 0.9:
        return "min(%s)%s" % (magg(number=True), f)
    if k < 0.93:
        return "count(%s)%s" % (magg(number=True), f)
    # of per-member values, in the members' order on both paths
    return R.choice(["avg(%s)", "median(%s)", "quantile(%s, 0.9)", "stddev(%s)", "count(DISTINCT %s)"]) % lagg() + f


def band():
    """CASE WHEN over per-member aggregates and cuts of the score."""
    return "CASE WHEN %s THEN 'a' WHEN %s THEN 'b'%s END" % (
        cut(), cut(), R.choice([" ELSE 'c'", "", " WHEN %s THEN 'c' ELSE 'd'" % cut()]))


def analyst():
    """What an analyst writes over members that the plain forms above do not: FILTERs,
    GROUP BY over aggregates, bands or tiers with FILTERs and HAVING, CASE, NOT and OR
    of layers and cuts, ORDER BY ... LIMIT (ties broken by member), a statement DURING."""
    k = R.random()
    dur = R.choice(["", "", "", " DURING " + R.choice(["last_month", "this_year", "last 30 days"]),
                    window() or " DURING all_time"])
    w = " WHERE " + cut() if R.random() < 0.4 else ""
    if k < 0.25:
        cols = ", ".join("%s AS f%d" % (fagg(), i) for i in range(R.randint(1, 4)))
        return "SELECT count(*) AS n, %s FROM members%s%s" % (cols, w, dur)
    if k < 0.45:
        key = R.choice([magg(number=True), band(), "member IN %s" % R.choice(LAYERS)])
        h = R.choice(["", "", " HAVING n > 1", " HAVING f0 >= 1", " HAVING n > 2 OR f0 > 0",
                      " HAVING count(*) FILTER (WHERE %s) > 0" % cut()])
        return ("SELECT %s AS k, count(*) AS n, %s AS f0, %s AS f1 FROM members%s%s GROUP BY k%s ORDER BY k"
                % (key, fagg(), fagg(), w, dur, h))
    if k < 0.55:
        h = R.choice(["", " HAVING n > 1"])
        return ("SELECT tier, count(*) AS n, %s AS f0, %s AS f1 FROM tiers(pyramid)%s GROUP BY tier%s ORDER BY tier"
                % (fagg(), fagg(), w, h))
    if k < 0.62:
        return ("SELECT member, %s AS b, %s AS a FROM members%s%s ORDER BY member"
                % (band(), magg(), " WHERE " + cut(), dur))
    if k < 0.7:
        # ordered by a band first, the ties by an aggregate, then by member
        return ("SELECT member, %s AS a FROM members%s%s ORDER BY %s, a DESC, member LIMIT %d"
                % (lagg(), w, dur, band(), R.choice([10, 30])))
    if k < 0.88:
        a, b = magg(number=True), magg()
        return ("SELECT member, %s AS a, %s AS b FROM members%s%s ORDER BY a %s, %sb DESC, member LIMIT %d%s"
                % (a, b, w, dur, R.choice(["DESC", "ASC"]), R.choice(["", "a = 0, "]),
                   R.choice([5, 10, 25]), R.choice(["", "", " OFFSET 3"])))
    if k < 0.93:
        return "SELECT member, %s AS a FROM members WHERE %s%s ORDER BY member" % (magg(), cut(), dur)
    if k < 0.96:
        # the top n and its ties, inside a subquery, in the outer order
        return ("SELECT member, a FROM (SELECT member, %s AS a FROM members%s ORDER BY a DESC LIMIT %d WITH TIES) AS t "
                "ORDER BY a DESC, member" % (lagg(), w, R.choice([3, 5, 10])))
    # a derived table's per-member values, grouped outside with FILTERs over them
    return ("SELECT h, count(*) AS n, count(*) FILTER (WHERE a >= %d) AS f0, sum(b) FILTER (WHERE a > 0) AS f1 "
            "FROM (SELECT member, %s AS h, %s AS a, %s AS b FROM members%s) AS t GROUP BY h ORDER BY h"
            % (R.choice([1, 2, 3]), cut(), lagg(), lagg(), w))


def select():
    k = R.random()
    if k < 0.45:
        return analyst()
    k = R.random()
    if k < 0.35:
        cols = ", ".join("%s AS c%d" % (magg(), i) for i in range(R.randint(1, 4)))
        w = " WHERE " + cond() if R.random() < 0.5 else ""
        return "SELECT member, %s FROM members%s ORDER BY member" % (cols, w)
    if k < 0.5:
        a = magg(number=True)
        w = " WHERE " + cond() if R.random() < 0.4 else ""
        return "SELECT count(*) AS n, sum(%s) AS s, max(%s) AS m FROM members%s" % (a, magg(), w)
    if k < 0.6:
        return "SELECT %s AS k, count(*) AS n FROM members GROUP BY k ORDER BY k" % magg()
    if k < 0.67:
        return "SELECT member FROM members WHERE member IN %s ORDER BY member" % R.choice(
            ["core", "active", "fans", "core_or_active"])
    if k < 0.76:
        return "SELECT tier, count(*) AS n, sum(count(post)) AS p FROM tiers(pyramid) GROUP BY tier ORDER BY tier"
    if k < 0.86:
        # without WHERE, the top by a score settles who the members were (views.c
        # top_implies_event) unless fewer than the LIMIT have a score
        return ("SELECT member, round(engagement, 3) AS e, %s AS a FROM members%s "
                "ORDER BY engagement DESC, member LIMIT %d" % (magg(), R.choice([" WHERE engagement > 0.5", ""]),
                                                               R.choice([20, 20, 200])))
    if k < 0.93:
        return ("SELECT member, round(rise(engagement)%s, 3) AS r FROM members ORDER BY r DESC, member LIMIT 15"
                % (window() or " DURING last 7 days"))
    return "SELECT member, %s AS a FROM members ORDER BY a DESC, member LIMIT 10" % magg()


out = []
for i in range(N):
    pre = "SET TIMEZONE = '%s'; " % R.choice(ZONES)
    s = select()
    k = R.random()
    if k < 0.45:
        s += " AS OF '%s'" % rand_instant()
        pre += "SET NOW = DEFAULT; "
    elif k < 0.9:
        t = rand_instant()
        if ASOF:
            s += " AS OF '%s'" % (t + "T00:00:00" if len(t) == 10 else t)
            pre += "SET NOW = DEFAULT; "
        else:
            pre += "SET NOW = '%s'; " % t
    else:
        pre += "SET NOW = DEFAULT; "
    out.append("SELECT 'q%d' AS q;\n%s\n%s;" % (i, pre, s))
print("\n".join(out))
