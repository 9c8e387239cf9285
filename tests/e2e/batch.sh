#!/usr/bin/env bash
# tests/e2e/batch.sh — `shoal batch`: each named result equals `shoal query` of the
# same statement (CSV and JSON, byte for byte); two runs at the same log sequence and
# as-of give identical directories; every statement reads one snapshot while an ingest
# appends; a kill -9 mid-job and a failing statement leave the previous output as it
# was; directives and misplaced writes fail at FILE:LINE:COL; the manifest's hashes
# are sha256sum's; the page loads in a headless chromium with no console message and
# every card inked, its screenshot kept in build/test-artifacts/dashboard.png.
. "$(dirname "$0")/../lib.sh"

ASOF=2025-06-30T23:59:59Z
"$SHOAL" gen --events 20000 --seed 5 > "$T/ev.ndjson" 2>/dev/null
head -n 19000 "$T/ev.ndjson" > "$T/a.ndjson"
tail -n +19001 "$T/ev.ndjson" > "$T/b.ndjson"
"$SHOAL" ingest -q "$T/a.ndjson" || fail batch-ingest
"$SHOAL" query "CREATE SCORE engagement AS 1*checkin + 2*like + 3*comment + 4*reply + 5*post + 20*essence HALF_LIFE 30 DAYS;
    SET NOW = '$ASOF';
    CREATE LAYER core_creator AS count(post WHERE original) DURING this_month >= 3 OR count(essence) >= 100;
    CREATE TIERS pyramid (core WHEN member IN core_creator OR engagement >= 200,
        backbone WHEN count(*) DURING last 30 days >= 10, base WHEN count(*) DURING last 30 days >= 1, silent OTHERWISE);
    CREATE RETENTION monthly_retention COHORT BY first(join) PER MONTH ACTIVE ON post, comment, reply, checkin;
    CREATE ACTIVITY daily_activity ON post, comment, reply, checkin, like;
    CREATE EXPERIMENT welcome_ritual ARMS (control 50, ritual 50)
        METRICS (posts = count(post) WITHIN 7 DAYS, spoke = count(post, comment, reply) WITHIN 7 DAYS > 0) EXPOSURE exposure" \
    >/dev/null || fail batch-definitions

# The statements of the script, one a line: NAME|DIRECTIVE OPTIONS|STATEMENT
cat > "$T/panels" <<'EOF'
head|[percent=stickiness]|SELECT count(*) AS members, sum(CASE WHEN count(*) DURING last 7 days > 0 THEN 1 ELSE 0 END) AS active_week, sum(CASE WHEN count(*) DURING last 7 days > 0 THEN 1 ELSE 0 END) / sum(CASE WHEN count(*) DURING last 30 days > 0 THEN 1 ELSE 0 END) AS stickiness FROM members
tiers|[chart=bar unit=members]|SELECT tier, count(*) AS members FROM tiers(pyramid) GROUP BY tier ORDER BY members
flow|[unit=members]|SELECT period, move, sum(members) AS members FROM flow(pyramid) PER MONTH WHERE move IN ('up', 'down', 'new') DURING last 90 days GROUP BY period, move ORDER BY period, move
types||SELECT type, count(*) AS events, count(DISTINCT member) AS members FROM events GROUP BY type ORDER BY events DESC, type
groups|[mark=quiet unit=messages]|SELECT group, count(*) AS messages, count(*) < 1000 AS quiet FROM events WHERE group IS NOT NULL GROUP BY group ORDER BY messages DESC, group
cohort|[chart=heatmap]|SELECT month(first(join)) AS cohort, CASE WHEN count(*) DURING this_month > 0 THEN 'active' ELSE 'idle' END AS now, count(*) AS members FROM members WHERE first(join) IS NOT NULL GROUP BY cohort, now ORDER BY cohort, now
lift|[chart=forest percent=lift]|SELECT type AS arm, count(*) / 20000.0 - 0.1 AS lift, count(*) / 20000.0 - 0.12 AS low, count(*) / 20000.0 - 0.08 AS high, 'ok' AS srm FROM events GROUP BY type ORDER BY type LIMIT 4
noseries|[chart=bar]|SELECT member, type FROM events ORDER BY seq LIMIT 3
top||SELECT member, round(engagement, 2) AS engagement, count(*) DURING all_time AS events, first(join) AS joined FROM members ORDER BY engagement DESC, member LIMIT 12
EOF
script() {   # the script of the panels, with a SET and comments between
    echo "-- a batch test script"
    echo "-- @title Batch test"
    echo "SET VIEWS = on;"
    while IFS='|' read -r name opts stmt; do
        echo
        echo "-- @panel $name: Panel $name $opts"
        echo "$stmt;"
    done < "$T/panels"
}
script > "$T/s.shoal"

check_status batch-runs 0 "$SHOAL" batch "$T/s.shoal" --out "$T/out" --as-of "$ASOF" --quiet
for f in index.html manifest.json head.csv head.json top.csv; do
    [ -f "$T/out/$f" ] && ok "batch-file-$f" || fail "batch-file-$f" "$(ls -a "$T/out" 2>&1)"
done

# ---------------------------------------------------------------- values = shoal query
while IFS='|' read -r name opts stmt; do
    want=$("$SHOAL" query --format csv "SET NOW = '$ASOF'; $stmt" 2>&1)
    check_eq "batch-csv-equals-query-$name" "$(cat "$T/out/$name.csv")" "$want"
    [ "$(wc -l < "$T/out/$name.csv")" -ge 2 ] && ok "batch-csv-has-rows-$name" || fail "batch-csv-has-rows-$name"
    want=$("$SHOAL" query --format json "SET NOW = '$ASOF'; $stmt" 2>&1)
    check_eq "batch-json-equals-query-$name" "$(cat "$T/out/$name.json")" "$want"
done < "$T/panels"

# ---------------------------------------------------------------- reproducible bytes
check_status batch-second-run 0 "$SHOAL" batch "$T/s.shoal" --out "$T/out2" --as-of "$ASOF" --quiet
check "batch-two-runs-identical" diff -r "$T/out" "$T/out2"
cp -r "$T/out" "$T/prev"
check_status batch-rerun-in-place 0 "$SHOAL" batch "$T/s.shoal" --out "$T/out" --as-of "$ASOF" --quiet --timing
check "batch-rerun-in-place-identical" diff -r "$T/prev" "$T/out"
timing=$("$SHOAL" batch "$T/s.shoal" --out "$T/out3" --as-of "$ASOF" --quiet --timing 2>&1 >/dev/null)
check_grep batch-timing-on-stderr "s.shoal:[0-9]+ tiers: [0-9.]+ ms" "$timing"
check "batch-timing-not-in-files" diff -r "$T/prev" "$T/out3"
ls -a "$T" | grep -q '^\.out\.' && fail batch-no-temporary-left "$(ls -a "$T")" || ok batch-no-temporary-left

# ---------------------------------------------------------------- the manifest
man=$(cat "$T/out/manifest.json")
seq=$("$SHOAL" query --format csv "SELECT max(seq) AS s FROM events" | tail -n 1)
check_grep batch-manifest-seq "\"log_seq\": $seq," "$man"
check_grep batch-manifest-as-of "\"as_of\": \"$ASOF\"" "$man"
check_grep batch-manifest-script-hash "\"script_sha256\": \"$(sha256sum < "$T/s.shoal" | cut -c1-64)\"" "$man"
check_grep batch-manifest-version "\"shoal\": \"$("$SHOAL" --version | cut -d' ' -f2)\"" "$man"
"$SHOAL" query --format json "SHOW VIEWS" > "$T/views.json"
python3 - "$T/views.json" "$T/out/manifest.json" > "$T/defs.out" <<'EOF'
import hashlib, json, sys
views = {v["name"]: v for v in json.load(open(sys.argv[1]))}
m = json.load(open(sys.argv[2]))
got = {d["name"]: d["sha256"] for d in m["definitions"]}
want = {n: hashlib.sha256(views[n]["definition"].encode()).hexdigest() for n in ("engagement", "core_creator", "pyramid")}
print("same" if got == want else "got %s want %s" % (got, want))
EOF
check_eq batch-manifest-definitions "$(cat "$T/defs.out")" "same"

# ---------------------------------------------------------------- one snapshot
# An ingest commits while the job sleeps between two counts: both see the same log,
# the manifest's sequence, not the events that came after.
cat > "$T/snap.shoal" <<'EOF'
-- @panel before
SELECT count(*) AS events, max(seq) AS last FROM events;
SELECT sleep(1.5) AS slept;
-- @panel after
SELECT count(*) AS events, max(seq) AS last FROM events;
EOF
"$SHOAL" batch "$T/snap.shoal" --out "$T/snap" --as-of "$ASOF" --quiet &
pid=$!
sleep 0.5
"$SHOAL" ingest -q "$T/b.ndjson" || fail batch-snapshot-ingest
wait $pid
check_eq batch-snapshot-ingest-happened "$("$SHOAL" query --format csv "SELECT count(*) FROM events" | tail -n 1)" 20000
check_eq batch-snapshot-one-read "$(cat "$T/snap/after.csv")" "$(cat "$T/snap/before.csv")"
check_eq batch-snapshot-is-manifest-seq "$(tail -n 1 "$T/snap/after.csv")" "$seq,$seq"

# ---------------------------------------------------------------- kill -9 mid-job
rm -rf "$T/prev" && cp -r "$T/out" "$T/prev"
{ cat "$T/s.shoal"; echo "SELECT sleep(5) AS s;"; } > "$T/slow.shoal"
"$SHOAL" batch "$T/slow.shoal" --out "$T/out" --as-of "$ASOF" --quiet &
pid=$!
sleep 1
kill -9 $pid
wait $pid 2>/dev/null
check "batch-kill9-keeps-previous" diff -r "$T/prev" "$T/out"
check_status batch-after-kill 0 "$SHOAL" batch "$T/s.shoal" --out "$T/out" --as-of "$ASOF" --quiet
ls -a "$T" | grep -q "^\.out\.tmp-$pid" && fail batch-kill9-leftover-cleaned "$(ls -a "$T")" || ok batch-kill9-leftover-cleaned

# ---------------------------------------------------------------- failures
rm -rf "$T/prev" && cp -r "$T/out" "$T/prev"
{ cat "$T/s.shoal"; echo "-- @panel bad"; echo "SELECT type, nosuch FROM events GROUP BY type;"; } > "$T/bad.shoal"
line=$(($(wc -l < "$T/s.shoal") + 2))
out=$("$SHOAL" batch "$T/bad.shoal" --out "$T/out" --as-of "$ASOF" --quiet 2>&1); rc=$?
check_eq batch-fail-status "$rc" 1
check_grep batch-fail-position "^$T/bad.shoal:$line:14: error: column \"nosuch\"" "$out"
check "batch-fail-keeps-previous" diff -r "$T/prev" "$T/out"
ls -a "$T" | grep -q '^\.out\.' && fail batch-fail-no-temporary "$(ls -a "$T")" || ok batch-fail-no-temporary

derr() {   # NAME SCRIPT WANT: the batch fails with status 1 and this first line
    printf '%s\n' "$2" > "$T/d.shoal"
    local out rc
    out=$("$SHOAL" batch "$T/d.shoal" --out "$T/dout" --as-of "$ASOF" --quiet 2>&1); rc=$?
    check_eq "batch-error-$1-status" "$rc" 1
    check_eq "batch-error-$1" "$(printf '%s\n' "$out" | head -n 1)" "$3"
    [ -e "$T/dout" ] && fail "batch-error-$1-no-output" || ok "batch-error-$1-no-output"
}
derr chart $'SELECT 1 AS a;\n-- @panel x: X [chart=pie]\nSELECT 2 AS b;' \
    "$T/d.shoal:2:23: error: unknown chart \"pie\" (expected number, bar, line, table, heatmap, forest or auto)"
derr option $'-- @panel x [colour=red]\nSELECT 2 AS b;' \
    "$T/d.shoal:1:14: error: unknown option \"colour\" (expected chart, unit, percent or mark)"
derr directive $'-- @pannel x\nSELECT 2 AS b;' \
    "$T/d.shoal:1:4: error: unknown directive \"@pannel\" (expected @panel or @title)"
derr twice $'-- @panel x\nSELECT 1 AS a;\n-- @panel x\nSELECT 2 AS b;' \
    "$T/d.shoal:3:11: error: panel \"x\" is named twice"
derr dangling $'-- @panel x\n-- @panel y\nSELECT 2 AS b;' \
    "$T/d.shoal:1:4: error: panel \"x\" is followed by no statement"
derr trailing $'SELECT 2 AS b;\n-- @panel y' \
    "$T/d.shoal:2:4: error: panel \"y\" is followed by no statement"
derr noresult $'-- @panel y\nSET NOW = \'2025-01-01\';\nSELECT 1 AS a;' \
    "$T/d.shoal:1:4: error: panel \"y\" names a statement without a result (a SELECT, SHOW or EXPLAIN)"
derr write-after-read $'SELECT 1 AS a;\nCREATE LAYER late AS count(*) DURING all_time >= 1;' \
    "$T/d.shoal:2:1: error: CREATE writes to the database after the session's snapshot was taken, which would not see it (put CREATE, DROP and SET DATABASE TIMEZONE before the first query)"
derr syntax $'SELECT 1 AS a;\nSELEC 2;' "$T/d.shoal:2:1: error: expected \"CREATE\", \"DROP\", \"EVALUATE\", \"EXPLAIN\", \"SELECT\", \"SET\", \"SHOW\", \"WITH\", ';' or end of input but found \"SELEC\""
check_eq batch-syntax-runs-nothing "$("$SHOAL" query --format csv "SHOW VIEWS" | grep -c '^late,')" 0

# definitions before the first query run, and the snapshot sees them
printf '%s\n' "CREATE LAYER early AS count(*) DURING all_time >= 100;" "-- @panel e" "SELECT count(*) AS n FROM members WHERE member IN early;" > "$T/early.shoal"
check_status batch-write-before-read 0 "$SHOAL" batch "$T/early.shoal" --out "$T/early" --as-of "$ASOF" --quiet
check_eq batch-write-before-read-seen "$(cat "$T/early/e.csv")" "$("$SHOAL" query --format csv "SELECT count(*) AS n FROM members WHERE member IN early")"

# usage and the output's place
mkdir -p "$T/notmine" && echo keep > "$T/notmine/file"
check_status batch-refuses-foreign-dir 2 "$SHOAL" batch "$T/s.shoal" --out "$T/notmine" --quiet
check_grep batch-refuses-foreign-dir-says "^shoal batch: error: \"$T/notmine\" exists and is not a batch's output" \
    "$("$SHOAL" batch "$T/s.shoal" --out "$T/notmine" 2>&1)"
check_eq batch-foreign-dir-untouched "$(cat "$T/notmine/file")" keep
check_status batch-usage-no-out 2 "$SHOAL" batch "$T/s.shoal"
check_status batch-usage-bad-option 2 "$SHOAL" batch "$T/s.shoal" --out "$T/x" --colour
check_status batch-missing-script 2 "$SHOAL" batch "$T/none.shoal" --out "$T/x"
check_status batch-bad-as-of 2 "$SHOAL" batch "$T/s.shoal" --out "$T/x" --as-of yesterday
check_grep batch-help "^usage: shoal batch FILE.shoal --out DIR" "$("$SHOAL" help batch)"
check_grep batch-in-command-list "^  batch " "$("$SHOAL" help)"

# the bundled dashboard runs on the demo's definitions (the test's are the same)
check_status batch-community-runs 0 "$SHOAL" batch "$SHOAL_TESTS/../dashboards/community.shoal" --out "$T/community" --as-of "$ASOF" --quiet
check_eq batch-community-panels "$(grep -c '"rows":' "$T/community/manifest.json")" 13
check_grep batch-community-experiment-forest 'id="p-ritual" data-chart="forest"' "$(cat "$T/community/index.html")"
# the retention panel is a heatmap of cohort × k, whose k are numbers
check_grep batch-community-retention-heatmap 'id="p-retention" data-chart="heatmap"' "$(cat "$T/community/index.html")"

# progress on a terminal, none with --quiet or without a terminal
if command -v script >/dev/null; then
    tty_out=$(timeout 20 script -q -c "$SHOAL batch $T/s.shoal --out $T/tty --as-of $ASOF" /dev/null 2>&1)
    check_grep batch-progress-on-tty "batch: line [0-9]+ of [0-9]+, tiers" "$tty_out"
    check_grep batch-wrote-line "wrote $T/tty/index.html \(9 panels\)" "$tty_out"
    tty_out=$(timeout 20 script -q -c "$SHOAL batch $T/s.shoal --out $T/tty --as-of $ASOF --quiet" /dev/null 2>&1)
    check_eq batch-quiet-on-tty "$tty_out" ""
else
    skip "batch-progress: script(1) is not installed"
fi
check_eq batch-no-progress-off-tty "$("$SHOAL" batch "$T/s.shoal" --out "$T/tty" --as-of "$ASOF" 2>&1)" "wrote $T/tty/index.html (9 panels)"

# ---------------------------------------------------------------- the page
html=$(cat "$T/out/index.html")
check_grep batch-html-csp "Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"" "$html"
printf '%s\n' "$html" | grep -Eq '(src|href)="(https?:)?//|@import|url\(' && fail batch-html-no-remote "$(printf '%s\n' "$html" | grep -E '(src|href)="(https?:)?//|@import|url\(' | head -3)" || ok batch-html-no-remote
check_grep batch-html-print-css "@media print" "$html"
for c in number:head bar:tiers line:flow bar:types bar:groups heatmap:cohort forest:lift table:noseries table:top; do
    check_grep "batch-html-chart-${c#*:}" "id=\"p-${c#*:}\" data-chart=\"${c%%:*}\"" "$html"
done
check_grep batch-html-hover "<rect [^>]*><title>[^<]+ · members: [0-9,]+ members</title>" "$html"
check_grep batch-html-mark-label "text-anchor=\"middle\" class=\"mk\">g-1</text>" "$html"
check_grep batch-html-mark "fill=\"#D55E00\"><title>[^<]*\(quiet\)</title>" "$html"
check_grep batch-html-thousands "<text class=\"vl\" [^>]*>[0-9]{1,3},[0-9]{3}<" "$html"
check_grep batch-html-percent "<div class=\"big\">[0-9.]+%</div>" "$html"

if ! command -v chromium >/dev/null 2>&1; then
    skip "batch-browser: chromium is not installed (make deps installs it)"
else
    art="$SHOAL_TESTS/../build/test-artifacts"
    mkdir -p "$art"
    browse() {   # PAGE SHOT: loads the page headless, its log on stdout
        timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
            --disable-background-networking --disable-component-update --disable-sync \
            --user-data-dir="$(mktemp -d "$T/chrome.XXXXXX")" --enable-logging=stderr --v=0 \
            --screenshot="$2" --window-size=1280,2400 "file://$1" 2>&1
    }
    log=$(browse "$T/out/index.html" "$art/dashboard.png")
    if [ ! -s "$art/dashboard.png" ]; then
        skip "batch-browser: chromium could not take a screenshot here: $(printf '%s\n' "$log" | tail -n 1)"
    else
        ok batch-browser-screenshot
        # a page that fetches something makes chromium log it: the check can see one
        sed 's|<main>|<main><img src="http://127.0.0.1:9/x.png" alt="">|' "$T/out/index.html" > "$T/fetch.html"
        ctl=$(browse "$T/fetch.html" "$T/fetch.png")
        check_grep batch-browser-control-logs-fetch "CONSOLE|Refused" "$ctl"
        bad=$(printf '%s\n' "$log" | grep -E "CONSOLE|Refused|net::ERR|Failed to load")
        [ -z "$bad" ] && ok batch-browser-no-console-or-network || fail batch-browser-no-console-or-network "$bad"
        cards=$(python3 "$SHOAL_TESTS/e2e/dashboard_shot.py" "$art/dashboard.png")
        check_eq batch-browser-cards "$(printf '%s\n' "$cards" | wc -l)" "$(wc -l < "$T/panels")"
        i=0
        while IFS='|' read -r name opts stmt; do
            i=$((i + 1))
            read -r x0 y0 x1 y1 inked colour <<< "$(printf '%s\n' "$cards" | sed -n "${i}p")"
            chart=$(printf '%s\n' "$html" | sed -n "s/.*id=\"p-$name\" data-chart=\"\([a-z]*\)\".*/\1/p")
            need=0
            case $chart in bar|line|heatmap) need=300 ;; forest) need=50 ;; esac
            if awk -v a="${inked:-0}" 'BEGIN { exit !(a >= 0.01) }' && [ "${colour:-0}" -ge "$need" ]; then
                ok "batch-browser-card-$name-inked"
            else
                fail "batch-browser-card-$name-inked" "card $i ($chart) at $x0,$y0-$x1,$y1: inked $inked, chart colour $colour (want $need)"
            fi
        done < "$T/panels"
    fi
fi
