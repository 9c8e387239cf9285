#!/usr/bin/env python3
# cut.py — regenerates this sample from the full dump: every row dated before CUT, i.e.
# the site as its dump would have stood then (private beta, October 2011). XML rows are
# copied byte for byte (CRLF kept), except that Users.xml rows lose their profile
# fields (DisplayName, Location, WebsiteUrl, AboutMe, ProfileImageUrl): the adapter
# does not read them and they are not ours to republish out of context.
#   python3 tests/data/se-sample/cut.py ../shared/data/history-meta-stackexchange tests/data/se-sample
import csv
import os
import re
import sys

CUT = b"2011-11-01"
PROFILE = re.compile(rb' (DisplayName|Location|WebsiteUrl|AboutMe|ProfileImageUrl)="[^"]*"')
src, dst = sys.argv[1], sys.argv[2]
for name, key in [("Users", b"CreationDate"), ("Comments", b"CreationDate"), ("Votes", b"CreationDate"),
                  ("Badges", b"Date"), ("PostLinks", b"CreationDate")]:
    with open(os.path.join(src, name + ".xml"), "rb") as f, open(os.path.join(dst, name + ".xml"), "wb") as o:
        for line in f:
            if line.lstrip().startswith(b"<row"):
                m = re.search(rb' ' + key + rb'="([^"]*)"', line)
                if not m or m.group(1) >= CUT:
                    continue
                if name == "Users":
                    line = PROFILE.sub(b"", line)
            o.write(line)
with open(os.path.join(src, "Posts.csv"), newline="", encoding="utf-8") as f, \
        open(os.path.join(dst, "Posts.csv"), "w", newline="", encoding="utf-8") as o:
    r = csv.reader(f)
    w = csv.writer(o, lineterminator="\r\n")
    head = next(r)
    w.writerow(head)
    at = head.index("CreationDate")
    for row in r:
        if row[at] < CUT.decode():
            w.writerow(row)
