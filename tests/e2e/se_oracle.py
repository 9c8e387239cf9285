#!/usr/bin/env python3
# se_oracle.py — an independent statement of the Stack Exchange mapping
# (docs/FORMATS.md, "Stack Exchange dumps"), written with Python's xml.etree and csv
# modules, for tests/e2e/import.sh. It shares no code with ingest/stackexchange.c.
#
#   se_oracle.py DIR                 expected events as NDJSON, one per line, keys sorted,
#                                    ts in epoch ms; then a last line {"rejects": N}
#   se_oracle.py DIR --compare LOG   compares with `shoal log` output: prints
#                                    "TYPE expected got" per type and the differences,
#                                    exits 0 when every event is equal
import csv
import json
import os
import sys
import xml.etree.ElementTree as ET
from datetime import datetime

COMMUNITY = -1
NEWCOMER_MS = 30 * 86400000
VOTES = {2: ("like_received", None), 3: ("dislike_received", None), 6: ("moderation", "close"),
         7: ("moderation", "reopen"), 10: ("moderation", "delete"), 11: ("moderation", "undelete"),
         15: ("moderation", "review"), 16: ("moderation", "approve_edit")}


def ms(s):
    if not s:
        raise ValueError("missing time")
    t = datetime.fromisoformat(s[:-1] if s.endswith("Z") else s) - datetime(1970, 1, 1)
    return t.days * 86400000 + t.seconds * 1000 + t.microseconds // 1000


def num(s):
    if s is None or s == "" or not s.lstrip("-").isdigit():
        raise ValueError("not an integer")
    return int(s)


def opt(s):
    try:
        return num(s)
    except ValueError:
        return None


def rows(path):
    if path.endswith(".csv"):
        with open(path, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                yield {k: v for k, v in r.items() if v != ""}
    else:
        for _, el in ET.iterparse(path):
            if el.tag == "row":
                yield {k: v for k, v in el.attrib.items() if v != ""}
                el.clear()


def tags(s):
    return [t for t in s.replace("<", "|").replace(">", "|").split("|") if t]


def expected(d):
    ev, rej = [], 0
    users, first = {}, {}
    pf = os.path.join(d, "Posts.xml")
    if not os.path.exists(pf):
        pf = os.path.join(d, "Posts.csv")

    def add(src, i, ts, member, typ, group=None, **props):
        e = {"id": "se-%s-%d" % (src, i), "ts": ts, "member": "u-%d" % member, "type": typ}
        if group:
            e["group"] = group
        e.update({k: v for k, v in props.items() if v is not None})
        ev.append(e)

    for r in rows(os.path.join(d, "Users.xml")):
        try:
            i = num(r.get("Id"))
            if i == COMMUNITY:
                continue
            ts = ms(r.get("CreationDate"))
        except ValueError:
            rej += 1
            continue
        users[i] = ts
        add("user", i, ts, i, "join")

    posts = {}
    for r in rows(pf):
        try:
            i, t, ts = num(r.get("Id")), num(r.get("PostTypeId")), ms(r.get("CreationDate"))
        except ValueError:
            continue
        if i in posts:
            continue
        p = {"id": i, "type": t, "ts": ts, "owner": opt(r.get("OwnerUserId")), "parent": opt(r.get("ParentId")),
             "accepted": opt(r.get("AcceptedAnswerId")), "accept": None,
             "tag": (tags(r["Tags"]) or [None])[0] if t == 1 and "Tags" in r else None}
        posts[i] = p
        o = p["owner"]
        if t in (1, 2) and o is not None and o != COMMUNITY:
            if o not in first or (ts, i) < first[o]:
                first[o] = (ts, i)

    def group(p):
        if p and p["type"] == 2:
            p = posts.get(p["parent"])
        return p["tag"] if p else None

    def owned(p):
        return p is not None and p["owner"] is not None and p["owner"] != COMMUNITY

    def kind(p):
        return "question" if p["type"] == 1 else "answer"

    vf = os.path.join(d, "Votes.xml")
    for r in rows(vf) if os.path.exists(vf) else []:
        try:
            i, pid, t, ts = num(r.get("Id")), num(r.get("PostId")), num(r.get("VoteTypeId")), ms(r.get("CreationDate"))
        except ValueError:
            rej += 1
            continue
        p = posts.get(pid)
        if t == 1:
            if p is None:
                rej += 1
            elif p["accept"] is None or ts > p["accept"]:
                p["accept"] = ts
            continue
        if t not in VOTES or not owned(p):
            rej += 1
            continue
        typ, action = VOTES[t]
        add("vote", i, max(ts, p["ts"]), p["owner"], typ, group(p), post=pid, post_type=kind(p), action=action)

    def newcomer(q):
        o = q["owner"]
        if o in users and q["ts"] - users[o] <= NEWCOMER_MS:
            return True
        return o in first and first[o][1] == q["id"]

    def essence(q):
        nonlocal rej
        a = posts.get(q["accepted"])
        if not owned(a) or a["type"] != 2:
            rej += 1
            return
        ts = max(a["ts"], a["accept"]) if a["accept"] is not None else a["ts"]
        add("accept", q["id"], ts, a["owner"], "essence", group(q), post=a["id"], question=q["id"],
            by="u-%d" % q["owner"] if owned(q) else None, time_from="vote" if a["accept"] is not None else "answer")

    for r in rows(pf):
        try:
            i, t, ts = num(r.get("Id")), num(r.get("PostTypeId")), ms(r.get("CreationDate"))
        except ValueError:
            rej += 1
            continue
        if 3 <= t <= 8:
            continue
        p = posts[i]
        if t not in (1, 2) or p["ts"] != ts:
            rej += 1
            continue
        if not owned(p):
            rej += 1
            if t == 1 and p["accepted"] is not None:
                essence(p)
            continue
        score = opt(r.get("Score"))
        if t == 1:
            add("post", i, ts, p["owner"], "post", group(p), post=i, score=score, original=True,
                title=r.get("Title"), tags=" ".join(tags(r["Tags"])) if "Tags" in r else None)
            if p["accepted"] is not None:
                essence(p)
        else:
            q = posts.get(p["parent"])
            to = "u-%d" % q["owner"] if owned(q) else None
            add("post", i, ts, p["owner"], "reply", group(p), post=i, score=score, question=p["parent"], to=to,
                to_newcomer=newcomer(q) if to else None)

    cf = os.path.join(d, "Comments.xml")
    for r in rows(cf) if os.path.exists(cf) else []:
        try:
            i, pid, ts, uid = num(r.get("Id")), num(r.get("PostId")), ms(r.get("CreationDate")), num(r.get("UserId"))
        except ValueError:
            rej += 1
            continue
        if uid == COMMUNITY:
            rej += 1
            continue
        p = posts.get(pid)
        add("comment", i, ts, uid, "comment", group(p), post=pid, score=opt(r.get("Score")),
            on=kind(p) if p else None, to="u-%d" % p["owner"] if owned(p) else None)

    bf = os.path.join(d, "Badges.xml")
    for r in rows(bf) if os.path.exists(bf) else []:
        try:
            i, uid, ts, c = num(r.get("Id")), num(r.get("UserId")), ms(r.get("Date")), num(r.get("Class"))
        except ValueError:
            rej += 1
            continue
        if uid == COMMUNITY or c not in (1, 2, 3) or "Name" not in r:
            rej += 1
            continue
        add("badge", i, ts, uid, "achievement", name=r["Name"], **{"class": [None, "gold", "silver", "bronze"][c]},
            tag_based=(r["TagBased"] == "True") if "TagBased" in r else None)

    lf = os.path.join(d, "PostLinks.xml")
    for r in rows(lf) if os.path.exists(lf) else []:
        try:
            i, pid, rid, ts, t = (num(r.get("Id")), num(r.get("PostId")), num(r.get("RelatedPostId")),
                                  ms(r.get("CreationDate")), num(r.get("LinkTypeId")))
        except ValueError:
            rej += 1
            continue
        p, rp = posts.get(pid), posts.get(rid)
        if t not in (1, 3) or not owned(p):
            rej += 1
            continue
        add("link", i, ts, p["owner"], "link", group(p), post=pid, related=rid,
            kind="linked" if t == 1 else "duplicate", to="u-%d" % rp["owner"] if owned(rp) else None)
    return ev, rej


def from_log(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            e["ts"] = ms(e["ts"])
            out.append(e)
    return out


def main():
    d = sys.argv[1]
    ev, rej = expected(d)
    if len(sys.argv) == 2:
        for e in ev:
            print(json.dumps(e, sort_keys=True, ensure_ascii=False))
        print(json.dumps({"rejects": rej}))
        return 0
    got = from_log(sys.argv[3])
    want_n, got_n = {}, {}
    for e in ev:
        want_n[e["type"]] = want_n.get(e["type"], 0) + 1
    for e in got:
        got_n[e["type"]] = got_n.get(e["type"], 0) + 1
    for t in sorted(set(want_n) | set(got_n)):
        print("%s %d %d" % (t, want_n.get(t, 0), got_n.get(t, 0)))
    print("rejects %d" % rej)
    w = {e["id"]: e for e in ev}
    g = {e["id"]: e for e in got}
    diffs = [i for i in w if w[i] != g.get(i)] + [i for i in g if i not in w]
    for i in diffs[:5]:
        print("differs: %s\n  want %s\n  got  %s" % (i, json.dumps(w.get(i), ensure_ascii=False),
                                                    json.dumps(g.get(i), ensure_ascii=False)))
    print("differences %d" % len(diffs))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
