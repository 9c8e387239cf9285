# tests/e2e/gen.sh — `shoal gen`: determinism, exact counts, valid output, and the
# realism that later tests and benchmarks rely on (join first, skew, experiment arms).
. "$SHOAL_TESTS/lib.sh"

N=60000
"$SHOAL" gen --events $N --seed 7 > "$T/a.ndjson" 2> "$T/err"
check_eq gen_runs "$?" 0
"$SHOAL" gen --events $N --seed 7 > "$T/b.ndjson"
"$SHOAL" gen --events $N --seed 8 > "$T/c.ndjson"
check same_seed_same_bytes cmp -s "$T/a.ndjson" "$T/b.ndjson"
if cmp -s "$T/a.ndjson" "$T/c.ndjson"; then
    fail other_seed_other_bytes "seeds 7 and 8 gave identical output"
else
    ok other_seed_other_bytes
fi
check_eq event_count "$(wc -l < "$T/a.ndjson")" $N
check_eq gen_quiet_on_stderr "$(cat "$T/err")" ""

# One pass of Python over the file computes every property, one "name value" per line.
facts=$(python3 - "$T/a.ndjson" <<'EOF'
import json, sys, collections, datetime
def ts(e):
    return datetime.datetime.fromisoformat(e["ts"].replace("Z", "+00:00"))
bad = 0; first = {}; posts = collections.Counter(); ids = set(); n = 0
exposure = {}; arm = {}; joined = {}; spoke = set(); late = 0; last = None
shape = 0
rows = []
group_members = collections.Counter(); group_speech = collections.Counter()
for line in open(sys.argv[1]):
    n += 1
    try:
        e = json.loads(line)
    except ValueError:
        bad += 1
        continue
    if not (isinstance(e.get("id"), str) and isinstance(e.get("member"), str)
            and isinstance(e.get("type"), str) and e["ts"].endswith("Z") and len(e["ts"]) == 24):
        shape += 1
    ids.add(e["id"])
    m, t, when = e["member"], e["type"], ts(e)
    if last is not None and when < last:
        late += 1
    last = when if last is None or when > last else last
    first.setdefault(m, t)
    if t == "join":
        joined[m] = when
    if t == "post":
        posts[m] += 1
        if not isinstance(e.get("original"), bool) or not isinstance(e.get("words"), int):
            shape += 1
    if t in ("reply", "referral") and not str(e.get("to", "")).startswith("m-"):
        shape += 1
    if t == "purchase" and not isinstance(e.get("amount"), (int, float)):
        shape += 1
    if t == "exposure":
        if m in exposure or e.get("experiment") != "welcome_ritual" or m not in joined:
            shape += 1
        exposure[m] = when; arm[m] = e.get("arm")
    if t == "post":
        rows.append((m, when))
    if t == "join":
        group_members[e["group"]] += 1
    if t in ("post", "comment", "reply"):
        group_speech[e.get("group")] += 1
# A zombie group: among the five biggest, one where members almost never speak.
zombie = int(any(group_speech[g] * 10 < n for g, n in group_members.most_common(5)))
print("bad_json", bad)
print("bad_shape", shape)
print("distinct_ids", len(ids))
print("first_not_join", sum(1 for v in first.values() if v != "join"))
top = sorted(posts.values(), reverse=True)[: max(1, len(first) // 100)]
print("top1pct_post_share_ge_half", int(sum(top) * 2 >= sum(posts.values())))
print("quiet_majority", int(sum(1 for m in first if posts[m] == 0) * 2 > len(first)))
print("arms", " ".join(sorted(set(arm.values()))))
n_arm = collections.Counter(arm.values())
print("arms_balanced", int(min(n_arm.values()) * 10 >= sum(n_arm.values()) * 4))
week = datetime.timedelta(days=7)
for m, when in rows:
    if m in exposure and exposure[m] <= when < exposure[m] + week:
        spoke.add(m)
rate = {a: sum(1 for m in arm if arm[m] == a and m in spoke) / max(1, n_arm[a]) for a in n_arm}
print("ritual_posts_more", int(rate.get("ritual", 0) > rate.get("control", 1)))
print("some_late", int(late > 0))
# Arrivals grow, peak, then decline: the busiest month is neither the first nor the last.
months = collections.Counter(joined[m].strftime("%Y-%m") for m in joined)
by_month = [months[k] for k in sorted(months)]
peak = by_month.index(max(by_month))
print("growth_then_decline", int(0 < peak < len(by_month) - 1 and by_month[0] * 2 < max(by_month)
                                  and by_month[-1] * 2 < max(by_month)))
print("zombie_group", zombie)
EOF
)
fact() { printf '%s\n' "$facts" | sed -n "s/^$1 //p"; }
check_eq every_line_json "$(fact bad_json)" 0
check_eq fields_typed "$(fact bad_shape)" 0
check_eq ids_distinct "$(fact distinct_ids)" $N
check_eq member_first_event_is_join "$(fact first_not_join)" 0
check_eq skew_top1pct_posts "$(fact top1pct_post_share_ge_half)" 1
check_eq most_members_never_post "$(fact quiet_majority)" 1
check_eq exposure_arms "$(fact arms)" "control ritual"
check_eq exposure_arms_balanced "$(fact arms_balanced)" 1
check_eq ritual_arm_posts_more "$(fact ritual_posts_more)" 1
check_eq late_events_present "$(fact some_late)" 1
check_eq arrivals_grow_then_decline "$(fact growth_then_decline)" 1
check_eq zombie_group_present "$(fact zombie_group)" 1

# --late 0: strictly in time order.
inorder=$("$SHOAL" gen --events 5000 --late 0 --ts ms | python3 -c '
import json, sys
t = [json.loads(l)["ts"] for l in sys.stdin]
print(int(all(isinstance(x, int) for x in t) and t == sorted(t)))')
check_eq late_zero_in_order_ms "$inorder" 1

# --dup: extra lines that repeat earlier lines exactly, later in the stream.
"$SHOAL" gen --events 10000 --dup 0.1 > "$T/d.ndjson"
check_eq dup_line_count "$(wc -l < "$T/d.ndjson")" 11000
check_eq dup_distinct_lines "$(sort -u "$T/d.ndjson" | wc -l)" 10000
check_eq dup_distinct_ids "$(grep -o '"id":"[^"]*"' "$T/d.ndjson" | sort -u | wc -l)" 10000
"$SHOAL" gen --events 10000 > "$T/nodup.ndjson"
check_eq dup_same_events "$(sort -u "$T/d.ndjson" | md5sum)" "$(sort -u "$T/nodup.ndjson" | md5sum)"

# --no-id and CSV.
check_eq no_id "$("$SHOAL" gen --events 200 --no-id | grep -c '"id"')" 0
"$SHOAL" gen --events 3000 --format csv > "$T/e.csv"
check_eq csv_header "$(head -1 "$T/e.csv")" "id,ts,member,type,group,original,words,to,amount,experiment,arm"
check_eq csv_rows "$(($(wc -l < "$T/e.csv") - 1))" 3000
check_eq csv_columns "$(awk -F, '{print NF}' "$T/e.csv" | sort -u)" 11
same=$(python3 - "$T/e.csv" <<EOF
import csv, json, subprocess, sys
j = [json.loads(l) for l in subprocess.run(["$SHOAL", "gen", "--events", "3000"],
     capture_output=True, text=True).stdout.splitlines()]
c = list(csv.DictReader(open(sys.argv[1])))
def norm(r):
    out = {k: v for k, v in r.items() if v not in ("", None)}
    if "original" in out: out["original"] = out["original"] == "true"
    if "words" in out: out["words"] = int(out["words"])
    if "amount" in out: out["amount"] = float(out["amount"])
    return out
print(int([norm(r) for r in c] == [{k: (float(v) if k == "amount" else v) for k, v in e.items()} for e in j]))
EOF
)
check_eq csv_matches_ndjson "$same" 1

# Span options: every event inside the chosen days.
span=$("$SHOAL" gen --events 2000 --start 2024-02-28 --days 3 --late 0 | python3 -c '
import json, sys
t = [json.loads(l)["ts"] for l in sys.stdin]
print(min(t)[:10], max(t)[:10])')
check_eq start_days_span "$span" "2024-02-28 2024-03-01"
check_eq tiny_exact "$("$SHOAL" gen --events 7 --members 7 | grep -c '"type":"join"')" 7
check_eq zero_events "$("$SHOAL" gen --events 0 | wc -c)" 0

# Bad options: a message on stderr and exit status 2.
check_status bad_number 2 "$SHOAL" gen --events 12x
check_status bad_format 2 "$SHOAL" gen --format xml
check_status bad_fraction 2 "$SHOAL" gen --late 1.5
check_status bad_date 2 "$SHOAL" gen --start 2025-02-30
check_status bad_option 2 "$SHOAL" gen --bogus
check_status missing_value 2 "$SHOAL" gen --events
check_status members_exceed_events 2 "$SHOAL" gen --events 10 --members 11
check_status help_ok 0 "$SHOAL" gen --help
msg=$("$SHOAL" gen --format xml 2>&1 >/dev/null)
check_grep bad_option_message 'shoal gen: error: invalid value for --format: "xml"' "$msg"
