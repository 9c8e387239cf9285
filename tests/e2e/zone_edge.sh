#!/usr/bin/env bash
# tests/e2e/zone_edge.sh — whether the log holds an event in a range after now
# (shoal_zone_may_hold, zone.c: the log's span, the last block's earliest and latest
# events, then the walk of the zone map) decides whether a row source's view answers
# now's period whole or reads its edge from the log. At nows a millisecond either side
# of the latest event, of the last block's earliest one and of the latest event's hour,
# day and week, a retention (bounded, unbounded, recurring), an activity and
# lifecycle_state answer from the views as from the log, kept by batches and built.
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 30000 --seed 17 --late 0.05 --days 20 > "$T/ev.ndjson" 2>/dev/null || fail zone-edge-gen
# The latest event a member's only action of its day and week: a post an hour after the
# generated ones by a member who joined the day before (a view that takes it for before
# now counts them active where the log does not)
python3 - "$T/ev.ndjson" <<'PY' >> "$T/ev.ndjson"
import datetime, json, sys
t = max(datetime.datetime.fromisoformat(json.loads(l)["ts"].replace("Z", "+00:00")) for l in open(sys.argv[1]))
for dt, ty in ((-30, "join"), (1, "post")):
    u = (t + datetime.timedelta(hours=dt)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    print(json.dumps({"id": "edge-" + ty, "ts": u, "type": ty, "member": "edge-member", "group": "g-1"}))
PY
DEF="CREATE RETENTION dy COHORT BY first(join) PER DAY ACTIVE ON post, comment;
CREATE RETENTION wk COHORT BY first(join) PER WEEK ACTIVE ON post, comment, reply, checkin;
CREATE RETENTION un COHORT BY first(join) PER DAY ACTIVE ON post, like UNBOUNDED;
CREATE RETENTION ea COHORT BY each(post) PER WEEK ACTIVE ON post;
CREATE ACTIVITY sp ON post, comment, reply, checkin"
views_hot_built "zone edge" "$DEF" 700

# the last block's earliest event: the least time among the log's last records
# (a block is 4096 records; the log holds 30000)
first_last=$("$SHOAL" --db "$T/hot" query --format csv "SELECT min(ts) AS t FROM events WHERE seq > 28672" | tail -1)
ms() {   # ms ISO DELTA: ISO moved by DELTA milliseconds
    python3 -c "import datetime, sys
t = datetime.datetime.fromisoformat(sys.argv[1].replace('Z', '+00:00')) + datetime.timedelta(milliseconds=int(sys.argv[2]))
print(t.isoformat(timespec='milliseconds').replace('+00:00', 'Z'))" "$1" "$2"
}
nows="$(ms "$end" -1) $end $(ms "$end" 1) $(ms "$first_last" -1) $first_last $(at 0 hour) $(ms "$(at 0 hour)" -1) $(at 0 day) $(ms "$(at 0 day)" -1) $(at 0 day 24) $(ms "$(at 0 day 24)" -1) $(at 100.5)"
n=0 total=0
for now in $nows; do
    for q in "SELECT cohort, cohort_size, k, active FROM retention(dy) ORDER BY cohort, k" \
             "SELECT cohort, cohort_size, k, active FROM retention(wk) ORDER BY cohort, k" \
             "SELECT cohort, k, active FROM retention(un) ORDER BY cohort, k" \
             "SELECT cohort, k, active FROM retention(ea) ORDER BY cohort, k" \
             "SELECT * FROM activity(sp) ORDER BY period" \
             "SELECT * FROM activity(sp) PER WEEK ORDER BY period" \
             "SELECT lifecycle_state(sp, DAY) AS s, count(*) AS n FROM members GROUP BY s ORDER BY s"; do
        for form in "SET NOW = '$now'; $q" "$q AS OF '$now'"; do
            want=$("$SHOAL" --db "$T/hot" query --format csv "SET VIEWS = off; $form" 2>&1)
            for d in hot built; do
                total=$((total + 1))
                got=$("$SHOAL" --db "$T/$d" query --format csv "$form" 2>&1)
                if [ "$got" == "$want" ]; then n=$((n + 1)); else fail "zone edge: $d, $form: views == log" "$(diff <(echo "$got") <(echo "$want") | head -6)"; fi
            done
        done
    done
done
check_eq "zone edge: $total answers at nows either side of the latest event, the last block's first, hour, day and week ends equal the log's" "$n" "$total"
check_grep "zone edge: answers have rows" '^[0-9-]+,[1-9][0-9]*,0,[1-9]' "$("$SHOAL" --db "$T/hot" query --format csv "SELECT cohort, cohort_size, k, active FROM retention(dy) ORDER BY cohort, k AS OF '$end'")"
# the views answer (not the log) at the latest event's millisecond and after it
check_grep "zone edge: EXPLAIN reads the view at the latest event" "read view dy" "$("$SHOAL" --db "$T/hot" query "EXPLAIN SELECT * FROM retention(dy) AS OF '$end'")"
