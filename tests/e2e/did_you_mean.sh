#!/usr/bin/env bash
# tests/e2e/did_you_mean.sh — a name that names no definition or view is an error at
# the name (line:column and caret) that says the closest one of the kind asked for
# (engine/closest.c, as `shoal log --member` does): misspelt, or shortened to whole
# words of it; none when nothing is close or the close one is of another kind.
. "$(dirname "$0")/../lib.sh"

"$SHOAL" gen --events 3000 --seed 1 > "$T/ev.ndjson" 2>/dev/null || { fail did-you-mean-gen; exit 0; }
"$SHOAL" ingest -q "$T/ev.ndjson" || { fail did-you-mean-ingest; exit 0; }
"$SHOAL" query -q "
CREATE LAYER core_creator AS count(post) >= 3;
CREATE TIERS pyramid (core WHEN member IN core_creator, rest OTHERWISE);
CREATE RETENTION weekly_retention COHORT BY first(join) PER WEEK ACTIVE ON post, comment;
CREATE ACTIVITY speaking ON post, comment, reply;
CREATE EXPERIMENT welcome_ritual ARMS (control 50, ritual 50) METRICS (posts = count(post) WITHIN 7 DAYS) EXPOSURE exposure;
CREATE COUNTERS activity_counts AS count(post), count(*);
CREATE SCORE engagement AS 1*comment + 5*post HALF_LIFE 30 DAYS" 2>/dev/null || fail did-you-mean-create

# err NAME QUERY WANT: the whole error (message, line, caret)
err() {
    check_eq "did-you-mean: $1" "$("$SHOAL" query "$2" 2>&1)" "$3"
}
err "retention misspelt" "SELECT * FROM retention(weekly_retentio)" \
'query:1:25: error: unknown retention "weekly_retentio" (did you mean "weekly_retention"?)
SELECT * FROM retention(weekly_retentio)
                        ^~~~~~~~~~~~~~~'
err "retention shortened" "SELECT * FROM retention(weekly)" \
'query:1:25: error: unknown retention "weekly" (did you mean "weekly_retention"?)
SELECT * FROM retention(weekly)
                        ^~~~~~'
err "activity" "SELECT * FROM activity(speakin) PER WEEK" \
'query:1:24: error: unknown activity "speakin" (did you mean "speaking"?)
SELECT * FROM activity(speakin) PER WEEK
                       ^~~~~~~'
err "an activity is not offered for a retention" "SELECT * FROM retention(speakin)" \
'query:1:25: error: unknown retention "speakin"
SELECT * FROM retention(speakin)
                        ^~~~~~~'
err "nothing close" "SELECT * FROM retention(zzzzzz)" \
'query:1:25: error: unknown retention "zzzzzz"
SELECT * FROM retention(zzzzzz)
                        ^~~~~~'
err "EVALUATE" "EVALUATE EXPERIMENT welcome_ritul" \
'query:1:21: error: unknown experiment "welcome_ritul" (did you mean "welcome_ritual"?)
EVALUATE EXPERIMENT welcome_ritul
                    ^~~~~~~~~~~~~'
err "experiment()" "SELECT * FROM experiment(welcome)" \
'query:1:26: error: unknown experiment "welcome" (did you mean "welcome_ritual"?)
SELECT * FROM experiment(welcome)
                         ^~~~~~~'
err "member IN, on a second line" $'SELECT count(*) AS n FROM members\nWHERE member IN core_creater' \
'query:2:17: error: unknown layer "core_creater" (did you mean "core_creator"?)
WHERE member IN core_creater
                ^~~~~~~~~~~~'
err "tiers()" "SELECT * FROM tiers(pyramd)" \
'query:1:21: error: unknown tiers "pyramd" (did you mean "pyramid"?)
SELECT * FROM tiers(pyramd)
                    ^~~~~~'
err "flow()" "SELECT * FROM flow(pyramd) PER MONTH" \
'query:1:20: error: unknown tiers "pyramd" (did you mean "pyramid"?)
SELECT * FROM flow(pyramd) PER MONTH
                   ^~~~~~'
err "rise()" "SELECT member FROM members WHERE rise(engagment) DURING today > 0" \
'query:1:39: error: unknown score "engagment" (did you mean "engagement"?)
SELECT member FROM members WHERE rise(engagment) DURING today > 0
                                      ^~~~~~~~~'
err "DROP VIEW: any kind" "DROP VIEW engagment" \
'query:1:11: error: no view named "engagment" (did you mean "engagement"?)
DROP VIEW engagment
          ^~~~~~~~~'
err "DROP LAYER" "DROP LAYER core_creater" \
'query:1:12: error: no layer named "core_creater" (did you mean "core_creator"?)
DROP LAYER core_creater
           ^~~~~~~~~~~~'
err "DROP RETENTION" "DROP RETENTION weekly_retentoin" \
'query:1:16: error: no retention named "weekly_retentoin" (did you mean "weekly_retention"?)
DROP RETENTION weekly_retentoin
               ^~~~~~~~~~~~~~~~'
err "DROP COUNTERS" "DROP COUNTERS activity_count" \
'query:1:15: error: no view named "activity_count" (did you mean "activity_counts"?)
DROP COUNTERS activity_count
              ^~~~~~~~~~~~~~'
err "DROP SCORE: a counters view is not offered" "DROP SCORE activity_count" \
'query:1:12: error: no view named "activity_count"
DROP SCORE activity_count
           ^~~~~~~~~~~~~~'
err "DROP EXPERIMENT" "DROP EXPERIMENT welcome_ritul" \
'query:1:17: error: no experiment named "welcome_ritul" (did you mean "welcome_ritual"?)
DROP EXPERIMENT welcome_ritul
                ^~~~~~~~~~~~~'
