#!/usr/bin/env bash
# tests/e2e/view_limit.sh — how many views (each its own LMDB table) a database holds:
# SHOAL_MAX_VIEWS (240). Up to it every CREATE succeeds and every table stays readable
# (check, EVALUATE, SHOW VIEWS); one more view is refused with a message naming the
# limit, at the CREATE's name; an experiment past it is still created, kept without a
# view and evaluated from the log (its tag and EXPLAIN say so). Before the limit was
# checked, LMDB's 64 tables ran out at the 60th CREATE and then every read of the
# tables failed (check, EVALUATE of any experiment): MDB_DBS_FULL.
. "$(dirname "$0")/../lib.sh"

{
    echo '{"ts":"2025-01-01T00:00:00Z","member":"a","type":"exposure","experiment":"e241"}'
    echo '{"ts":"2025-01-01T00:00:01Z","member":"a","type":"post"}'
} > "$T/ev.ndjson"
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail view-limit-ingest; exit 0; }
EXP="ARMS (control 1, t 1) METRICS (p = count(post) WITHIN 7 DAYS) EXPOSURE exposure"
# 60 experiments (each a view), then counters up to 240 views
q=""
for i in $(seq 1 60); do q="$q CREATE EXPERIMENT e$i $EXP;"; done
for i in $(seq 61 240); do q="$q CREATE COUNTERS c$i AS count(post);"; done
check "view limit: 240 views (60 experiments, 180 counters) are created" "$SHOAL" query "$q"
got=$("$SHOAL" query --format csv "SHOW VIEWS" 2>&1 | tail -n +2 | wc -l)
check_eq "view limit: SHOW VIEWS lists all 240" "$got" 240
check "view limit: check passes with 240 views" "$SHOAL" check
got=$("$SHOAL" query --format csv "SELECT count(*) FROM experiment(e1)" 2>&1 | tail -1)
check_eq "view limit: the first experiment evaluates" "$got" 2
got=$("$SHOAL" query --format csv "EXPLAIN SELECT * FROM experiment(e60)" 2>&1)
check_grep "view limit: the 60th experiment answers from its view" 'sums kept by its view experiment:e60' "$got"
out=$("$SHOAL" query "CREATE COUNTERS c241 AS count(post)" 2>&1); rc=$?
check_eq "view limit: the 241st view is refused (exit 1)" "$rc" 1
check_grep "view limit: … with a message naming the limit, at its name" \
    '^query:1:17: error: a database holds at most 240 views \(counters, .*\): drop one first' "$out"
out=$("$SHOAL" query "CREATE EXPERIMENT e241 $EXP" 2>&1)
check_eq "view limit: an experiment past it is created" "$?" 0
got=$("$SHOAL" query --format csv "EXPLAIN SELECT * FROM experiment(e241)" 2>&1)
check_grep "view limit: … kept without a view, from the log" 'experiment e241: not from its view' "$got"
got=$("$SHOAL" query --format csv "SELECT units FROM experiment(e241) WHERE arm = arm('e241', 'a')" 2>&1 | tail -1)
check_eq "view limit: … and evaluated (its one exposed member)" "$got" 1
check "view limit: check still passes" "$SHOAL" check
check "view limit: DROP makes room" "$SHOAL" query "DROP COUNTERS c240; CREATE COUNTERS c241 AS count(post)"
