# rows_block.sh — the rows of a statement that lists members made a block of members at
# a time (exec_rows.c: the columns and keys evaluated over the block, the names read in
# a batch, shoal_dict_strs, the rows kept for the sort at once, shoal_exec_keep_rows):
# over 9000 members (three chunks of names), against Python's counts from the events
# (names, counts, the sort by name both ways, by a count with ties in the members'
# order, OFFSET and LIMIT with and without ORDER BY), then many shapes of statement
# against the same statement made a row at a time (a WHERE that cannot be evaluated
# in blocks: `AND member LIKE '%'`), in CSV, JSON and the table, with views and
# without; a function failing for a member after the rows that LIMIT keeps (no error,
# as a row at a time), and before them (the same error); a subquery that reads the
# rows as ids (on_row).
. "$SHOAL_TESTS/lib.sh"

counted_members 11 rows
py_rows() {   # py_rows MODE: what Python makes of the events (MODE below)
    python3 - "$T/ev.ndjson" "$1" <<'X'
import json, sys
posts, comments, order = {}, {}, []
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    m = e["member"]
    if m not in posts:
        posts[m] = comments[m] = 0
        order.append(m)
    if e["type"] == "post": posts[m] += 1
    if e["type"] == "comment": comments[m] += 1
mode = sys.argv[2]
keep = [m for m in order if posts[m] >= 3 or comments[m] >= 5]
row = lambda m: "%s,%d,%d" % (m, posts[m], comments[m])
if mode == "asc": out = sorted(keep, key=lambda s: s.encode())
elif mode == "desc": out = sorted(keep, key=lambda s: s.encode(), reverse=True)
elif mode == "bycount": out = sorted(keep, key=lambda m: -posts[m])   # (stable: ties in the members' order)
elif mode == "offset": out = sorted(keep, key=lambda s: s.encode())[25:25 + 40]
elif mode == "stream": out = keep[7:7 + 30]
elif mode == "all": out = order
print("member,p,c")
for m in out: print(row(m) if mode != "all" else m)
X
}
cols="SELECT member, count(post) AS p, count(comment) AS c FROM members WHERE (count(post) >= 3 OR count(comment) >= 5)"
q() { "$SHOAL" query --format csv "SET NOW = '$end'; $1" 2>&1; }
check_eq "names and counts, by name" "$(q "$cols ORDER BY member")" "$(py_rows asc)"
check_eq "  by name, descending" "$(q "$cols ORDER BY member DESC")" "$(py_rows desc)"
check_eq "  by a count, ties in the members' order" "$(q "$cols ORDER BY p DESC")" "$(py_rows bycount)"
check_eq "  by name, OFFSET 25 LIMIT 40" "$(q "$cols ORDER BY member LIMIT 40 OFFSET 25")" "$(py_rows offset)"
check_eq "  unsorted, OFFSET 7 LIMIT 30 (the members' order)" "$(q "$cols LIMIT 30 OFFSET 7")" "$(py_rows stream)"
check_eq "every member, without WHERE" "$(q "SELECT member FROM members" | sed 's/^member$/member,p,c/')" "$(py_rows all)"
n=$(q "$cols" | tail -n +2 | wc -l)
[ "$n" -gt 600 ] && ok "  more rows than a block ($n)" || fail "  more rows than a block" "$n rows"

# The same statements a row at a time: WHERE with LIKE is not evaluated in blocks.
shapes=(
    "SELECT member, count(post) AS p, count(comment) AS c FROM members WHERE count(post) >= 2 @ ORDER BY member"
    "SELECT member, count(post) AS p FROM members WHERE count(post) >= 2 @ ORDER BY p DESC, member LIMIT 50 OFFSET 3"
    "SELECT member, count(post) AS p FROM members WHERE count(post) >= 2 @ ORDER BY p LIMIT 20 WITH TIES"
    "SELECT member, count(post) AS p FROM members WHERE count(post) >= 2 @ ORDER BY count(comment) DESC, member"
    "SELECT count(post) AS p FROM members WHERE count(post) >= 2 @ ORDER BY member DESC"
    "SELECT upper(member) AS u, member AS m, length(member) AS n, CASE WHEN count(post) > 9 THEN 'many' ELSE NULL END AS k, count(post) * 2 AS d FROM members WHERE count(post) >= 2 @ ORDER BY m DESC"
    "SELECT member, first(post) AS f, last(comment) AS l, count(post) / (count(comment) - 3) AS r FROM members WHERE count(post) >= 2 @ ORDER BY l DESC, member"
    "SELECT member, 'x' AS s, NULL AS z, true AS t, 1.5 AS h FROM members WHERE count(post) >= 12 @"
    "SELECT member, count(post) AS p FROM members WHERE count(post) >= 2 @ LIMIT 15 OFFSET 4"
    "SELECT member, count(post) AS p FROM members WHERE count(post) >= 1 OR count(comment) >= 1 @ ORDER BY member NULLS FIRST LIMIT 300"
    "SELECT member FROM members WHERE member IN (SELECT member FROM members WHERE count(post) >= 9) @ ORDER BY member"
    "SELECT member, count(post) AS p FROM members WHERE count(post) BETWEEN 3 AND 7 @ ORDER BY member DESC"
    "SELECT member, count(comment) AS c FROM members WHERE (count(post) IN (2, 4, 9) OR count(comment) NOT BETWEEN 0 AND 30) @ ORDER BY c DESC, member"
    "SELECT count(post) AS p, count(*) AS n FROM members WHERE count(comment) BETWEEN 2 AND 20 AND count(post) NOT IN (0, 1) @ GROUP BY p ORDER BY p"
    "SELECT lower(upper(member)) AS u, count(post) AS p FROM members WHERE count(post) >= 2 @ ORDER BY u DESC"
    "SELECT member, first(post) AS f FROM members WHERE first(post) BETWEEN '2025-04-01' AND '2025-06-01' AND count(post) BETWEEN 2.5 AND 9 @ ORDER BY f, member"
    "SELECT member FROM members WHERE count(comment) NOT BETWEEN 3 AND count(post) AND count(post) BETWEEN NULL AND 4 OR count(post) = 7 @ ORDER BY member"
)
like="AND member LIKE '%'"
for now in "$noon" "$end"; do
    for views in on off; do
        for i in "${!shapes[@]}"; do
            s=${shapes[$i]}
            for fmt in csv json table; do
                [ "$views" = off ] && [ "$fmt" != csv ] && continue
                pre="SET NOW = '$now'; SET VIEWS = $views;"
                got=$("$SHOAL" query --format "$fmt" "$pre ${s/@/}" 2>&1)
                want=$("$SHOAL" query --format "$fmt" "$pre ${s/@/$like}" 2>&1)
                check_eq "shape $i, $fmt, views $views, ${now:11:2}h: as a row at a time" "$got" "$want"
            done
        done
    done
done

# A function failing for one member, the 10th (ln(0)): with LIMIT 5, no error; without,
# the error, as a row at a time.
x=$(q "SELECT member FROM members WHERE count(post) >= 5 LIMIT 1 OFFSET 9" | tail -1)
fails="SELECT member, ln(CASE WHEN member = '$x' THEN 0 ELSE 2 END) AS l FROM members WHERE count(post) >= 5"
got=$(q "$fails LIMIT 5"); want=$(q "$fails AND member LIKE '%' LIMIT 5")
check_eq "a failing function past LIMIT: no error" "$got" "$want"
check_eq "  five rows" "$(printf '%s\n' "$got" | grep -c '^m-')" 5
got=$(q "$fails" | grep -v "^SET NOW"); want=$(q "$fails AND member LIKE '%'" | grep -v "^SET NOW")
check_eq "  before it: the error, as a row at a time" "$got" "$want"
check_grep "  which is ln()'s" "ln\(\) takes a number above 0" "$got"
got=$(q "$fails ORDER BY member" | grep -v "^SET NOW"); want=$(q "$fails AND member LIKE '%' ORDER BY member" | grep -v "^SET NOW")
check_eq "  sorted: the same error" "$got" "$want"

# (BETWEEN over a block, two integers' comparisons in line, the rest as a member at a
# time; IN and IN a subquery's set a member at a time inside a block: the shapes above
# with them, bounds of numbers, dates, NULL and a count.)
# WHERE in blocks stops early as a member at a time does: the right side of AND (OR)
# only over the members the left leaves undecided (ln() of 0 was asked in blocks, an
# error where a member at a time answers), listed and grouped.
for w in "count(post) > 2 AND ln(count(post) - 2) > 0" "count(post) <= 2 OR ln(count(post) - 2) > 1" \
         "NOT (count(post) <= 2 OR ln(count(post) - 2) < 1) AND count(comment) >= 0"; do
    got=$(q "SELECT member, count(post) AS p FROM members WHERE $w ORDER BY member")
    want=$(q "SELECT member, count(post) AS p FROM members WHERE $w $like ORDER BY member")
    check_eq "guarded WHERE ($w): as a row at a time" "$got" "$want"
    check_grep "  rows, no error" "^m-" "$got"
    got=$(q "SELECT count(comment) > 3 AS k, count(*) AS n FROM members WHERE $w GROUP BY k ORDER BY k")
    want=$(q "SELECT count(comment) > 3 AS k, count(*) AS n FROM members WHERE $w $like GROUP BY k ORDER BY k")
    check_eq "  grouped: as a row at a time" "$got" "$want"
done
