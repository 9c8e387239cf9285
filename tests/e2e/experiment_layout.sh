#!/usr/bin/env bash
# tests/e2e/experiment_layout.sh — an experiment's view an earlier build made (no layout
# mark, its index in the earlier form: made so by `test_expview --age`): this shoal does
# not read it (EXPLAIN says why; EVALUATE gives the log's answer, the view's before),
# `shoal check` passes with a note saying what to run, and the next ingest remakes it
# (check clean, no note, the view answers again with the same rows).
. "$(dirname "$0")/../lib.sh"
: "${UNIT_DIR:?}"
D="$T/db"
"$SHOAL" gen --events 40000 --seed 7 > "$T/all.ndjson" 2>/dev/null || { fail layout-gen; exit 0; }
head -n 39000 "$T/all.ndjson" > "$T/a.ndjson"
tail -n 1000 "$T/all.ndjson" > "$T/b.ndjson"
"$SHOAL" --db "$D" ingest -q "$T/a.ndjson" || { fail layout-ingest; exit 0; }
"$SHOAL" --db "$D" query "CREATE EXPERIMENT welcome_ritual ARMS (control 50, ritual 50) METRICS (posts = count(post) WITHIN 7 DAYS, spoke = count(post, comment, reply) WITHIN 7 DAYS > 0) COVARIATE count(post) WITHIN 14 DAYS EXPOSURE exposure" > /dev/null || { fail layout-create; exit 0; }
Q="SELECT metric, arm, units, mean, sd, diff, p, cuped_reduction FROM experiment(welcome_ritual) AS OF '2025-05-20T12:00:00Z'"
want=$("$SHOAL" --db "$D" query --format json "$Q")
check_grep "layout: the view answers" "kept by its view" "$("$SHOAL" --db "$D" query "EXPLAIN $Q")"
"$UNIT_DIR/test_expview" --age "$D" welcome_ritual || { fail layout-age; exit 0; }
check_grep "layout: an earlier build's view is not read (EXPLAIN says why)" "was made by an earlier build of shoal" "$("$SHOAL" --db "$D" query "EXPLAIN $Q")"
check_eq "layout: … and the log gives the view's answer" "$("$SHOAL" --db "$D" query --format json "$Q")" "$want"
out=$("$SHOAL" --db "$D" check 2>&1); rc=$?
check_eq "layout: check passes" "$rc" "0"
check_grep "layout: … with a note saying what to run" 'note: view "experiment:welcome_ritual" was made by an earlier build .*shoal rebuild welcome_ritual' "$out"
"$SHOAL" --db "$D" ingest -q "$T/b.ndjson" || { fail layout-ingest2; exit 0; }
out=$("$SHOAL" --db "$D" check 2>&1); rc=$?
check_eq "layout: the next ingest remakes it: check passes" "$rc" "0"
check_eq "layout: … without a note" "$(printf '%s\n' "$out" | grep -c '^note:')" "0"
check_grep "layout: … and the view answers again" "kept by its view" "$("$SHOAL" --db "$D" query "EXPLAIN $Q")"
check_eq "layout: … the same rows (as of a time before the new events)" "$("$SHOAL" --db "$D" query --format json "$Q")" "$want"
